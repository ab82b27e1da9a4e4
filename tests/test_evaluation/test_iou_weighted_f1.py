"""IoU-weighted F1: hand-built cases, the pure-Python reference, the evaluator, the tool."""
import json
import math

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils

from mmext.evaluation.functional import counts_from_ious, iou_weighted_f1
from mmext.structures.rle import encode_masks
from mmext.testing import iou_weighted_f1_reference, load_tool

H, W = 40, 60


def box(y0, x0, y1, x1):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def rles(*masks):
    return encode_masks(np.stack(masks)) if masks else []


def score(gts, preds):
    fast = iou_weighted_f1(gts, preds)
    ref = iou_weighted_f1_reference(gts, preds)
    for k in ('tp', 'fp', 'fn'):
        assert fast[k] == ref[k], k
    for k in ('iou_f1', 'iou_precision', 'iou_recall', 'sum_iou'):
        assert math.isclose(fast[k], ref[k], rel_tol=1e-12, abs_tol=1e-15), k
    return fast


A, B = box(0, 0, 10, 10), box(20, 20, 30, 30)


def test_perfect_prediction_scores_one():
    m = score([rles(A, B)], [rles(B, A)])
    assert (m['iou_f1'], m['iou_precision'], m['iou_recall']) == (1.0, 1.0, 1.0)
    assert (m['tp'], m['fp'], m['fn']) == (2, 0, 0)


def test_iou_weighting():
    half = box(0, 0, 10, 5)  # IoU 0.5 with A
    m = score([rles(A)], [rles(half)])
    assert (m['tp'], m['fp'], m['fn']) == (1, 0, 0)
    assert m['iou_precision'] == pytest.approx(0.5) and m['iou_recall'] == pytest.approx(0.5)
    assert m['iou_f1'] == pytest.approx(0.5)


def test_duplicates_count_as_false_positives():
    # three predictions on A (IoU 1, 0.8, 0.5), all > 0.1 → k=3 → 2 FP; best IoU = 1
    m = score([rles(A, B)], [rles(A, box(0, 0, 10, 8), box(0, 0, 10, 5), B)])
    assert (m['tp'], m['fp'], m['fn']) == (2, 2, 0)
    assert m['iou_precision'] == pytest.approx(2 / 4) and m['iou_recall'] == 1.0


def test_weak_duplicate_below_point_one_is_free():
    sliver = box(0, 0, 10, 1)  # IoU 0.1 with A: not > 0.1
    m = score([rles(A)], [rles(A, sliver)])
    assert (m['tp'], m['fp'], m['fn']) == (1, 0, 0)


def test_prediction_kept_only_against_its_best_gt():
    # P overlaps A (IoU 0.5) and B' (smaller IoU): it counts only for A
    a, b = box(0, 0, 10, 10), box(0, 10, 10, 30)
    p = box(0, 5, 10, 15)  # IoU with a: 50/150, with b: 50/250
    m = score([rles(a, b)], [rles(p)])
    assert (m['tp'], m['fp'], m['fn']) == (1, 0, 1)
    assert m['sum_iou'] == pytest.approx(50 / 150)


def test_ties_keep_all_gts():
    a, b = box(0, 0, 10, 10), box(0, 10, 10, 20)
    p = box(0, 5, 10, 15)  # IoU 50/150 with both
    m = score([rles(a, b)], [rles(p)])
    assert (m['tp'], m['fp'], m['fn']) == (2, 0, 0)
    assert m['sum_iou'] == pytest.approx(2 * 50 / 150)
    # tie on the IoU matrix directly, plus two duplicates on gt 0
    c = counts_from_ious(np.array([[0.4, 0.4], [0.3, 0.0], [0.9, 0.2]]))
    assert (c.tp, c.fp, c.fn) == (2, 2, 0) and c.sum_iou == pytest.approx(0.9 + 0.4)


def test_zero_overlap_predictions_cost_nothing():
    stray = box(30, 50, 40, 60)
    m = score([rles(A)], [rles(A, stray, stray)])
    assert (m['iou_f1'], m['tp'], m['fp'], m['fn']) == (1.0, 1, 0, 0)
    # an image with predictions but no ground truth costs nothing either
    m = score([rles(A), []], [rles(A), rles(stray)])
    assert m['iou_f1'] == 1.0


