"""Merge instance predictions (masks) of several views of one image.

The views' masks must already be in the original image frame (flips undone). Instances
of all views are grouped greedily: the highest-scoring ungrouped instance seeds a group
and takes, from each other view (never its own), its best-overlapping ungrouped instance of the same
label with mask IoU >= ``iou_thr``. A group becomes one instance:

* ``'fusion'``: pixels where the score-weighted share of member masks is >= ``vote_thr``;
  score = sum of member scores / number of views (a view that missed it counts 0);
* ``'union'``: union of the member masks, score as in fusion;
* ``'nms'``: the seed alone, with its own score (mask NMS across views);
* ``'concat'``: no grouping, every instance of every view (reference only).

Groups with fewer than ``min_votes`` members are dropped, unless ``keep_isolated`` and
their seed overlaps no member of a kept group (mask IoU < ``isolated_iou``): a particle
seen in one view only is kept, a partial or merged mask beside a confirmed one is not.
Mask IoUs come from one pycocotools call on the RLEs of all instances.
"""
from typing import Sequence, Tuple

import numpy as np
import torch
from pycocotools import mask as mask_utils

from mmext.structures.rle import encode_masks

MERGE_METHODS = ('fusion', 'union', 'nms', 'concat')


def unflip_masks(masks: torch.Tensor, direction) -> torch.Tensor:
    """Undo ``RandomFlip`` on (N, H, W) masks; ``direction`` None means no flip."""
    if not direction:
        return masks
    dims = {'horizontal': [-1], 'vertical': [-2], 'diagonal': [-2, -1]}[direction]
    return masks.flip(dims)


def mask_boxes(masks: torch.Tensor) -> np.ndarray:
    """(N, 4) int boxes ``y0, y1, x0, x1`` (ends exclusive) of (N, H, W) masks; an empty
    mask gets ``0, 0, 0, 0``."""
    n, h, w = masks.shape
    if n == 0:
        return np.zeros((0, 4), np.int64)
    flat = (masks if masks.dtype == torch.bool else masks != 0).contiguous().view(torch.uint8)
    rows = flat.amax(2).cpu().numpy().astype(bool)  # uint8 max: faster than bool any()
    cols = flat.amax(1).cpu().numpy().astype(bool)
    boxes = np.stack([rows.argmax(1), h - rows[:, ::-1].argmax(1),
                      cols.argmax(1), w - cols[:, ::-1].argmax(1)], axis=1)
    boxes[~rows.any(1)] = 0
    return boxes


def mask_ious(rles) -> np.ndarray:
    """(N, N) mask IoU matrix of N RLEs, from one pycocotools call."""
    if not rles:
        return np.zeros((0, 0))
    return np.asarray(mask_utils.iou(rles, rles, [0] * len(rles))).reshape(len(rles), -1)


def group_instances(ious: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                    views: np.ndarray, iou_thr: float = 0.5):
    """Greedy grouping of instances of different views.

    Args:
        ious: (N, N) mask IoUs of all views' instances; scores, labels, views: (N,).

    Returns:
        groups: index arrays, seed first.
    """
    n = len(scores)
    free = np.ones(n, dtype=bool)
    groups = []
    for seed in np.argsort(-scores, kind='stable'):
        if not free[seed]:
            continue
        free[seed] = False
        members = [seed]
        cand = (free & (views != views[seed]) & (labels == labels[seed])
                & (ious[seed] >= iou_thr))
        for view in np.unique(views[cand]):
            in_view = np.flatnonzero(cand & (views == view))
            best = in_view[np.argmax(ious[seed, in_view])]
            members.append(best)
            free[best] = False
        groups.append(np.asarray(members))
    return groups


def select_groups(groups, ious, min_votes=1, keep_isolated=True, isolated_iou=0.1):
    """Groups with >= ``min_votes`` members, plus (``keep_isolated``) weaker groups whose
    seed overlaps no member of those by ``isolated_iou`` or more."""
    strong = [g for g in groups if len(g) >= min_votes]
    weak = [g for g in groups if len(g) < min_votes]
    if not keep_isolated or not weak:
        return strong
    members = np.concatenate(strong) if strong else np.zeros(0, int)
    kept = list(strong)
    for g in weak:
        if members.size == 0 or ious[g[0], members].max() < isolated_iou:
            kept.append(g)
            members = np.concatenate([members, g])
    return kept


