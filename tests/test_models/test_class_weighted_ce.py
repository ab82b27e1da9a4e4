import numpy as np
import pytest
import torch
import torch.nn.functional as F

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.models.losses import class_weights_from_counts
from mmpretrain.registry import MODELS


def test_weights_from_counts():
    w = class_weights_from_counts([100, 25, 0], 'inverse')
    # proportional to 1/n, mean weight over the training samples is 1, absent class 0
    assert w[1] / w[0] == pytest.approx(4.0) and w[2] == 0
    assert (w * [100, 25, 0]).sum() == pytest.approx(125)
    ws = class_weights_from_counts([100, 25], 'sqrt')
    assert ws[1] / ws[0] == pytest.approx(2.0)


def test_loss_matches_weighted_cross_entropy():
    loss = MODELS.build(dict(type='ClassWeightedCrossEntropyLoss', weighting='inverse'))
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 3), torch.tensor([0, 0, 0, 1, 2, 2])
    with pytest.raises(RuntimeError, match='ClassCountsHook'):
        loss(logits, labels)
    loss.set_class_counts(np.array([30, 10, 20]))
    w = torch.tensor(class_weights_from_counts([30, 10, 20]), dtype=torch.float32)
    expected = F.cross_entropy(logits, labels, weight=w, reduction='none').mean()
    assert loss(logits, labels).item() == pytest.approx(expected.item(), rel=1e-6)
    with pytest.raises(RuntimeError, match='2 class counts for 3 classes'):
        loss.set_class_counts([1, 2])
        loss(logits, labels)


def test_rejects_fixed_weights():
    with pytest.raises(ValueError, match='class_weight'):
        MODELS.build(dict(type='ClassWeightedCrossEntropyLoss', class_weight=[1, 2]))
    with pytest.raises(ValueError, match='weighting'):
        MODELS.build(dict(type='ClassWeightedCrossEntropyLoss', weighting='log'))
