"""Sliced Mask R-CNN: tiles' instances merged across seams by mask overlap."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils
from scipy import ndimage

from mmext.models.utils import tile_spans
from mmext.models.utils.tile_merge import merge_pieces, piece_from_mask
from mmext.registry import DET_MODELS

ROOT = Path(__file__).resolve().parents[2]
NATIVE = ROOT / 'configs/particles/mask-rcnn_r18-thin_fpn_1xb2-1200i_particles-native.py'


def disk(shape, cy, cx, r):
    yy, xx = np.ogrid[:shape[0], :shape[1]]
    return (yy - cy)**2 + (xx - cx)**2 <= r * r


def scene(shape=(300, 220), seed=0):
    """Particles of one image: touching ones, tiny (2 px) and one larger than a tile's
    overlap, across the seams of 96 px tiles overlapping by 24 px (no sliver of a few
    pixels left between touching ones: the merge rule is for masks, not single pixels)."""
    rng = np.random.default_rng(seed)
    masks, taken = [], np.zeros(shape, bool)

    def add(m, min_area=30):
        m = m & ~taken
        if m.sum() >= min(min_area, (m | taken).sum()):
            taken[m] = True
            masks.append(m)

    add(disk(shape, 150, 110, 45))  # huge: spans several tiles
    add(disk(shape, 40, 72, 12))
    add(disk(shape, 40, 96, 12))  # touches the one before, across the x = 72..96 overlap
    for _ in range(60):
        add(disk(shape, rng.integers(0, shape[0]), rng.integers(0, shape[1]),
                 rng.integers(1, 9)))
    return np.stack(masks)


def tiles_of(shape, tile, overlap):
    return [(x0, y0, x1, y1) for y0, y1, _, _ in tile_spans(shape[0], tile, overlap)
            for x0, x1, _, _ in tile_spans(shape[1], tile, overlap)]


def oracle_pieces(masks, rects, grow=0):
    """What a perfect detector finds on each tile: every particle clipped to it
    (``grow`` px wider where a tile's edge cuts it, as a real model's cut masks may be)."""
    pieces = []
    for t, (x0, y0, x1, y1) in enumerate(rects):
        for m in masks:
            crop = m[y0:y1, x0:x1].copy()
            if grow and crop.any() and crop.sum() < m.sum():
                crop |= ndimage.binary_dilation(crop, iterations=grow)
            p = piece_from_mask(crop, x0, y0, score=float(m.sum()), label=0, tile=t)
            if p is not None:
                pieces.append(p)
    return pieces


def full(inst, shape):
    out = np.zeros(shape, bool)
    x0, y0, x1, y1 = inst.box
    out[y0:y1, x0:x1] = inst.mask
    return out


def matched_ious(pred_masks, gt_masks):
    pred = mask_utils.encode(np.asfortranarray(np.stack(pred_masks).transpose(1, 2, 0)
                                               .astype(np.uint8)))
    gt = mask_utils.encode(np.asfortranarray(gt_masks.transpose(1, 2, 0).astype(np.uint8)))
    return np.asarray(mask_utils.iou(pred, gt, [0] * len(gt))).reshape(len(pred), len(gt))


def test_merging_a_perfect_tiling_gives_back_every_particle_exactly():
    masks = scene()
    rects = tiles_of(masks.shape[1:], 96, 24)
    pieces = oracle_pieces(masks, rects)
    assert len(pieces) > len(masks) + 20  # many particles were seen by several tiles
    merged = merge_pieces(pieces, rects)
    assert len(merged) == len(masks)
    ious = matched_ious([full(m, masks.shape[1:]) for m in merged], masks)
    assert np.allclose(ious.max(axis=0), 1.0)  # the huge one, the touching pair, the 2 px
    assert np.count_nonzero(ious > 0) == len(masks)  # no instance covers two particles


def test_cut_masks_that_overreach_still_merge_and_touching_particles_stay_apart():
    masks = scene(seed=1)
    rects = tiles_of(masks.shape[1:], 96, 24)
    merged = merge_pieces(oracle_pieces(masks, rects, grow=1), rects)
    assert len(merged) == len(masks)
    ious = matched_ious([full(m, masks.shape[1:]) for m in merged], masks)
    # one instance per particle (a 1 px wider rim costs a small disk's IoU ~0.3)
    assert (ious > 0.5).sum(axis=0).tolist() == [1] * len(masks)
    assert (ious > 0.5).sum(axis=1).tolist() == [1] * len(merged)


def test_pieces_of_unrelated_particles_in_one_overlap_are_not_merged():
    shape = (64, 120)
    rects = tiles_of(shape, 64, 24)  # two tiles, overlapping at x 56..64
    a, b = disk(shape, 32, 60, 6), disk(shape, 32, 60, 6) & (np.arange(120) >= 60)
    # tile 0 sees a whole, tile 1 sees only its right half as a separate particle
    pieces = [piece_from_mask(a[:, 0:64], 0, 0, 0.9, 0, 0),
              piece_from_mask(np.roll(b, 20, axis=0)[:, 56:120], 56, 0, 0.8, 0, 1)]
    assert len(merge_pieces(pieces, rects)) == 2


@pytest.fixture(scope='module')
def model():
    cfg = Config.fromfile(str(NATIVE)).model
    cfg.type = 'SlicedMaskRCNN'
    cfg.test_cfg.update(tile_size=96, tile_overlap=24, size_divisor=32)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):  # no scope left to later tests
        return DET_MODELS.build(cfg).eval()


def _batch(height, width, seed=0):
    """A preprocessed-like input (padded to 32) and its sample."""
    from mmdet.structures import DetDataSample
    torch.manual_seed(seed)
    inputs = torch.randn(1, 3, height + (-height % 32), width + (-width % 32))
    meta = dict(img_shape=(height, width), ori_shape=(height, width),
                pad_shape=tuple(inputs.shape[-2:]), batch_input_shape=tuple(inputs.shape[-2:]),
                scale_factor=(1.0, 1.0))
    return inputs, [DetDataSample(metainfo=meta)]


def test_an_image_within_a_tile_gets_mask_rcnns_own_prediction(model):
    from mmdet.models.detectors import MaskRCNN
    inputs, samples = _batch(90, 70)
    with torch.no_grad():
        ours = model.predict(inputs, copy.deepcopy(samples))[0].pred_instances
        plain = MaskRCNN.predict(model, inputs, copy.deepcopy(samples))[0].pred_instances
    assert torch.equal(ours.bboxes, plain.bboxes) and torch.equal(ours.masks, plain.masks)


@pytest.mark.parametrize('max_bitmap_pixels', [2**30, 1])  # bitmaps, then RLEs
def test_a_large_image_is_predicted_tile_by_tile_and_merged(model, monkeypatch,
                                                           max_bitmap_pixels):
    masks = scene()
    height, width = masks.shape[1:]
    origins = iter([(y0, x0) for y0, _, _, _ in tile_spans(height, 96, 24)
                    for x0, _, _, _ in tile_spans(width, 96, 24)])
    padded = []

    def perfect_tile(inputs, h, w):  # finds every particle of the tile, clipped to it
        y0, x0 = next(origins)
        padded.append(tuple(inputs.shape[-2:]))
        clipped = masks[:, y0:y0 + h, x0:x0 + w]
        keep = clipped.reshape(len(masks), -1).any(axis=1)
        found = InstanceData()
        found.masks = torch.from_numpy(clipped[keep])
        found.scores = torch.from_numpy(masks[keep].sum(axis=(1, 2)) / masks[0].size).float()
        found.labels = torch.zeros(int(keep.sum()), dtype=torch.long)
        return found

    monkeypatch.setattr(model, 'predict_tile', perfect_tile)
    monkeypatch.setitem(model.test_cfg, 'max_bitmap_pixels', max_bitmap_pixels)
    inputs, samples = _batch(height, width)
    found = model.predict(inputs, samples)[0].pred_instances
    if max_bitmap_pixels == 1:
        assert isinstance(found.masks, list) and found.masks[0]['size'] == [height, width]
        pred = [mask_utils.decode(r).astype(bool) for r in found.masks]
    else:
        assert tuple(found.masks.shape) == (len(masks), height, width)
        pred = list(found.masks.numpy())
    assert len(pred) == len(masks) == len(found.bboxes)
    assert np.allclose(matched_ious(pred, masks).max(axis=0), 1.0)
    assert (found.scores[:-1] >= found.scores[1:]).all()
    assert len(padded) == 4 * 3 and set(padded) == {(96, 96)}  # tiles padded to 32


def test_six_hundred_touching_particles_across_many_seams_stay_six_hundred():
    shape = (500, 500)
    yy, xx = np.ogrid[:shape[0], :shape[1]]
    masks = np.stack([disk(shape, cy, cx, 11) & (np.abs(xx - cx) <= 9) & (np.abs(yy - cy) <= 9)
                      for cy in range(10, 490, 20) for cx in range(10, 490, 20)])
    assert len(masks) == 576 and masks.sum(axis=0).max() == 1  # touching, never overlapping
    rects = tiles_of(shape, 128, 32)
    merged = merge_pieces(oracle_pieces(masks, rects), rects)
    assert len(merged) == len(masks)
    ious = matched_ious([full(m, shape) for m in merged], masks)
    assert np.allclose(ious.max(axis=0), 1.0)
