"""PEP 562 lazy exports: a package names its public classes without importing the heavy
modules (torch, mmdet, mmpretrain) that define them until they are first used."""
from importlib import import_module
from typing import Callable, Dict


def lazy_exports(package: str, exports: Dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``exports`` maps a public name to the
    module (relative to ``package``, e.g. ``'.csv_dataset'``) that defines it."""

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f'module {package!r} has no attribute {name!r}')
        return getattr(import_module(exports[name], package), name)

    return __getattr__
