"""Slow, plain reference implementations that tests and benches compare mmext's fast code
with; each is written from the definition, without the code it checks."""
from typing import Dict, List, Sequence

import numpy as np
from pycocotools import mask as mask_utils


def iou_weighted_f1_reference(gts: Sequence[Sequence[dict]],
                              preds: Sequence[Sequence[dict]]) -> dict:
    """The competition's IoU-weighted F1 as its official scorer computes it: one
    :func:`pycocotools.mask.iou` call per (prediction, ground truth) pair, Python loops
    for the matching (see :mod:`mmext.evaluation.functional.iou_weighted_f1`)."""
    sum_iou, tp, fp, fn = 0.0, 0, 0, 0
    for gt_rles, pred_rles in zip(gts, preds):
        if not pred_rles:
            fn += len(gt_rles)
            continue
        ious = [[float(mask_utils.iou([p], [g], [0])[0][0]) for g in gt_rles]
                for p in pred_rles]
        kept = [[] for _ in gt_rles]  # per gt: IoUs of the predictions kept against it
        for row in ious:
            top = max(row, default=None)
            for j, iou in enumerate(row):
                if iou == top:
                    kept[j].append(iou)
        for gt_kept in kept:
            best = max(gt_kept, default=0.0)
            if best > 0:
                tp += 1
                sum_iou += best
            else:
                fn += 1
            k = sum(1 for iou in gt_kept if iou > 0.1)
            if k >= 2:
                fp += k - 1
    precision = sum_iou / (tp + fp) if tp + fp else 0.0
    recall = sum_iou / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(iou_f1=f1, iou_precision=precision, iou_recall=recall,
                sum_iou=sum_iou, tp=tp, fp=fp, fn=fn)


def encode_masks_dense(masks) -> List[dict]:
    """RLEs (``str`` counts) of binary masks ``N×H×W`` (numpy or torch) in one dense
    :func:`pycocotools.mask.encode` call on the ``H×W×N`` Fortran stack."""
    if hasattr(masks, 'detach'):
        masks = masks.detach().cpu().numpy()
    masks = np.asarray(masks)
    if masks.shape[0] == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(masks.astype(np.uint8).transpose(1, 2, 0)))
    for rle in rles:
        rle['counts'] = rle['counts'].decode('ascii')
    return rles


def shape_metrics_from_masks(masks: np.ndarray) -> Dict[str, np.ndarray]:
    """Shape metrics of binary masks ``H×W×N``, each measured on its whole zero-framed
    image (no bounding box, no RLE decoding): the per-crop formulas of
    :func:`~mmext.evaluation.functional.shape_metrics.crop_shape_metrics` (checked on
    analytic shapes) without the cropping path that is under test."""
    from mmext.evaluation.functional.shape_metrics import METRICS, crop_shape_metrics
    masks = np.asarray(masks)
    n = masks.shape[2] if masks.ndim == 3 else 0
    rows = [crop_shape_metrics(np.pad(masks[:, :, i].astype(np.uint8), 1), -1, -1)
            for i in range(n)]
    table = np.array(rows, dtype=np.float64).reshape(n, len(METRICS))
    return {name: table[:, j] for j, name in enumerate(METRICS)}
