"""PatchGridClassifier: a covering grid of patches, probabilities averaged."""
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.models.classifiers import grid_starts


def test_grid_starts_cover_the_image():
    assert grid_starts(160, 48, 48) == [0, 37, 75, 112]
    assert grid_starts(96, 48, 48) == [0, 48]
    assert grid_starts(40, 48, 48) == [0]  # smaller than a patch: one (smaller) patch
    for length, patch, stride in [(645, 224, 224), (484, 224, 100), (97, 32, 32)]:
        starts = grid_starts(length, patch, stride)
        assert starts[0] == 0 and starts[-1] == length - patch
        assert max(b - a for a, b in zip(starts, starts[1:])) <= stride


def _model():
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='PatchGridClassifier', patch_size=16,
        backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64)))
    return model.eval()


def test_predict_averages_the_patch_probabilities_within_img_shape():
    model = _model()
    img = torch.randn(3, 40, 24)
    padded = torch.zeros(2, 3, 48, 32)  # batch padded to the larger image
    padded[0, :, :40, :24] = img
    padded[1] = torch.randn(3, 48, 32)
    samples = [DataSample(metainfo=dict(img_shape=(40, 24))),
               DataSample(metainfo=dict(img_shape=(48, 32)))]
    with torch.no_grad():
        preds = model.predict(padded, samples)
        # oracle: each patch through the plain network, by hand
        crops = [img[:, y:y + 16, x:x + 16] for y in (0, 12, 24) for x in (0, 8)]
        expected = torch.stack([model.head(model.extract_feat(c[None]))[0].softmax(0)
                                for c in crops]).mean(0)
    assert torch.allclose(preds[0].pred_score, expected, atol=1e-5)
    assert preds[0].pred_label.item() == expected.argmax().item()
    # same-shape batch (patch-major order) gives the same scores as one image at a time
    batch = torch.stack([padded[1], padded[1].flip(-1)])
    with torch.no_grad():
        both = model.predict(batch, [DataSample(metainfo=dict(img_shape=(48, 32)))
                                     for _ in range(2)])
        alone = model.predict(batch[1:], [DataSample(metainfo=dict(img_shape=(48, 32)))])
    assert torch.allclose(both[1].pred_score, alone[0].pred_score, atol=1e-5)
    assert torch.allclose(both[0].pred_score, preds[1].pred_score, atol=1e-5)
