"""``_base_ = 'mmext::particles/...'``: inherit mmext's configs from any folder, as
``mmdet::`` does.

The package ships ``configs/`` at ``mmext/.mim/configs`` (``setup.py``). mmengine's
``Config`` resolves ``pkg::`` bases only for the packages of its ``MODULE2PACKAGE``
table, so :func:`allow_package_bases` adds mmext there. It marks every dict read from such
a base with ``_scope_='mmext'``, a scope no registry has (mmext registers into mmdet's
and mmpretrain's): :func:`drop_package_scope` removes those marks, so the config's
``default_scope`` builds them, as for a relative ``_base_``.
"""
PACKAGE = 'mmext'


def allow_package_bases():
    """Let mmengine's ``Config`` resolve ``mmext::`` bases (idempotent)."""
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)


def drop_package_scope(node):
    """Remove the ``_scope_='mmext'`` marks mmengine put on dicts read from ``mmext::``
    bases, in place (dicts and lists, nested)."""
    if isinstance(node, dict):
        if node.get('_scope_') == PACKAGE:
            del node['_scope_']
        values = node.values()
    elif isinstance(node, (list, tuple)):
        values = node
    else:
        return
    for value in values:
        drop_package_scope(value)
