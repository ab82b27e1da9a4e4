"""Pure numeric evaluation functions (no registries, no runner).

The IoU-weighted F1 needs only numpy and pycocotools; the classification metrics
(mmpretrain, torch, scikit-learn) load on first use.
"""
from mmext.utils.lazy import lazy_exports
from .iou_weighted_f1 import (IoUCounts, counts_from_ious, image_counts, iou_weighted_f1,
                              mask_ious, scores_from_counts)

_CLS_METRICS = ('confusion_matrices', 'per_class_report', 'pr_report', 'roc_report',
                'summary_metrics', 'topk_predictions', 'tsne_embedding')
__all__ = ['IoUCounts', 'counts_from_ious', 'image_counts', 'iou_weighted_f1', 'mask_ious',
           'scores_from_counts', *_CLS_METRICS]
__getattr__ = lazy_exports(__name__, {name: '.cls_metrics' for name in _CLS_METRICS})
