import torch
from torch import nn

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


def build_head(**kwargs):
    cfg = dict(type='StackedBNDropoutClsHead', num_classes=3, in_channels=8,
               mid_channels=[6, 5], dropout_rate=0.5, input_dropout_rate=0.2, topk=(1, ))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_layers_bn_and_dropout_between():
    head = build_head()
    assert [type(m) for m in head.input_block] == [nn.BatchNorm1d, nn.Dropout]
    for block, width in zip(head.layers[:-1], (6, 5)):
        assert isinstance(block.norm, nn.BatchNorm1d) and block.norm.num_features == width
        assert isinstance(block.dropout, nn.Dropout) and block.dropout.p == 0.5
    assert head.fc.fc.out_features == 3 and head.fc.dropout is None


def test_forward_shapes_and_loss():
    torch.manual_seed(0)
    head = build_head()
    feats = (torch.randn(4, 8), )
    assert head(feats).shape == (4, 3)
    assert head.pre_logits(feats).shape == (4, 5)
    samples = [DataSample().set_gt_label(i % 3) for i in range(4)]
    loss = head.loss(feats, samples)['loss']
    assert loss.ndim == 0 and loss.item() > 0
    head.eval()  # dropout off, BN running stats: deterministic
    assert torch.equal(head(feats), head(feats))


def test_input_block_optional():
    head = build_head(input_norm=False, input_dropout_rate=0.)
    assert len(head.input_block) == 0
    assert head((torch.randn(2, 8), )).shape == (2, 3)
