"""Bottom-up particle model: distance target, watershed instances, tiling, the detector."""
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from mmext.datasets.transforms.distance_target import (DISTANCE_SCALE,
                                                       GenerateDistanceTarget,
                                                       instance_distance_map)
from mmext.structures.rle import encode_label_map, encode_masks
from mmext.models.utils import instances_from_maps, tile_spans, tiled_forward


def disk(shape, cy, cx, r):
    yy, xx = np.ogrid[:shape[0], :shape[1]]
    return (yy - cy)**2 + (xx - cx)**2 <= r * r


def touching_pair(shape=(64, 96)):
    """Two disks of radius 14 whose edges touch along x = 48."""
    return np.stack([disk(shape, 32, 34, 14), disk(shape, 32, 62, 14)]) & np.stack(
        [np.arange(shape[1]) < 48, np.arange(shape[1]) >= 48])[:, None, :]


def particle_grid(shape, radius, spacing, jitter=0, seed=0):
    """Disks on a grid, neighbours touching or nearly so (spacing ~ 2 radius)."""
    rng = np.random.default_rng(seed)
    masks = []
    taken = np.zeros(shape, bool)
    for cy in range(radius + 1, shape[0] - radius - 1, spacing):
        for cx in range(radius + 1, shape[1] - radius - 1, spacing):
            r = radius + (rng.integers(-jitter, jitter + 1) if jitter else 0)
            m = disk(shape, cy, cx, r) & ~taken
            taken |= m
            masks.append(m)
    return np.stack(masks)


def ideal_maps(masks):
    """The maps a perfect network would output for ``masks``."""
    dist = instance_distance_map(masks, masks.shape[1:])
    return (dist > 0).astype(np.float32), dist


def best_ious(found_labels, masks):
    """Each ground-truth mask's best IoU with a found instance."""
    pred = encode_label_map(found_labels.labels, found_labels.boxes)
    gt = encode_masks(masks)
    ious = np.asarray(mask_utils.iou(pred, gt, [0] * len(gt))).reshape(len(pred), len(gt))
    return ious.max(axis=0)


def test_distance_map_is_one_at_each_core_and_low_where_particles_touch():
    masks = touching_pair()
    dist = instance_distance_map(masks, masks.shape[1:])
    assert dist.max() == pytest.approx(1.0)
    # each instance peaks at 1 (normalised per instance, whatever its size)
    assert dist[masks[0]].max() == pytest.approx(1.0)
    assert dist[masks[1]].max() == pytest.approx(1.0)
    # the seam between the two: at most 1 px from an edge of 14 px radius
    assert dist[32, 47] <= 1.5 / 14 and dist[32, 48] <= 1.5 / 14
    assert (dist[~masks.any(0)] == 0).all()


def test_distance_map_boxes_only_narrow_the_search():
    masks = particle_grid((80, 80), 6, 13, jitter=2)
    boxes = []
    for m in masks:  # x1 y1 x2 y2 as mmdet rounds them (inclusive ends)
        xs, ys = np.nonzero(m.any(0))[0], np.nonzero(m.any(1))[0]
        boxes.append([xs[0], ys[0], xs[-1], ys[-1]])
    np.testing.assert_array_equal(instance_distance_map(masks, (80, 80), np.array(boxes)),
                                  instance_distance_map(masks, (80, 80)))


def test_generate_distance_target_writes_uint8_seg_map():
    from mmdet.structures.mask import BitmapMasks
    masks = touching_pair()
    results = dict(img=np.zeros((64, 96, 3), np.uint8),
                   gt_masks=BitmapMasks(masks.astype(np.uint8), 64, 96))
    out = GenerateDistanceTarget()(results)
    seg = out['gt_seg_map']
    assert seg.dtype == np.uint8 and seg.shape == (64, 96)
    assert seg.max() == DISTANCE_SCALE and (seg[~masks.any(0)] == 0).all()
    assert 'gt_seg_map' in out['seg_fields']
    with pytest.raises(KeyError, match='LoadAnnotations'):
        GenerateDistanceTarget()(dict(img=np.zeros((4, 4, 3), np.uint8)))


def test_watershed_splits_touching_particles():
    masks = touching_pair()
    found = instances_from_maps(*ideal_maps(masks))
    assert len(found.scores) == 2
    assert best_ious(found, masks).min() > 0.95