def test_image_without_predictions_all_false_negatives():
    m = score([rles(A), rles(A, B)], [rles(A), []])
    assert (m['tp'], m['fp'], m['fn']) == (1, 0, 2)
    assert m['iou_precision'] == 1.0 and m['iou_recall'] == pytest.approx(1 / 3)
    assert score([rles(A)], [[]])['iou_f1'] == 0.0
    assert score([], [])['iou_f1'] == 0.0


def random_image(rng, n):
    yy, xx = np.mgrid[:H, :W]
    out = []
    for _ in range(n):
        cy, cx, r = rng.uniform(0, H), rng.uniform(0, W), rng.uniform(2, 9)
        out.append((yy - cy) ** 2 + (xx - cx) ** 2 < r * r)
    return rles(*out)


@pytest.mark.parametrize('seed', range(4))
def test_equals_reference_on_random_sets(seed):
    rng = np.random.default_rng(seed)
    gts = [random_image(rng, rng.integers(0, 10)) for _ in range(12)]
    # predictions: jittered ground truths (with duplicates) plus random blobs
    preds = []
    for g in gts:
        p = [rle for rle in g if rng.random() < 0.8] * int(rng.integers(1, 3))
        p = random_image(rng, rng.integers(0, 6)) + [
            mask_utils.merge([r, r]) for r in p]
        preds.append(p)
    score(gts, preds)  # asserts equality inside


def test_pycocotools_iou_matches_numpy():
    a, p = box(0, 0, 10, 10), box(3, 4, 17, 12)
    iou = mask_utils.iou(rles(p), rles(a), [0])[0, 0]
    assert iou == pytest.approx((a & p).sum() / (a | p).sum())


def _sample(img_id, gt_masks, pred_masks, scores=None):
    s = DetDataSample(metainfo=dict(img_id=img_id, ori_shape=(H, W), img_shape=(H, W)))
    s.gt_instances = InstanceData(masks=BitmapMasks(np.stack(gt_masks).astype(np.uint8), H, W),
                                  labels=torch.zeros(len(gt_masks), dtype=torch.long))
    n = len(pred_masks)
    pred = torch.from_numpy(np.stack(pred_masks)) if n else torch.zeros(0, H, W, dtype=torch.bool)
    s.pred_instances = InstanceData(
        masks=pred, scores=torch.tensor(scores if scores is not None else [0.9] * n),
        labels=torch.zeros(n, dtype=torch.long), bboxes=torch.zeros(n, 4))
    return s.to_dict()


def test_evaluator_with_gt_instances():
    ev = Evaluator(dict(type='mmdet.IoUWeightedF1Metric', score_thr=0.3))
    ev.process([_sample(1, [A, B], [A, box(0, 0, 10, 8)], scores=[0.9, 0.2])])
    ev.process([_sample(2, [A], [])])
    m = ev.evaluate(2)
    assert set(m) == {'iou_f1', 'iou_precision', 'iou_recall'}
    # image 1: A matched (the 0.2 duplicate dropped by score_thr), B missed; image 2: FN
    assert m['iou_precision'] == 1.0 and m['iou_recall'] == pytest.approx(1 / 3)
    assert m['iou_f1'] == pytest.approx(0.5)


def test_evaluator_sweep_finds_the_threshold_that_drops_duplicates():
    ev = Evaluator(dict(type='mmdet.IoUWeightedF1Metric', sweep=True))
    # A and B found at 0.9; a duplicate of each at 0.3 (2 FP below a threshold of 0.35)
    ev.process([_sample(1, [A, B], [A, B, box(0, 0, 10, 8), box(20, 20, 30, 28)],
                        scores=[0.9, 0.9, 0.3, 0.3])])
    m = ev.evaluate(1)
    assert m['iou_f1'] == pytest.approx(2 / 3)  # the headline is at the metric's score_thr
    assert m['best_score_thr'] == pytest.approx(0.35)  # the first threshold above 0.3
    assert m['iou_f1_at_best_thr'] == 1.0
    # the sweep never goes below the metric's own score_thr
    ev = Evaluator(dict(type='mmdet.IoUWeightedF1Metric', sweep=True, score_thr=0.5))
    ev.process([_sample(1, [A], [A, box(0, 0, 10, 8)], scores=[0.4, 0.95])])
    assert ev.evaluate(1)['best_score_thr'] >= 0.5


