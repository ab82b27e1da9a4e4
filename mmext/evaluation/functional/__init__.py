"""Pure numeric evaluation functions (no registries, no runner).

The IoU-weighted F1 needs only numpy and pycocotools; the classification metrics
(mmpretrain, torch, scikit-learn) are in :mod:`.cls_metrics`.
"""
from .iou_weighted_f1 import (IoUCounts, counts_from_ious, image_counts, iou_weighted_f1,
                              mask_ious, scores_from_counts)

__all__ = ['IoUCounts', 'counts_from_ious', 'image_counts', 'iou_weighted_f1', 'mask_ious',
           'scores_from_counts']
