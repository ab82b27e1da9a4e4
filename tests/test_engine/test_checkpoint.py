import copyreg
import io
import os
import os.path as osp
import pickle
import subprocess
import sys
from urllib.error import URLError

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint
from mmengine.testing import RunnerTestCase

from mmext.engine.checkpoint import _with_offline_hint, trust_checkpoint
from mmext.utils import InputError


class Payload:
    """A custom class: not on the weights_only safe list."""

    def __init__(self, value):
        self.value = value


class TestCheckpointRoundTrip(RunnerTestCase):

    def _cfg(self, max_epochs):
        cfg = self.epoch_based_cfg.copy()
        cfg.train_cfg.max_epochs = max_epochs
        cfg.default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1))
        return cfg

    def test_save_load_weights_only_and_resume(self):
        cfg = self._cfg(max_epochs=1)
        runner = self.build_runner(cfg)
        runner.train()
        iters_per_epoch = runner.iter
        ckpt = osp.join(cfg.work_dir, 'epoch_1.pth')
        # plain torch.load with weights_only=True: mmengine's HistoryBuffer and numpy types
        state = torch.load(ckpt, weights_only=True)
        loss = state['message_hub']['log_scalars']['train/loss']
        assert isinstance(loss, HistoryBuffer) and len(loss.data[0]) == iters_per_epoch
        assert state['meta']['epoch'] == 1

        cfg2 = self._cfg(max_epochs=2)
        cfg2.experiment_name = cfg.experiment_name + '-resumed'
        cfg2.resume, cfg2.load_from = True, ckpt
        resumed = self.build_runner(cfg2)
        resumed.load_or_resume()
        assert (resumed.epoch, resumed.iter) == (1, iters_per_epoch)
        resumed.train()
        assert (resumed.epoch, resumed.iter) == (2, 2 * iters_per_epoch)


def test_arbitrary_pickle_refused_unless_trusted(tmp_path):
    path = str(tmp_path / 'custom.pth')
    torch.save({'state_dict': {}, 'meta': {'payload': Payload(3)}}, path)
    with pytest.raises(InputError, match='outside the safe list .*Payload.*--trust-checkpoint'):
        _load_checkpoint(path)
    trust_checkpoint(path)
    assert _load_checkpoint(path)['meta']['payload'].value == 3