def test_watershed_recovers_600_touching_particles():
    masks = particle_grid((256, 300), 5, 10, jitter=1)  # neighbours touch or nearly
    assert len(masks) >= 500
    found = instances_from_maps(*ideal_maps(masks), max_per_img=2000)
    assert len(found.scores) == len(masks)
    assert np.median(best_ious(found, masks)) > 0.9
    assert (best_ious(found, masks) > 0.5).all()


def test_watershed_keeps_tiny_and_huge_particles():
    shape = (400, 400)
    masks = np.stack([disk(shape, 200, 200, 150), disk(shape, 20, 20, 1),
                      disk(shape, 380, 20, 2)])
    found = instances_from_maps(*ideal_maps(masks), min_area=4)
    assert len(found.scores) == 3  # the 5 px (r=1) and 13 px (r=2) specks included
    assert best_ious(found, masks).min() > 0.9
    # min_area drops the speck of 5 px
    assert len(instances_from_maps(*ideal_maps(masks), min_area=6).scores) == 2


def test_watershed_scores_thresholds_and_limits():
    masks = touching_pair()
    fg, dist = ideal_maps(masks)
    fg[masks[1]] = 0.6  # a less certain second particle
    found = instances_from_maps(fg, dist)
    assert found.scores[0] == pytest.approx(1.0) and found.scores[1] == pytest.approx(0.6)
    assert (found.labels[masks[0]] == 1).all()  # labels follow the score order
    assert len(instances_from_maps(fg, dist, score_thr=0.7).scores) == 1
    assert len(instances_from_maps(fg, dist, max_per_img=1).scores) == 1
    empty = instances_from_maps(np.zeros((8, 8), np.float32), np.zeros((8, 8), np.float32))
    assert empty.boxes.shape == (0, 4) and empty.labels.max() == 0


def test_boxes_match_masks_exactly():
    masks = particle_grid((90, 70), 7, 15, jitter=3, seed=2)
    found = instances_from_maps(*ideal_maps(masks))
    for i, (x0, y0, x1, y1) in enumerate(found.boxes.astype(int)):
        ys, xs = np.nonzero(found.labels == i + 1)
        assert (x0, y0, x1, y1) == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)


def test_label_map_rles_equal_dense_encoding():
    masks = particle_grid((90, 70), 7, 15, jitter=3, seed=2)
    found = instances_from_maps(*ideal_maps(masks))
    dense = np.stack([found.labels == i + 1 for i in range(len(found.scores))])
    assert encode_label_map(found.labels, found.boxes) == encode_masks(dense)


@pytest.mark.parametrize('size,tile,overlap', [((200, 330), 64, 16), ((64, 65), 64, 8),
                                               ((97, 40), 32, 12)])
def test_tile_spans_partition_the_image(size, tile, overlap):
    for length in size:
        spans = tile_spans(length, tile, overlap)
        owned = np.zeros(length, int)
        for start, end, own0, own1 in spans:
            assert end - start == min(tile, length) and 0 <= start and end <= length
            assert start <= own0 < own1 <= end
            owned[own0:own1] += 1
            # kept outputs are at least overlap // 2 from a seam inside the image
            if start > 0:
                assert own0 - start >= overlap // 2
            if end < length:
                assert end - own1 >= overlap // 2
        assert (owned == 1).all()


def test_tiled_forward_equals_whole_image_for_a_short_receptive_field():
    torch.manual_seed(0)
    # three 3x3 convs: a receptive field reaching 3 px, under overlap // 2 = 8
    net = torch.nn.Sequential(*[torch.nn.Conv2d(c, 4, 3, padding=1) for c in (3, 4, 4)])
    x = torch.randn(2, 3, 150, 230)
    with torch.no_grad():
        whole = net(x)
        tiled = tiled_forward(net, x, tile_size=64, overlap=16)
    assert tiled.shape == whole.shape
    torch.testing.assert_close(tiled, whole, rtol=1e-5, atol=1e-5)
    # without overlap the seams differ (the zero padding at tile edges)
    with torch.no_grad():
        seamed = tiled_forward(net, x, tile_size=64, overlap=0)
    assert not torch.allclose(seamed, whole, atol=1e-3)
    with pytest.raises(ValueError, match='smaller than the tile'):
        tiled_forward(net, x, tile_size=64, overlap=64)


