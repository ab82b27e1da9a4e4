"""A checkpoint must fit its model (mmext.engine.checkpoint_fit): the check, its one-line
messages, and fine-tuning through ``tools/train.py`` with ``load_from`` and a new head."""
import importlib.util
import logging
from pathlib import Path

import pytest
import torch
from mmengine.model import BaseTTAModel
from torch import nn

from mmext.engine.checkpoint_fit import (checkpoint_fit, fit_for_finetuning, load_checked,
                                         require_fit)
from mmext.testing import load_tool
from mmext.utils import InputError

ROOT = Path(__file__).resolve().parents[2]


class _Net(nn.Sequential):

    def test_step(self, data):
        return self(data)


def _net(classes=2):
    torch.manual_seed(0)
    return _Net(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(),
                         nn.Linear(4, classes))


def test_fit_keys_and_shapes():
    model = _net(2)
    assert checkpoint_fit(model, {'state_dict': _net(2).state_dict()}).ok
    state = _net(3).state_dict()
    state['extra.weight'] = torch.zeros(1)
    del state['0.bias'], state['1.num_batches_tracked']  # the latter is never required
    fit = checkpoint_fit(model, state)
    assert fit.missing == ['0.bias'] and fit.unexpected == ['extra.weight']
    assert fit.mismatched == [('3.weight', (3, 4), (2, 4)), ('3.bias', (3, ), (2, ))]


def test_fit_sees_through_module_prefix_and_tta_wrapper():
    state = {f'module.{k}': v for k, v in _net().state_dict().items()}  # a DDP-saved file

    class TTA(BaseTTAModel):
        def merge_preds(self, data_samples_list):
            return data_samples_list

    assert checkpoint_fit(TTA(module=_net()), state).ok


def test_require_fit_is_one_line():
    with pytest.raises(InputError) as info:
        require_fit(_net(2), _net(7).state_dict(), 'other.pth')
    text = str(info.value)
    assert '\n' not in text
    assert text.startswith('checkpoint other.pth does not fit the model of the config '
                           '(shape mismatch: 3.weight is [7, 4] in the checkpoint vs [2, 4] '
                           'in the config; 3.bias is [7] in the checkpoint vs [2]')


def test_load_checked_loads_or_refuses(tmp_path):
    source, target = _net(), _net()
    nn.init.constant_(source[3].weight, 0.5)
    torch.save({'state_dict': source.state_dict()}, str(tmp_path / 'ok.pth'))
    load_checked(target, str(tmp_path / 'ok.pth'))
    assert torch.equal(target[3].weight, source[3].weight)
    torch.save({'state_dict': _net(3).state_dict()}, str(tmp_path / 'bad.pth'))
    before = target[0].weight.clone()
    with pytest.raises(InputError, match='bad.pth does not fit'):
        load_checked(target, str(tmp_path / 'bad.pth'))
    assert torch.equal(target[0].weight, before)  # nothing loaded


def test_finetuning_keeps_initial_weights_of_misfits(caplog):
    model = _net(2)
    checkpoint = {'state_dict': dict(_net(3).state_dict(), extra=torch.zeros(1))}
    del checkpoint['state_dict']['1.running_var']
    with caplog.at_level(logging.WARNING, logger='checkpoint_fit_test'):
        fit_for_finetuning(model, checkpoint, 'in1k.pth',
                           logger=logging.getLogger('checkpoint_fit_test'))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and '\n' not in lines[0]
    assert ('load_from in1k.pth: 3 key(s) re-initialised, 1 ignored (shape mismatch: '
            '3.weight is [3, 4] in the checkpoint vs [2, 4] in the config') in lines[0]
    assert '1 key(s) missing: 1.running_var' in lines[0]
    assert checkpoint_fit(model, checkpoint).ok  # mmengine then loads it without a warning
    assert torch.equal(checkpoint['state_dict']['3.weight'], model[3].weight.detach())


def test_finetuning_leaves_checkpoints_to_models_that_adapt_them(caplog):
    """A model that adapts what it loads (here a pre-hook, as ViT's pos_embed resize)
    gets the checkpoint as it is: the misfit may be its to fix."""
    model = _net(2)
    model[3]._register_load_state_dict_pre_hook(lambda *args: None)
    checkpoint = {'state_dict': _net(3).state_dict()}
    with caplog.at_level(logging.WARNING, logger='checkpoint_fit_test'):
        fit_for_finetuning(model, checkpoint, 'vit.pth',
                           logger=logging.getLogger('checkpoint_fit_test'))
    assert checkpoint['state_dict']['3.weight'].shape == (3, 4)  # untouched
    [record] = caplog.records
    assert "2 key(s) do not fit, 0 unexpected, left to the model's own loading" in \
        record.getMessage()


def _matrix():
    path = ROOT / 'tests' / 'test_tools' / 'test_bad_input_matrix.py'
    spec = importlib.util.spec_from_file_location('_matrix_for_fit', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_train_load_from_with_new_head_says_which_keys(tmp_path, capsys):
    matrix = _matrix()
    cfg = tmp_path / 'finetune_new_head.py'  # its own logger: the name is the run's
    cfg.write_text(matrix._cls_data(tmp_path).read_text())
    matrix._cls_ckpt(tmp_path / 'three.pth', num_classes=3)
    load_tool('train').main([str(cfg), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                             f'load_from={tmp_path / "three.pth"}'])
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines()
             if 're-initialised' in line]
    assert len(lines) == 1, captured.out[-2000:]
    assert 'three.pth: 2 key(s) re-initialised, 0 ignored (shape mismatch: head.fc.weight ' \
           'is [3, 64] in the checkpoint vs [2, 64] in the config (head.num_classes=2)' \
           in lines[0]
    assert (tmp_path / 'work' / 'iter_1.pth').is_file()
    log = next((tmp_path / 'work').rglob('*.log')).read_text()
    assert log.count('re-initialised') == 1
    assert 'do not match exactly' not in log  # mmengine's multi-line warning
