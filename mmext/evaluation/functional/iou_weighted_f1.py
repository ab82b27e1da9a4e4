"""The particle challenge's IoU-weighted F1 score.

Definition, per image (``m`` predicted masks, ``n`` ground-truth masks):

1. IoU matrix between every prediction and every ground truth (one vectorised
   :func:`pycocotools.mask.iou` call on RLEs).
2. Each prediction is kept only against the ground truth(s) with which its IoU is
   highest (ties keep all of them).
3. For each ground truth, its best kept IoU: non-zero → a true positive weighted by
   that IoU (added to ΣIoU); zero → a false negative.
4. For each ground truth whose kept predictions with IoU > 0.1 number ``k ≥ 2``,
   ``k − 1`` false positives are added.

An image without predictions counts all its ground truths as false negatives; a
prediction that overlaps nothing costs nothing; scores and categories are ignored.

Aggregation over a set: ΣIoU, TP, FP and FN are **summed over all images** first, then
precision = ΣIoU / (TP + FP), recall = ΣIoU / (TP + FN) and F1 = their harmonic mean
(0 where a denominator is 0).

:func:`iou_weighted_f1` is tested and benchmarked against the pair-by-pair reference
:func:`mmext.testing.iou_weighted_f1_reference`.
"""
from typing import NamedTuple, Sequence

import numpy as np
from pycocotools import mask as mask_utils

#: A kept prediction with IoU above this counts towards duplicate false positives.
DUPLICATE_IOU = 0.1


class IoUCounts(NamedTuple):
    """Additive per-image (or per-set) tallies of the metric."""
    sum_iou: float = 0.0
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other):
        return IoUCounts(self.sum_iou + other.sum_iou, self.tp + other.tp,
                         self.fp + other.fp, self.fn + other.fn)


def counts_from_ious(ious: np.ndarray) -> IoUCounts:
    """Tally one image from its IoU matrix, shape ``(num_preds, num_gts)``."""
    ious = np.asarray(ious, dtype=np.float64)
    num_preds, num_gts = ious.shape if ious.ndim == 2 else (0, 0)
    if num_gts == 0:
        return IoUCounts()
    if num_preds == 0:
        return IoUCounts(fn=num_gts)
    kept = ious == ious.max(axis=1, keepdims=True)  # each prediction vs its best gt(s)
    kept_ious = np.where(kept, ious, 0.0)
    best = kept_ious.max(axis=0)
    matched = best > 0
    dup = (kept_ious > DUPLICATE_IOU).sum(axis=0)
    return IoUCounts(
        sum_iou=float(best[matched].sum()),
        tp=int(matched.sum()),
        fp=int(np.maximum(dup - 1, 0).sum()),
        fn=int((~matched).sum()))


def mask_ious(pred_rles: Sequence[dict], gt_rles: Sequence[dict]) -> np.ndarray:
    """IoU matrix ``(len(pred_rles), len(gt_rles))`` of RLE masks in one call."""
    if len(pred_rles) == 0 or len(gt_rles) == 0:
        return np.zeros((len(pred_rles), len(gt_rles)))
    return np.asarray(
        mask_utils.iou(list(pred_rles), list(gt_rles), [0] * len(gt_rles)),
        dtype=np.float64).reshape(len(pred_rles), len(gt_rles))


def image_counts(gt_rles: Sequence[dict], pred_rles: Sequence[dict]) -> IoUCounts:
    """Tally one image from its ground-truth and predicted RLE masks."""
    if len(gt_rles) == 0:
        return IoUCounts()
    if len(pred_rles) == 0:
        return IoUCounts(fn=len(gt_rles))
    return counts_from_ious(mask_ious(pred_rles, gt_rles))


def scores_from_counts(counts: IoUCounts) -> dict:
    """Precision, recall and F1 (plus the tallies) from summed counts."""
    sum_iou, tp, fp, fn = counts
    precision = sum_iou / (tp + fp) if tp + fp else 0.0
    recall = sum_iou / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(iou_f1=f1, iou_precision=precision, iou_recall=recall,
                sum_iou=sum_iou, tp=tp, fp=fp, fn=fn)


def iou_weighted_f1(gts: Sequence[Sequence[dict]], preds: Sequence[Sequence[dict]]) -> dict:
    """Score a set: ``gts[i]`` and ``preds[i]`` are the RLE masks of image ``i``.

    Returns ``iou_f1, iou_precision, iou_recall`` and the summed ``sum_iou, tp, fp, fn``.
    """
    if len(gts) != len(preds):
        raise ValueError(f'{len(gts)} ground-truth images but {len(preds)} prediction images')
    total = IoUCounts()
    for gt_rles, pred_rles in zip(gts, preds):
        total = total + image_counts(gt_rles, pred_rles)
    return scores_from_counts(total)
