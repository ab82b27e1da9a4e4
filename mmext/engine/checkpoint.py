"""Checkpoint loading under ``torch.load(weights_only=True)`` (torch >= 2.6).

mmengine 0.10.7 writes numpy arrays, numpy scalars and ``HistoryBuffer`` objects into
``message_hub``; torch's safe unpickler refuses all of them. This module allows exactly
what rebuilding those needs, and nothing that can run code or change state:

* ``HistoryBuffer`` is rebuilt by :class:`_HistoryBufferRebuild`, registered under
  mmengine's name: its ``__setstate__`` checks the state (a max length and two 1-d
  numeric arrays) and sets exactly those attributes. mmengine's own ``__setstate__``
  is never run, since it copies the file's ``statistics_methods`` into the class-level
  ``HistoryBuffer._statistics_methods``.
* ``getattr`` (which protocol-2 pickles use for the statistics methods in a buffer's
  state) resolves only ``HistoryBuffer``'s four built-in statistics names, and to their
  names, not to callables; the rebuild drops them anyway.
* numpy arrays, scalars and dtypes under ``numpy._core`` (numpy 2) and ``numpy.core``
  (numpy 1.x-written files).

A file the user trusts can still be loaded in full with :func:`trust_checkpoint`
(``--trust-checkpoint`` in the tools), which logs a warning.

Nothing is installed at import: :func:`install_checkpoint_policy` (called by the tools)
does it. It also re-registers mmengine's checkpoint schemes (the supported extension point) so
that a local file that is no checkpoint, a refused pickle, or a download that cannot be
made offline, ends in one clear line.
"""
import os.path as osp
import pickle
import re
import zipfile

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader, load_from_local

from ..utils.errors import InputError

_TRUSTED = set()
_BUILTIN_STATISTICS = ('min', 'max', 'current', 'mean')
_HISTORY_BUFFER_NAME = 'mmengine.logging.history_buffer.HistoryBuffer'
_REMOTE_PREFIXES = ('http://', 'https://', 'torchvision://', 'open-mmlab://',
                    'openmmlab://', 'mmcls://')


class _HistoryBufferRebuild(HistoryBuffer):
    """Stands for ``HistoryBuffer`` while unpickling; becomes a plain one when built."""

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise pickle.UnpicklingError('HistoryBuffer state must be a dict')
        extra = set(state) - {'max_length', '_log_history', '_count_history',
                              'statistics_methods'}
        if extra:
            raise pickle.UnpicklingError(f'HistoryBuffer state has unexpected keys {sorted(extra)}')
        max_length = state.get('max_length', 1000000)
        if type(max_length) is not int or max_length < 1:
            raise pickle.UnpicklingError(f'HistoryBuffer max_length {max_length!r} is not '
                                         'a positive int')
        arrays = [state.get('_log_history', np.zeros(0)),
                  state.get('_count_history', np.zeros(0))]
        for a in arrays:
            if type(a) is not np.ndarray or a.ndim != 1 or a.dtype.kind not in 'biuf':
                raise pickle.UnpicklingError('HistoryBuffer history must be 1-d numeric arrays')
        if len(arrays[0]) != len(arrays[1]):
            raise pickle.UnpicklingError('HistoryBuffer histories differ in length')
        methods = state.get('statistics_methods', {})
        if not isinstance(methods, dict) or any(
                k not in _BUILTIN_STATISTICS or v != k for k, v in methods.items()):
            raise pickle.UnpicklingError('HistoryBuffer statistics_methods other than '
                                         f'{_BUILTIN_STATISTICS} are not allowed')
        self.__dict__.update(max_length=max_length, _log_history=arrays[0],
                             _count_history=arrays[1])
        self.__class__ = HistoryBuffer


def _history_buffer_getattr(obj, name):
    """``getattr`` as the unpickler may call it: the name of a built-in statistic only."""
    if obj is _HistoryBufferRebuild and name in _BUILTIN_STATISTICS:
        return name  # only ever stored in ``statistics_methods``, which is dropped
    owner = ('HistoryBuffer' if obj is _HistoryBufferRebuild
             else getattr(obj, '__name__', type(obj).__name__))
    raise pickle.UnpicklingError(f'getattr({owner}, {name!r}) is not allowed in a checkpoint')


def _numpy_globals():
    dtypes = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.uint16,
              np.uint32, np.uint64, np.float16, np.float32, np.float64]
    multiarray = np._core.multiarray
    return [
        multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
        # numpy 1.x wrote these under ``numpy.core``
        (multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
        (multiarray.scalar, 'numpy.core.multiarray.scalar'),
        *(type(np.dtype(t)) for t in dtypes)
    ]


def register_safe_globals():
    """Allow what mmengine writes into checkpoints under ``weights_only=True``."""
    torch.serialization.add_safe_globals(
        [(_HistoryBufferRebuild, _HISTORY_BUFFER_NAME),
         (_history_buffer_getattr, 'builtins.getattr'), *_numpy_globals()])


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
        raise InputError(describe_load_failure(filename, exc)) from exc


def _checkpoint_format(path):
    with open(path, 'rb') as f:
        head = f.read(4)
    if zipfile.is_zipfile(path):
        return 'zip'
    if head == b'PK\x03\x04':
        return 'truncated'
    return 'legacy' if head[:1] == b'\x80' else 'other'


def describe_load_failure(filename, exc):
    """One line saying why ``filename`` did not load under ``weights_only=True``."""
    path = osp.abspath(osp.expanduser(filename))
    text = str(exc)
    fmt = _checkpoint_format(path)
    kind = 'legacy (non-zip) checkpoint' if fmt == 'legacy' else 'checkpoint'
    reason = f'{type(exc).__name__}: {text}'.splitlines()[0].split('. ')[0]
    if fmt == 'truncated':
        return f'checkpoint {filename} is truncated or damaged ({reason})'
    if fmt != 'other' and 'Weights only load failed' in text:
        unsafe = []
        if fmt == 'zip':
            try:
                unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
            except Exception:
                unsafe = []
        unsafe = unsafe or sorted(set(re.findall(r'GLOBAL ([\w.]+)', text)))
        if unsafe:
            return (f'{kind} {filename} holds types outside the safe list '
                    f'({", ".join(unsafe)}); if you trust this file, pass --trust-checkpoint')
        detail = re.search(r'WeightsUnpickler error:\s*([^\n]+)', text)
        detail = detail.group(1).strip() if detail else reason
        return (f'{kind} {filename} was refused by the safe loader ({detail}); '
                'if you trust this file, pass --trust-checkpoint')
    if fmt == 'zip':
        return f'checkpoint {filename} is damaged ({reason})'
    if fmt == 'legacy':
        return f'{kind} {filename} could not be read ({reason})'
    return f'{filename} is not a PyTorch checkpoint ({reason})'


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


def install_checkpoint_policy():
    """Install this module's policy (safe globals, mmext's loaders); the tools call it
    (idempotent). Importing the module changes nothing."""
    register_safe_globals()
    register_checkpoint_loaders()
