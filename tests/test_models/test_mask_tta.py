"""MaskTTAModel: flips undone on masks, views merged (fusion / union / nms / concat)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.models.tta import MaskTTAModel, merge_instances, unflip_masks
from mmext.testing import merge_instances_dense

H, W = 24, 32


class _Stub(torch.nn.Module):
    """What BaseTTAModel wraps: anything with ``test_step``."""

    def test_step(self, data):
        return data


def _disc(cx, cy, r):
    yy, xx = np.mgrid[:H, :W]
    return torch.from_numpy((xx - cx) ** 2 + (yy - cy) ** 2 <= r * r)


def _flip(masks, direction):
    """``RandomFlip`` done independently with numpy: horizontal mirrors x, vertical y."""
    axes = {'horizontal': (2, ), 'vertical': (1, ), 'diagonal': (1, 2)}[direction]
    return torch.from_numpy(np.flip(masks.numpy(), axes).copy())


@pytest.mark.parametrize('direction,moved_pixel', [
    ('horizontal', (0, 2, W - 1 - 5)), ('vertical', (0, H - 1 - 2, 5)),
    ('diagonal', (0, H - 1 - 2, W - 1 - 5))])
def test_unflip_inverts_flip(direction, moved_pixel):
    masks = torch.zeros(2, H, W, dtype=torch.bool)  # H != W, nothing symmetric
    masks[0, 2, 5] = True
    masks[1] = _disc(20, 15, 4)
    masks[1, :3, :9] = True
    flipped = _flip(masks, direction)
    assert flipped[moved_pixel] and flipped.sum() == masks.sum()
    assert torch.equal(unflip_masks(flipped, direction), masks)
    # the other directions do not undo this one
    for other in {'horizontal', 'vertical', 'diagonal'} - {direction}:
        assert not torch.equal(unflip_masks(flipped, other), masks)
    assert unflip_masks(masks, None) is masks


def test_a_view_never_votes_for_itself():
    """A duplicate inside one view is not a second vote; scores stay in [0, 1]."""
    a = _disc(12, 12, 6)
    dup = a.clone()
    dup[6, 12] = False  # near-identical duplicate, same view
    views = [torch.stack([a, dup]), a[None]]
    scores = [torch.tensor([0.95, 0.9]), torch.tensor([0.8])]
    labels = [torch.zeros(2, dtype=torch.long), torch.zeros(1, dtype=torch.long)]
    for method in ('fusion', 'union'):
        masks, merged, _ = merge_instances(views, scores, labels, method=method)
        # group 1: a (view 0) + a (view 1); group 2: the duplicate alone
        torch.testing.assert_close(merged, torch.tensor([(0.95 + 0.8) / 2, 0.9 / 2]))
        assert torch.equal(masks[0], a) and torch.equal(masks[1], dup)
    many = [torch.stack([a] * 4)] * 3  # four copies in each of three views
    _, merged, _ = merge_instances(many, [torch.tensor([1.0, 0.99, 0.98, 0.97])] * 3,
                                   [torch.zeros(4, dtype=torch.long)] * 3)
    assert len(merged) == 4 and float(merged.max()) <= 1.0
    torch.testing.assert_close(merged, torch.tensor([1.0, 0.99, 0.98, 0.97]))


def _sample(masks, scores, direction=None):
    s = DetDataSample(metainfo=dict(ori_shape=(H, W), img_shape=(H, W), img_id=1,
                                    flip=direction is not None, flip_direction=direction))
    s.pred_instances = InstanceData(
        masks=masks, scores=torch.tensor(scores), labels=torch.zeros(len(scores), dtype=torch.long),
        bboxes=torch.zeros(len(scores), 4))
    return s


def test_identical_views_merge_to_single_prediction():
    masks = torch.stack([_disc(6, 6, 4), _disc(22, 14, 5)])
    scores = [0.9, 0.7]
    views = [_sample(masks, scores), _sample(_flip(masks, 'horizontal'), scores, 'horizontal'),
             _sample(_flip(masks, 'vertical'), scores, 'vertical')]
    model = MaskTTAModel(module=_Stub())
    merged = model.merge_preds([views])[0].pred_instances
    assert torch.equal(merged.masks, masks)
    torch.testing.assert_close(merged.scores, torch.tensor(scores))
    # boxes come from the masks: disc (6, 6, r=4) spans x 2..10
    torch.testing.assert_close(merged.bboxes[0], torch.tensor([2., 2., 11., 11.]))


def test_fusion_votes_and_scores():
    a, b, c = _disc(12, 12, 6), _disc(13, 12, 6), _disc(12, 12, 7)
    masks, scores, labels = merge_instances(
        [a[None], b[None], c[None]], [torch.tensor([0.9]), torch.tensor([0.6]),
                                      torch.tensor([0.3])],
        [torch.zeros(1, dtype=torch.long)] * 3, method='fusion')
    assert len(masks) == 1
    w = torch.tensor([0.9, 0.6, 0.3]) / 1.8
    expected = (w[0] * a + w[1] * b + w[2] * c) >= 0.5
    assert torch.equal(masks[0], expected)
    torch.testing.assert_close(scores, torch.tensor([0.6]))  # 1.8 / 3 views
    union, _, _ = merge_instances([a[None], b[None], c[None]],
                                  [torch.tensor([0.9]), torch.tensor([0.6]), torch.tensor([0.3])],
                                  [torch.zeros(1, dtype=torch.long)] * 3, method='union')
    assert torch.equal(union[0], a | b | c)
    nms, nms_scores, _ = merge_instances([a[None], b[None]], [torch.tensor([0.6]),
                                                              torch.tensor([0.9])],
                                         [torch.zeros(1, dtype=torch.long)] * 2, method='nms')
    assert torch.equal(nms[0], b) and nms_scores.tolist() == [pytest.approx(0.9)]


def test_min_votes_and_isolated():
    particle, partial, lonely = _disc(10, 10, 6), _disc(10, 10, 6), _disc(26, 18, 3)
    partial[:, 10:] = False  # half of the particle: IoU ~0.5 below the grouping threshold
    views = [torch.stack([particle, lonely]), torch.stack([particle, partial])]
    scores = [torch.tensor([0.9, 0.8]), torch.tensor([0.9, 0.7])]
    labels = [torch.zeros(2, dtype=torch.long)] * 2
    kw = dict(method='fusion', iou_thr=0.6)
    assert len(merge_instances(views, scores, labels, **kw)[0]) == 3
    strict = merge_instances(views, scores, labels, min_votes=2, **kw)[0]
    assert len(strict) == 1 and torch.equal(strict[0], particle)
    kept = merge_instances(views, scores, labels, min_votes=2, keep_isolated=True, **kw)[0]
    assert len(kept) == 2  # the particle, and the lonely one; the partial overlaps
    assert torch.equal(kept[1], lonely)


def test_concat_and_empty_and_labels():
    a = _disc(10, 10, 5)
    out = merge_instances([a[None], a[None]], [torch.tensor([0.5]), torch.tensor([0.4])],
                          [torch.zeros(1, dtype=torch.long)] * 2, method='concat')
    assert len(out[0]) == 2
    out = merge_instances([a[None], a[None]], [torch.tensor([0.5]), torch.tensor([0.4])],
                          [torch.tensor([0]), torch.tensor([1])])  # other class: no group
    assert len(out[0]) == 2
    empty = merge_instances([torch.zeros(0, H, W, dtype=torch.bool)] * 3,
                            [torch.zeros(0)] * 3, [torch.zeros(0, dtype=torch.long)] * 3)
    assert empty[0].shape == (0, H, W) and len(empty[1]) == 0
    with pytest.raises(ValueError, match='merge method'):
        merge_instances([a[None]], [torch.tensor([0.5])], [torch.tensor([0])], method='wbf')


def test_boxes_only_falls_back_to_box_nms():
    s1 = DetDataSample(metainfo=dict(ori_shape=(H, W), flip=False, flip_direction=None))
    s1.pred_instances = InstanceData(bboxes=torch.tensor([[2., 2., 10., 10.]]),
                                     scores=torch.tensor([0.9]), labels=torch.tensor([0]))
    s2 = DetDataSample(metainfo=dict(ori_shape=(H, W), flip=True, flip_direction='horizontal'))
    s2.pred_instances = InstanceData(bboxes=torch.tensor([[22., 2., 30., 10.]]),
                                     scores=torch.tensor([0.8]), labels=torch.tensor([0]))
    merged = MaskTTAModel(module=_Stub()).merge_preds([[s1, s2]])[0]
    assert len(merged.pred_instances) == 1


@st.composite
def _views(draw):
    """1-3 views of up to 5 particles, each seen or missed per view and shifted by up to 1
    px (so views group), plus strays; some rectangles empty or on the image edge; labels
    0/1; scores in (0, 1]."""
    h, w = draw(st.integers(1, 30)), draw(st.integers(1, 30))
    boxes = []
    for _ in range(draw(st.integers(0, 5))):
        y0, x0 = draw(st.integers(0, h)), draw(st.integers(0, w))
        boxes.append((y0, min(y0 + draw(st.integers(0, 12)), h), x0,
                      min(x0 + draw(st.integers(0, 12)), w), draw(st.integers(0, 1))))
    shift = st.integers(-1, 1)
    views, scores, labels = [], [], []
    for _ in range(draw(st.integers(1, 3))):
        seen = [b for b in boxes if draw(st.booleans()) or draw(st.booleans())]
        seen += [(0, draw(st.integers(0, h)), 0, draw(st.integers(0, w)), 0)
                 for _ in range(draw(st.integers(0, 1)))]  # a stray in the corner
        masks = torch.zeros(len(seen), h, w, dtype=torch.bool)
        for i, (y0, y1, x0, x1, _) in enumerate(seen):
            dy, dx = draw(shift), draw(shift)
            masks[i, max(y0 + dy, 0):max(y1 + dy, 0), max(x0 + dx, 0):max(x1 + dx, 0)] = True
        views.append(masks)
        scores.append(torch.tensor(draw(st.lists(st.floats(0.05, 1.0), min_size=len(seen),
                                                 max_size=len(seen))), dtype=torch.float32))
        labels.append(torch.tensor([b[4] for b in seen], dtype=torch.long))
    return views, scores, labels


@settings(max_examples=200, deadline=None)
@given(case=_views(), method=st.sampled_from(['fusion', 'union', 'nms', 'concat']),
       iou_thr=st.sampled_from([0.3, 0.5]), vote_thr=st.sampled_from([0.3, 0.5, 1.0]),
       min_votes=st.integers(1, 3), keep_isolated=st.booleans(),
       max_per_img=st.sampled_from([2, 300]))
def test_merging_in_crops_equals_merging_full_size_masks(case, method, iou_thr, vote_thr,
                                                         min_votes, keep_isolated, max_per_img):
    kw = dict(method=method, iou_thr=iou_thr, vote_thr=vote_thr, min_votes=min_votes,
              keep_isolated=keep_isolated, max_per_img=max_per_img)
    masks, scores, labels = merge_instances(*case, **kw)
    want_masks, want_scores, want_labels = merge_instances_dense(*case, **kw)
    assert masks.shape == want_masks.shape and masks.dtype == torch.bool
    assert torch.equal(masks, want_masks)
    assert torch.equal(scores, want_scores) and torch.equal(labels, want_labels)
