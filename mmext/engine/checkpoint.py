"""Checkpoint loading under ``torch.load(weights_only=True)`` (torch >= 2.6).

mmengine 0.10.7 writes numpy arrays, numpy scalars and ``HistoryBuffer`` objects (whose
pickled state names its statistics methods through ``getattr``) into ``message_hub``;
torch's safe unpickler refuses all of them. This module allows exactly those types,
with a ``getattr`` that only resolves ``HistoryBuffer``'s own statistics methods, so
mmext's and official OpenMMLab checkpoints load while any other pickle stays refused.

A file the user trusts can still be loaded in full with :func:`trust_checkpoint`
(``--trust-checkpoint`` in the tools), which logs a warning.

It also re-registers mmengine's checkpoint schemes (the supported extension point) so
that a local file that is no checkpoint, or a download that cannot be made offline,
ends in one clear line.
"""
import os.path as osp
import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader, load_from_local

from ..utils.errors import InputError

_TRUSTED = set()
# filled into HistoryBuffer._statistics_methods only once a buffer is created
_BUILTIN_STATISTICS = ('min', 'max', 'current', 'mean')
_REMOTE_PREFIXES = ('http://', 'https://', 'torchvision://', 'open-mmlab://',
                    'openmmlab://', 'mmcls://')


def _history_buffer_getattr(obj, name):
    """``getattr`` as the unpickler may call it: HistoryBuffer's statistics only."""
    if obj is HistoryBuffer and (name in _BUILTIN_STATISTICS
                                 or name in HistoryBuffer._statistics_methods):
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def _numpy_globals():
    dtypes = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16,
              np.float32, np.float64]
    return [
        np._core.multiarray._reconstruct, np._core.multiarray.scalar, np.ndarray, np.dtype,
        *(type(np.dtype(t)) for t in dtypes)
    ]


def register_safe_globals():
    """Allow the types mmengine writes into checkpoints under ``weights_only=True``."""
    torch.serialization.add_safe_globals(
        [HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr'), *_numpy_globals()])


def trust_checkpoint(path):
    """Load ``path`` with full pickle (``weights_only=False``): only for files you trust."""
    _TRUSTED.add(osp.abspath(osp.expanduser(path)))


def load_from_local_safe(filename, map_location=None):
    """mmengine's local loader, with full pickle for trusted files and clear errors."""
    path = osp.abspath(osp.expanduser(filename))
    if not osp.isfile(path):
        raise InputError(f'checkpoint not found: {filename}')
    if path in _TRUSTED:
        print_log(f'Loading {filename} with weights_only=False (trusted by the user): '
                  'it may run arbitrary code', logger='current', level=30)
        return torch.load(path, map_location=map_location, weights_only=False)
    try:
        return load_from_local(path, map_location)
    except Exception as exc:
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except Exception:
            unsafe = None  # not even a zip checkpoint
        if unsafe:
            raise InputError(
                f'checkpoint {filename} holds types outside the safe list '
                f'({", ".join(unsafe)}); if you trust this file, pass --trust-checkpoint'
            ) from exc
        reason = f'{type(exc).__name__}: {exc}'.splitlines()[0]
        raise InputError(f'{filename} is not a PyTorch checkpoint ({reason})') from exc


def _with_offline_hint(loader):

    def load(filename, map_location=None, *args, **kwargs):
        try:
            return loader(filename, map_location, *args, **kwargs)
        except OSError as exc:  # URLError, HTTPError, socket errors
            raise InputError(
                f'cannot download checkpoint {filename} ({exc}); fetch it where a network is '
                'available and pass the local file instead, e.g. --cfg-options '
                'load_from=/path/to/file.pth or model.backbone.init_cfg.checkpoint=/path/to/file.pth '
                '(or put it in the torch hub cache, ~/.cache/torch/hub/checkpoints/)') from exc

    load.__name__ = loader.__name__
    return load


def register_checkpoint_loaders():
    """Route mmengine's local and remote checkpoint schemes through mmext's loaders."""
    CheckpointLoader.register_scheme(prefixes='', force=True)(load_from_local_safe)
    for prefix in _REMOTE_PREFIXES:
        loader = CheckpointLoader._schemes.get(prefix)
        if loader is not None and not hasattr(loader, '__wrapped_by_mmext__'):
            wrapped = _with_offline_hint(loader)
            wrapped.__wrapped_by_mmext__ = True
            CheckpointLoader.register_scheme(prefixes=prefix, force=True)(wrapped)


register_safe_globals()
register_checkpoint_loaders()
