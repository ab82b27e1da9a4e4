"""One data root per config: the top-level root variable moves every data path.

mmengine builds a base config's dicts when the base file is read, so a child config
that sets ``data_root = 'data/mine/'`` (or ``particle_data_root`` in the particle
configs) changes the variable but not the dataloaders and evaluators the base already
built from it. :func:`resolve_data_root` closes that gap after loading: every dataset's
``data_root`` (wrapped datasets included) and every evaluator ``ann_file`` that lay under
the root the base used are moved under the config's root variable. ``--data-root DIR``
sets that variable first.
"""
import os.path as osp

from .config_walk import iter_datasets, iter_evaluators
from .errors import InputError

#: the root variables, in the order they are looked up (particle configs sit beside
#: mmdet's COCO dataset config, whose own ``data_root`` is 'data/coco/')
ROOT_KEYS = ('particle_data_root', 'data_root')


def root_key(cfg):
    """The name of the config's root variable, or None when it has none."""
    return next((key for key in ROOT_KEYS if isinstance(cfg.get(key), str)), None)


def _under(path, root):
    """``path`` relative to ``root`` when it lies under it, else None."""
    path, root = osp.normpath(path), osp.normpath(root)
    if root == '.':
        return None if osp.isabs(path) else path
    if path == root or path.startswith(root + osp.sep):
        return osp.relpath(path, root)
    return None


def resolve_data_root(cfg, data_root=None):
    """Move every dataset and evaluator path of ``cfg`` under its root variable.

    Args:
        cfg (Config): a loaded config; changed in place.
        data_root (str, optional): a new root (``--data-root``); it must be a folder.

    Returns:
        list[str]: the roots that were replaced (empty when nothing moved).
    """
    key = root_key(cfg)
    if data_root is not None:
        if not osp.isdir(data_root):
            raise InputError(f'--data-root {data_root}: folder not found')
        if key is None:
            raise InputError('--data-root: the config has no data_root variable')
        cfg[key] = data_root
    if key is None:
        return []
    root = cfg[key]
    old_roots = []
    for _, dataset in iter_datasets(cfg):
        old = dataset.get('data_root')
        if isinstance(old, str) and osp.normpath(old) != osp.normpath(root):
            old_roots.append(old)
            dataset['data_root'] = root
    old_roots = sorted(set(old_roots), key=len, reverse=True)  # longest prefix first
    for _, metric in iter_evaluators(cfg):
        ann_file = metric.get('ann_file')
        if not isinstance(ann_file, str) or not ann_file:
            continue
        for old in old_roots:
            rel = _under(ann_file, old)
            if rel is not None:
                metric['ann_file'] = root if rel == '.' else osp.join(root, rel)
                break
    return old_roots
