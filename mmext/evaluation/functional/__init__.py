"""Pure numeric evaluation functions (no registries, no runner)."""
from .iou_weighted_f1 import (IoUCounts, counts_from_ious, image_counts, iou_weighted_f1,
                              iou_weighted_f1_reference, mask_ious, scores_from_counts)
from .cls_report import (confusion_matrices, per_class_report, pr_report, roc_report,
                         summary_metrics, topk_predictions, tsne_embedding)

__all__ = [
    'IoUCounts', 'counts_from_ious', 'image_counts', 'iou_weighted_f1',
    'iou_weighted_f1_reference', 'mask_ious', 'scores_from_counts',
    'confusion_matrices', 'per_class_report', 'pr_report', 'roc_report', 'summary_metrics',
    'topk_predictions', 'tsne_embedding'
]