def merge_instances(masks_per_view: Sequence[torch.Tensor],
                    scores_per_view: Sequence[torch.Tensor],
                    labels_per_view: Sequence[torch.Tensor], method: str = 'fusion',
                    iou_thr: float = 0.5, vote_thr: float = 0.5, min_votes: int = 1,
                    keep_isolated: bool = False, isolated_iou: float = 0.1,
                    max_per_img: int = 300) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Merge per-view (masks (N_v, H, W) bool, scores (N_v,), labels (N_v,)).

    Returns merged ``(masks, scores, labels)`` sorted by score, at most ``max_per_img``;
    empty merged masks are dropped. Each group is merged inside the box of its members'
    masks, then pasted into a full-size mask: the cost follows the particles' areas, not
    the image size (a 1024x1280 image with 3 x 100 masks: ``bench/bench_mask_tta_merge.py
    --speed``).
    """
    if method not in MERGE_METHODS:
        raise ValueError(f'merge method {method!r} not in {MERGE_METHODS}')
    if not 0 < vote_thr <= 1:
        raise ValueError(f'vote_thr must be in (0, 1], got {vote_thr}')
    num_views = len(masks_per_view)
    view_masks = [m.bool() for m in masks_per_view]  # no full-size concatenation
    where = [(v, j) for v, m in enumerate(view_masks) for j in range(len(m))]
    scores = torch.cat(list(scores_per_view)).float()
    labels = torch.cat(list(labels_per_view))
    boxes = np.concatenate([mask_boxes(m) for m in view_masks])
    if method == 'concat':
        groups = [np.array([i]) for i in range(len(scores))]
    else:
        views = np.array([v for v, _ in where], dtype=np.int64)
        ious = mask_ious([rle for m in view_masks for rle in encode_masks(m)])
        groups = group_instances(ious, scores.cpu().numpy(), labels.cpu().numpy(), views,
                                 iou_thr)
        groups = select_groups(groups, ious, min_votes, keep_isolated, isolated_iou)

    def crop_of(i, y0, y1, x0, x1):
        v, j = where[i]
        return view_masks[v][j, y0:y1, x0:x1]

    crops, out_boxes, out_scores, seeds = [], [], [], []
    for g in groups:
        if method in ('nms', 'concat'):  # the seed alone, with its own score
            y0, y1, x0, x1 = boxes[g[0]]
            crop = crop_of(g[0], y0, y1, x0, x1)
            score = scores[int(g[0])]
        else:
            drawn = boxes[g][boxes[g, 1] > 0]  # members with pixels
            if not len(drawn):
                continue
            y0, x0 = drawn[:, [0, 2]].min(0)
            y1, x1 = drawn[:, [1, 3]].max(0)
            member = torch.stack([crop_of(i, y0, y1, x0, x1) for i in g])
            member_scores = scores[torch.as_tensor(g, device=scores.device)]
            if method == 'union':
                crop = member.any(0)
            else:
                weights = member_scores / member_scores.sum().clamp(min=1e-12)
                crop = (member.float() * weights[:, None, None]).sum(0) >= vote_thr - 1e-6
            score = member_scores.sum() / num_views
        if crop.numel() and crop.any():
            crops.append(crop)
            out_boxes.append((y0, y1, x0, x1))
            out_scores.append(score)
            seeds.append(int(g[0]))
    full = view_masks[0]
    if not crops:
        return full.new_zeros((0, *full.shape[1:])), scores[:0], labels[:0]
    out_scores = torch.stack(out_scores)
    order = torch.argsort(out_scores, descending=True, stable=True)[:max_per_img]
    out_masks = full.new_zeros((len(order), *full.shape[1:]))
    for k, i in enumerate(order.tolist()):
        y0, y1, x0, x1 = out_boxes[i]
        out_masks[k, y0:y1, x0:x1] = crops[i]
    first = torch.as_tensor([seeds[i] for i in order.tolist()], device=labels.device)
    return out_masks, out_scores[order], labels[first]
