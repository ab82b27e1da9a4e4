"""Per-instance outcome of the IoU-weighted F1 matching, and its score-threshold sweep.

The tallies themselves come from :func:`~.iou_weighted_f1.counts_from_ious`; this module
only says, for drawing and tables, what each prediction and each ground truth became:

- a prediction's ``matched_iou`` is its IoU with the ground truth it is kept against
  (its best), 0 when it overlaps nothing (a *false detection*: free in the metric, but
  shown to the user);
- a prediction is a ``duplicate`` when another prediction kept against the same ground
  truth has a higher IoU and both exceed the duplicate IoU (one of the metric's FPs);
- a prediction is ``tp`` when it is the one that found its ground truth; one that
  overlaps a found particle by at most the duplicate IoU and is not its best counts
  neither way (``weak_overlap``);
- a ground truth is ``missed`` when no prediction is kept against it (a FN).
"""
from typing import Dict, Sequence

import numpy as np

from .iou_weighted_f1 import (DUPLICATE_IOU, IoUCounts, counts_from_ious, mask_ious,
                              scores_from_counts)

#: Score thresholds of the sweep (``score_thr`` candidates for the submission).
SWEEP_THRESHOLDS = tuple(np.round(np.arange(0.0, 1.0, 0.05), 2).tolist())


def match_image(gt_rles: Sequence[dict], pred_rles: Sequence[dict]) -> Dict[str, np.ndarray]:
    """IoU matrix, tallies and per-instance outcome of one image.

    Returns ``ious (P, G)``, ``counts`` (:class:`IoUCounts`), ``pred_iou (P,)``,
    ``pred_tp (P,)`` bool (the prediction that found its ground truth),
    ``pred_duplicate (P,)`` bool, ``gt_iou (G,)`` (best kept IoU, 0 = missed).
    """
    ious = mask_ious(pred_rles, gt_rles)
    num_preds, num_gts = ious.shape
    counts = counts_from_ious(ious)
    pred_iou = np.zeros(num_preds)
    duplicate = np.zeros(num_preds, bool)
    tp = np.zeros(num_preds, bool)
    gt_iou = np.zeros(num_gts)
    if num_preds and num_gts:
        kept = ious == ious.max(axis=1, keepdims=True)
        kept_ious = np.where(kept, ious, 0.0)
        pred_iou = kept_ious.max(axis=1)
        gt_iou = kept_ious.max(axis=0)
        target = kept_ious.argmax(axis=1)
        above = pred_iou > DUPLICATE_IOU
        # duplicates: above the duplicate IoU but not the best on their ground truth
        duplicate = above & (pred_iou < gt_iou[target])
        # equal best IoUs: all but the first of them are duplicates
        for j in np.unique(target[above]):
            best = np.flatnonzero(above & (target == j) & ~duplicate)
            duplicate[best[1:]] = True
        tp = (pred_iou > 0) & ~duplicate & (pred_iou == gt_iou[target])
        for j in np.unique(target[tp]):  # one per ground truth
            tp[np.flatnonzero(tp & (target == j))[1:]] = False
    return dict(ious=ious, counts=counts, pred_iou=pred_iou, pred_tp=tp,
                pred_duplicate=duplicate, gt_iou=gt_iou)


def threshold_sweep(ious: Sequence[np.ndarray], scores: Sequence[np.ndarray],
                    thresholds: Sequence[float] = SWEEP_THRESHOLDS) -> list:
    """IoU-weighted F1 of the set when predictions scoring below each threshold are
    dropped. ``ious[i]`` is image ``i``'s ``(P, G)`` matrix, ``scores[i]`` its ``(P,)``
    scores. Returns one dict per threshold (``score_thr`` + :func:`scores_from_counts`)."""
    rows = []
    for thr in thresholds:
        total = IoUCounts()
        for iou, score in zip(ious, scores):
            keep = np.asarray(score) >= thr
            total = total + counts_from_ious(np.asarray(iou)[keep])
        rows.append(dict(score_thr=float(thr), **scores_from_counts(total)))
    return rows