def test_metric_names_unprefixed_without_a_warning(monkeypatch):
    """No prefix given: names stay ``iou_f1``..., and mmengine's "prefix is not set" warning
    (one console line per run) is not printed; a given prefix still applies."""
    import mmengine.evaluator.metric as metric_module
    logged = []
    monkeypatch.setattr(metric_module, 'print_log', lambda msg, *a, **k: logged.append(msg))
    ev = Evaluator(dict(type='mmdet.IoUWeightedF1Metric'))
    assert not [m for m in logged if 'prefix is not set' in m]
    ev.process([_sample(1, [A], [A])])
    assert set(ev.evaluate(1)) == {'iou_f1', 'iou_precision', 'iou_recall'}
    ev = Evaluator(dict(type='mmdet.IoUWeightedF1Metric', prefix='val'))
    ev.process([_sample(1, [A], [A])])
    assert ev.evaluate(1)['val/iou_f1'] == 1.0


def test_evaluator_with_ann_file(tmp_path):
    poly = [[0, 0, 10, 0, 10, 10, 0, 10]]  # covers pixels 0..9 → 10×10 box == A
    gt = dict(images=[dict(id=7, file_name='a.png', height=H, width=W)],
              annotations=[dict(id=1, image_id=7, category_id=1, segmentation=poly,
                                area=100, bbox=[0, 0, 10, 10], iscrowd=0)],
              categories=[dict(id=1, name='Normal')])
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    ev = Evaluator(dict(type='mmdet.IoUWeightedF1Metric', ann_file=str(path)))
    sample = _sample(7, [B], [box(0, 0, 10, 10)])  # gt_instances ignored: ann_file wins
    ev.process([sample])
    m = ev.evaluate(1)
    gt_rle = mask_utils.frPyObjects(poly, H, W)
    expected = mask_utils.iou(rles(box(0, 0, 10, 10)), gt_rle, [0])[0, 0]
    assert m['iou_f1'] == pytest.approx(expected)
    assert expected > 0.8


def test_eval_tool(tmp_path, capsys):
    main = load_tool('eval_iou_f1').main
    gt_rles = rles(A, B)
    gt = dict(images=[dict(id=1, file_name='a.png', height=H, width=W),
                      dict(id=2, file_name='b.png', height=H, width=W)],
              annotations=[dict(id=i + 1, image_id=1, category_id=1, segmentation=r,
                                area=100, bbox=[0, 0, 10, 10], iscrowd=0)
                           for i, r in enumerate(gt_rles)],
              categories=[dict(id=1, name='Normal')])
    res = [dict(image_id=1, category_id=1, segmentation=r, score=0.9,
                bbox=mask_utils.toBbox(r).tolist()) for r in gt_rles]
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'res.json').write_text(json.dumps(res))
    m = main([str(tmp_path / 'gt.json'), str(tmp_path / 'res.json'), '--coco-map',
              '--out', str(tmp_path / 'm.json')])
    out = capsys.readouterr().out
    assert m['iou_f1'] == 1.0 and 'IoU-weighted F1 1.0000' in out
    assert m['segm_mAP'] == pytest.approx(1.0) and 'COCO segm' in out
    assert json.loads((tmp_path / 'm.json').read_text())['tp'] == 2
    res.append(dict(image_id=99, category_id=1, segmentation=gt_rles[0], score=0.5))
    (tmp_path / 'res.json').write_text(json.dumps(res))
    with pytest.raises(SystemExit) as e:
        main([str(tmp_path / 'gt.json'), str(tmp_path / 'res.json')])
    assert e.value.code == 2
    assert 'image_id 99' in capsys.readouterr().err


def test_eval_tool_without_annotations_says_undefined(tmp_path, capsys):
    """A ground truth with no particle: recall and F1 are undefined, not 0."""
    main = load_tool('eval_iou_f1').main
    gt = dict(images=[dict(id=1, file_name='a.png', height=H, width=W)], annotations=[],
              categories=[dict(id=1, name='Normal')])
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    for res, precision in (([], None), (
            [dict(image_id=1, category_id=1, segmentation=rles(A)[0], score=0.9)], 0.0)):
        (tmp_path / 'res.json').write_text(json.dumps(res))
        m = main([str(tmp_path / 'gt.json'), str(tmp_path / 'res.json'), '--out',
                  str(tmp_path / 'm.json'), '--force'])  # the second run replaces it
        out = capsys.readouterr().out
        assert 'IoU-weighted F1 undefined' in out and 'recall undefined' in out
        assert m['iou_f1'] is None and m['iou_precision'] == precision
        assert json.loads((tmp_path / 'm.json').read_text())['iou_f1'] is None
