"""Where mmext registers its modules.

mmext adds no registries of its own: each part goes into the upstream registry of the
family that uses it, so configs with ``default_scope='mmpretrain'`` or ``'mmdet'`` find it.
Parts both families use (samplers, generic hooks) go into mmengine's root registries, which
every child scope falls back to. :func:`register_all_modules` imports every module that
registers something (:mod:`mmext.modules`, also the configs' ``custom_imports`` entry);
``import mmext`` registers nothing.
"""
from importlib import import_module

from mmdet.registry import DATASETS as DET_DATASETS
from mmdet.registry import HOOKS as DET_HOOKS
from mmdet.registry import METRICS as DET_METRICS
from mmdet.registry import MODELS as DET_MODELS
from mmdet.registry import TRANSFORMS as DET_TRANSFORMS
from mmengine.registry import DATA_SAMPLERS, HOOKS, METRICS, MODEL_WRAPPERS
from mmpretrain.registry import DATASETS as CLS_DATASETS
from mmpretrain.registry import HOOKS as CLS_HOOKS
from mmpretrain.registry import METRICS as CLS_METRICS
from mmpretrain.registry import MODELS as CLS_MODELS
from mmpretrain.registry import TRANSFORMS as CLS_TRANSFORMS

__all__ = [
    'DATA_SAMPLERS', 'HOOKS', 'METRICS', 'MODEL_WRAPPERS', 'CLS_DATASETS', 'CLS_HOOKS',
    'CLS_METRICS', 'CLS_MODELS', 'CLS_TRANSFORMS', 'DET_DATASETS', 'DET_HOOKS', 'DET_METRICS',
    'DET_MODELS', 'DET_TRANSFORMS', 'register_all_modules'
]


def register_all_modules() -> None:
    """Register every mmext module into the upstream registries (idempotent)."""
    import_module('mmext.modules')
