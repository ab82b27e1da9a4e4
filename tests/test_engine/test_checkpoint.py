import glob
import os.path as osp
import pickle
from urllib.error import URLError

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


def test_getattr_in_checkpoint_is_limited_to_history_buffer(tmp_path):

    class Sneaky:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = str(tmp_path / 'sneaky.pth')
    torch.save({'x': Sneaky()}, path)
    with pytest.raises(pickle.UnpicklingError, match="getattr.*'__init__'.* not allowed"):
        torch.load(path, weights_only=True)


def test_official_checkpoint_layout_loads(tmp_path):
    """OpenMMLab model-zoo files: meta (versions, classes, config text) + state_dict."""
    from collections import OrderedDict
    path = str(tmp_path / 'mask_rcnn_r50_fpn_1x_coco.pth')
    torch.save({
        'meta': {'mmdet_version': '3.0.0', 'mmcv_version': '2.0.0', 'epoch': 12,
                 'CLASSES': ('person', 'bicycle'), 'config': "model = dict(type='MaskRCNN')",
                 'dataset_meta': {'classes': ('person', 'bicycle'),
                                  'palette': [(220, 20, 60), (119, 11, 32)]}},
        'state_dict': OrderedDict(weight=torch.ones(2, 2)),
    }, path)
    state = _load_checkpoint(path)
    assert state['meta']['CLASSES'] == ('person', 'bicycle')
    assert torch.equal(state['state_dict']['weight'], torch.ones(2, 2))
