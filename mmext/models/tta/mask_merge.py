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

MERGE_METHODS = ('fusion', 'union', 'nms', 'concat')


def unflip_masks(masks: torch.Tensor, direction) -> torch.Tensor:
    """Undo ``RandomFlip`` on (N, H, W) masks; ``direction`` None means no flip."""
    if not direction:
        return masks
    dims = {'horizontal': [-1], 'vertical': [-2], 'diagonal': [-2, -1]}[direction]
    return masks.flip(dims)


def _rles(masks: np.ndarray) -> list:
    return mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))


def group_instances(masks: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                    views: np.ndarray, iou_thr: float = 0.5):
    """Greedy grouping of instances of different views.

    Args:
        masks: (N, H, W) bool masks of all views; scores, labels, views: (N,).

    Returns:
        (groups, ious): index arrays (seed first) and the (N, N) mask IoU matrix.
    """
    n = len(scores)
    if n == 0:
        return [], np.zeros((0, 0))
    rles = _rles(masks)
    ious = np.asarray(mask_utils.iou(rles, rles, [0] * n)).reshape(n, n)
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
    return groups, ious


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
    empty merged masks are dropped.
    """
    if method not in MERGE_METHODS:
        raise ValueError(f'merge method {method!r} not in {MERGE_METHODS}')
    num_views = len(masks_per_view)
    masks = torch.cat([m.bool() for m in masks_per_view])
    scores = torch.cat(list(scores_per_view)).float()
    labels = torch.cat(list(labels_per_view))
    if method == 'concat' or len(scores) == 0:
        out_masks, out_scores, out_labels = masks, scores, labels
    else:
        views = np.concatenate([np.full(len(s), v) for v, s in enumerate(scores_per_view)])
        groups, ious = group_instances(masks.cpu().numpy(), scores.cpu().numpy(),
                                       labels.cpu().numpy(), views, iou_thr)
        groups = select_groups(groups, ious, min_votes, keep_isolated, isolated_iou)
        out_masks, out_scores = [], []
        for g in groups:
            idx = torch.as_tensor(g, device=masks.device)
            member_scores = scores[idx]
            if method == 'nms':
                out_masks.append(masks[idx[0]])
                out_scores.append(member_scores[0])
                continue
            if method == 'union':
                out_masks.append(masks[idx].any(0))
            else:
                weights = member_scores / member_scores.sum().clamp(min=1e-12)
                share = (masks[idx].float() * weights[:, None, None]).sum(0)
                out_masks.append(share >= vote_thr - 1e-6)
            out_scores.append(member_scores.sum() / num_views)
        if groups:
            first = torch.as_tensor([g[0] for g in groups], device=masks.device)
            out_masks, out_scores = torch.stack(out_masks), torch.stack(out_scores)
            out_labels = labels[first]
        else:
            out_masks, out_scores, out_labels = masks[:0], scores[:0], labels[:0]
    keep = out_masks.flatten(1).any(1) if len(out_masks) else out_scores.bool()
    out_masks, out_scores, out_labels = out_masks[keep], out_scores[keep], out_labels[keep]
    order = torch.argsort(out_scores, descending=True, stable=True)[:max_per_img]
    return out_masks[order], out_scores[order], out_labels[order]