def _model(**test_cfg):
    from mmengine.registry import init_default_scope

    from mmext.registry import DET_MODELS
    init_default_scope('mmdet')  # the data preprocessor is mmdet's
    return DET_MODELS.build(dict(
        type='DistanceWatershed',
        data_preprocessor=dict(type='DetDataPreprocessor', pad_size_divisor=32,
                               pad_seg=True, seg_pad_value=255),
        backbone=dict(type='ParticleUNet', base_channels=4, num_stages=3),
        test_cfg=test_cfg))


def _sample(shape, masks=None, ori_shape=None):
    from mmdet.structures import DetDataSample
    from mmengine.structures import PixelData
    sample = DetDataSample(metainfo=dict(img_shape=shape, ori_shape=ori_shape or shape,
                                         scale_factor=(1.0, 1.0)))
    if masks is not None:
        seg = np.rint(instance_distance_map(masks, shape) * DISTANCE_SCALE).astype(np.uint8)
        sample.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(seg)[None])
    return sample


def test_detector_loss_ignores_padding_and_backpropagates():
    model = _model()
    masks = touching_pair((64, 96))
    data = model.data_preprocessor(dict(
        inputs=[torch.randint(0, 255, (3, 64, 96), dtype=torch.uint8),
                torch.randint(0, 255, (3, 50, 70), dtype=torch.uint8)],
        data_samples=[_sample((64, 96), masks), _sample((50, 70), touching_pair((50, 70)))]),
        training=True)
    assert data['inputs'].shape[-2:] == (64, 96)
    # the smaller image's target is padded with the ignore value
    assert (data['data_samples'][1].gt_sem_seg.sem_seg[0, 50:] == 255).all()
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_fg', 'loss_dist'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.head.weight.grad.abs().sum() > 0
    with pytest.raises(KeyError, match='GenerateDistanceTarget'):
        model.loss(data['inputs'], [_sample((64, 96)), _sample((64, 96))])


def test_detector_predicts_at_the_original_size_tiled_and_as_rles_when_large():
    model = _model().eval()
    # a network whose output is known: the ideal maps of a grid of particles
    masks = particle_grid((96, 128), 9, 19, seed=1)
    fg, dist = ideal_maps(masks)
    known = torch.logit(torch.from_numpy(np.stack([fg, dist])).clamp(1e-4, 1 - 1e-4))[None]
    model.extract_feat = lambda x: known
    out = model.predict(torch.zeros(1, 3, 96, 128), [_sample((96, 128))])[0].pred_instances
    assert len(out) == len(masks)
    assert out.masks.shape == (len(masks), 96, 128) and out.masks.dtype == torch.bool
    assert out.labels.eq(0).all() and out.bboxes.shape == (len(masks), 4)
    assert (best_ious(instances_from_maps(fg, dist), masks) > 0.95).all()
    # the same instances as RLEs past max_bitmap_pixels
    model.test_cfg['max_bitmap_pixels'] = 10
    rles = model.predict(torch.zeros(1, 3, 96, 128), [_sample((96, 128))])[0].pred_instances
    assert rles.masks == encode_masks(out.masks)
    # a resized input: maps go back to ori_shape before the watershed
    model.test_cfg['max_bitmap_pixels'] = 2**30
    big = model.predict(torch.zeros(1, 3, 96, 128),
                        [_sample((96, 128), ori_shape=(192, 256))])[0].pred_instances
    assert big.masks.shape[-2:] == (192, 256) and len(big) == len(masks)
    # an image larger than a tile runs tile by tile
    calls = []
    model.extract_feat = lambda x: (calls.append(tuple(x.shape[-2:])),
                                    torch.zeros(x.shape[0], 2, *x.shape[-2:]))[1]
    model.test_cfg.update(tile_size=64, tile_overlap=16)
    model.predict(torch.zeros(1, 3, 96, 128), [_sample((96, 128))])
    assert len(calls) == 6 and set(calls) == {(64, 64)}


def test_standardize_image_uses_the_whole_image():
    from mmext.datasets.transforms import StandardizeImage
    img = np.zeros((20, 30, 3), np.uint8)
    img[:, 15:] = 200  # half dark, half bright
    out = StandardizeImage()(dict(img=img))['img']
    assert out.dtype == np.float32
    assert out.mean() == pytest.approx(0, abs=1e-5) and out.std() == pytest.approx(1, abs=1e-5)
    assert out[0, 0, 0] == pytest.approx(-1) and out[0, -1, 0] == pytest.approx(1)
    flat = StandardizeImage()(dict(img=np.full((4, 4, 3), 7, np.uint8)))['img']
    assert (flat == 0).all()  # a constant image: no division by zero
