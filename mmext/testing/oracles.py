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


def merge_instances_dense(masks_per_view, scores_per_view, labels_per_view, method='fusion',
                          iou_thr=0.5, vote_thr=0.5, min_votes=1, keep_isolated=False,
                          isolated_iou=0.1, max_per_img=300):
    """:func:`~mmext.models.tta.mask_merge.merge_instances` on full-size masks: IoUs from
    dense RLEs, every group voted over the whole image. It shares the greedy grouping
    rules (``group_instances``, ``select_groups``; checked on hand cases), not the
    cropping and pasting under test."""
    import torch

    from mmext.models.tta.mask_merge import group_instances, select_groups
    num_views = len(masks_per_view)
    masks = torch.cat([m.bool() for m in masks_per_view])
    scores = torch.cat(list(scores_per_view)).float()
    labels = torch.cat(list(labels_per_view))
    n = len(scores)
    if method == 'concat':
        groups = [np.array([i]) for i in range(n)]
    else:
        rles = encode_masks_dense(masks)
        ious = (np.asarray(mask_utils.iou(rles, rles, [0] * n)).reshape(n, n) if n
                else np.zeros((0, 0)))
        views = np.concatenate([np.full(len(s), v) for v, s in enumerate(scores_per_view)])
        groups = group_instances(ious, scores.numpy(), labels.numpy(), views, iou_thr)
        groups = select_groups(groups, ious, min_votes, keep_isolated, isolated_iou)
    out = []  # (mask, score, label)
    for g in groups:
        idx = torch.as_tensor(g)
        if method in ('nms', 'concat'):
            out.append((masks[idx[0]], scores[idx[0]], labels[idx[0]]))
            continue
        member_scores = scores[idx]
        if method == 'union':
            mask = masks[idx].any(0)
        else:
            weights = member_scores / member_scores.sum().clamp(min=1e-12)
            mask = (masks[idx].float() * weights[:, None, None]).sum(0) >= vote_thr - 1e-6
        out.append((mask, member_scores.sum() / num_views, labels[idx[0]]))
    out = [o for o in out if o[0].any()]
    if not out:
        return masks[:0], scores[:0], labels[:0]
    out_scores = torch.stack([o[1] for o in out])
    order = torch.argsort(out_scores, descending=True, stable=True)[:max_per_img]
    return (torch.stack([out[i][0] for i in order]), out_scores[order],
            torch.stack([out[i][2] for i in order]))