def test_not_a_checkpoint_is_one_clear_line(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('not a checkpoint')
    with pytest.raises(InputError, match='notes.pth is not a PyTorch checkpoint') as info:
        _load_checkpoint(str(path))
    assert '\n' not in str(info.value)
    with pytest.raises(InputError, match='checkpoint not found'):
        _load_checkpoint(str(tmp_path / 'missing.pth'))


def test_offline_download_says_how_to_pass_a_local_file():

    def unreachable(filename, map_location=None):
        raise URLError('Name or service not known')

    with pytest.raises(InputError, match='cannot download checkpoint https://x/r50.pth.*load_from='):
        _with_offline_hint(unreachable)('https://x/r50.pth')


class _Getattr:
    """Pickles as ``getattr(owner, name)``, the way protocol 2 writes a method."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __reduce__(self):
        return (getattr, (self.owner, self.name))


class _Buffer:
    """Pickles as a ``HistoryBuffer`` with the given (crafted) state."""
    __class__ = property(lambda self: HistoryBuffer)

    def __init__(self, state):
        self.state = state

    def __reduce__(self):
        return (copyreg.__newobj__, (HistoryBuffer, ), self.state)


class _Call:

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def _buffer_state(**methods):
    return dict(max_length=10, _log_history=np.ones(2), _count_history=np.ones(2, int),
                statistics_methods=methods)


CRAFTED = {
    'register __init__ as a statistic, then fetch it': [
        _Buffer(_buffer_state(__init__=_Getattr(HistoryBuffer, 'min'))),
        _Getattr(HistoryBuffer, '__init__')],
    'replace mean by max': _Buffer(_buffer_state(mean=_Getattr(HistoryBuffer, 'max'))),
    'read the class-level statistics dict': _Getattr(HistoryBuffer, '_statistics_methods'),
    'os.system': _Call(os.system, 'echo pwned'),
    'builtins.eval': _Call(eval, '1 + 1'),
    'nested getattr chain': _Getattr(_Getattr(HistoryBuffer, 'min'), '__globals__'),
    'extra state key': _Buffer(dict(_buffer_state(), __dict__={})),
    'object array as history': _Buffer(dict(_buffer_state(), _log_history=np.array(
        [None, None], dtype=object))),
}


REASONS = {
    'register __init__ as a statistic, then fetch it': 'statistics_methods other than',
    'replace mean by max': 'statistics_methods other than',
    'read the class-level statistics dict': "getattr.HistoryBuffer, '_statistics_methods'. is not",
    'os.system': r'outside the safe list \(posix.system\)',
    'builtins.eval': r'outside the safe list \(builtins.eval\)',
    'nested getattr chain': "getattr.str, '__globals__'. is not allowed",
    'extra state key': r"unexpected keys \['__dict__'\]",
    'object array as history': 'ObjectDType',
}


@pytest.mark.parametrize('name', list(CRAFTED))
def test_crafted_pickle_is_refused_without_changing_state(tmp_path, name):
    before = dict(HistoryBuffer._statistics_methods)
    path = str(tmp_path / 'crafted.pth')
    torch.save({'message_hub': {'log_scalars': {'x': CRAFTED[name]}}}, path)
    with pytest.raises(InputError, match=f'crafted.pth .*{REASONS[name]}') as info:
        _load_checkpoint(path)
    assert '\n' not in str(info.value)
    assert HistoryBuffer._statistics_methods == before
    assert all(v is before[k] for k, v in HistoryBuffer._statistics_methods.items())
    assert not hasattr(HistoryBuffer, 'statistics_methods')


class _Numpy1Pickler(pickle.Pickler):
    """Writes the pickle numpy 1.x writes: ``numpy.core`` instead of ``numpy._core``."""

    def __init__(self, file, protocol=None):
        self._out, self._buf = file, io.BytesIO()
        super().__init__(self._buf, protocol)

    def dump(self, obj):
        super().dump(obj)
        self._out.write(self._buf.getvalue().replace(b'numpy._core.', b'numpy.core.'))


class _Numpy1PickleModule:
    Pickler = _Numpy1Pickler


def _mmengine_checkpoint_numpy1(path):
    """An OpenMMLab 2.x checkpoint as numpy 1.x writes it (message_hub included)."""
    buffer = HistoryBuffer([0.5, 0.25], [1, 1])
    torch.save({
        'meta': {'mmdet_version': '3.0.0', 'epoch': 12, 'seed': np.int64(7),
                 'dataset_meta': {'classes': ('Normal', )}},
        'state_dict': {'weight': torch.ones(2, 2)},
        'message_hub': {'log_scalars': {'train/loss': buffer},
                        'runtime_info': {'best_score': np.float32(0.75),
                                         'cm': np.eye(2, dtype=np.uint8),
                                         'dtype': np.dtype('int16')}},
    }, path, pickle_module=_Numpy1PickleModule)


def test_numpy1_written_checkpoint_loads(tmp_path):
    path = str(tmp_path / 'numpy1.pth')
    _mmengine_checkpoint_numpy1(path)
    before = dict(HistoryBuffer._statistics_methods)
    state = _load_checkpoint(path)
    hub = state['message_hub']
    buffer = hub['log_scalars']['train/loss']
    assert type(buffer) is HistoryBuffer and buffer.mean() == 0.375 and buffer.current() == 0.25
    assert buffer.data[0].tolist() == [0.5, 0.25] and buffer.max_length == 1000000
    assert hub['runtime_info']['best_score'] == np.float32(0.75)
    assert hub['runtime_info']['cm'].dtype == np.uint8 and hub['runtime_info']['cm'][1, 1] == 1
    assert hub['runtime_info']['dtype'] == np.dtype('int16')
    assert state['meta']['seed'] == 7
    assert HistoryBuffer._statistics_methods == before


def test_official_checkpoint_layout_needs_mmext(tmp_path):
    """The same file does not load with torch's own allowlist: mmext's makes it load."""
    path = str(tmp_path / 'numpy1.pth')
    _mmengine_checkpoint_numpy1(path)
    code = ('import sys, torch\ntry:\n torch.load(sys.argv[1], weights_only=True)\n'
            'except Exception as e:\n print(type(e).__name__)')
    out = subprocess.run([sys.executable, '-c', code, path], capture_output=True, text=True)
    assert out.stdout.strip() == 'UnpicklingError'
    assert _load_checkpoint(path)['meta']['epoch'] == 12


def test_legacy_format_message(tmp_path):
    path = str(tmp_path / 'old.pth')
    torch.save({'meta': {'payload': Payload(3)}}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(InputError, match=r'legacy \(non-zip\) checkpoint .*old.pth holds types '
                       r'outside the safe list .*Payload.*--trust-checkpoint'):
        _load_checkpoint(path)
    legacy_ok = str(tmp_path / 'old_ok.pth')
    torch.save({'state_dict': {'w': torch.zeros(3)}, 'meta': {'x': np.arange(3)}}, legacy_ok,
               _use_new_zipfile_serialization=False)
    assert _load_checkpoint(legacy_ok)['meta']['x'].tolist() == [0, 1, 2]


def test_truncated_checkpoint_message(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': {'w': torch.zeros(100)}}, str(path))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match='checkpoint .*cut.pth is truncated or damaged'):
        _load_checkpoint(str(path))
