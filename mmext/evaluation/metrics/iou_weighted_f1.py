"""mmdet evaluator for the particle challenge's IoU-weighted F1 (see
:mod:`mmext.evaluation.functional.iou_weighted_f1` for the definition)."""
from typing import Optional, Sequence

import numpy as np

from mmengine.evaluator import BaseMetric
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger

from mmext.registry import DET_METRICS
from mmext.utils.score_range import check_score_thr
from ..functional.iou_weighted_f1 import (IoUCounts, counts_from_ious, mask_ious,
                                          scores_from_counts)
from ..functional.particle_matching import threshold_sweep
from mmext.structures.rle import encode_masks, gt_rles_by_image, rles_from_instance_masks


@DET_METRICS.register_module()
class IoUWeightedF1Metric(BaseMetric):
    """IoU-weighted F1 over a set of images, summed over all images.

    Ground truth comes from ``ann_file`` (COCO json, any segmentation format) when
    given, else from each data sample's ``gt_instances.masks`` (so the test pipeline
    must then load masks at the original scale, as mmdet's pipelines do by loading
    annotations after ``Resize``). Every ground-truth annotation counts, crowd or not.

    Args:
        ann_file: COCO json with the ground truth (optional; checked as
            :func:`mmext.structures.coco_io.load_coco_gt` checks it).
        score_thr: in [0, 1]; predictions scoring below it are dropped before scoring
            (the metric itself ignores scores; use the submission's ``--score-thr``).
        sweep: also score the set at every threshold of
            :data:`~mmext.evaluation.functional.particle_matching.SWEEP_THRESHOLDS` (above
            ``score_thr``) and report the best one as ``best_score_thr`` with its
            ``iou_f1_at_best_thr``: the threshold ``ValidatedScoreThrHook`` saves with the
            checkpoint.
        collect_device, prefix: as in :class:`mmengine.evaluator.BaseMetric`.

    Metrics: ``iou_f1``, ``iou_precision``, ``iou_recall`` (+ the two sweep ones; no prefix unless ``prefix`` is
    given: ``''`` keeps the names and mmengine's "prefix is not set" warning off the console).
    """
    default_prefix: Optional[str] = ''

    def __init__(self, ann_file: Optional[str] = None, score_thr: float = 0.0,
                 sweep: bool = False, collect_device: str = 'cpu',
                 prefix: Optional[str] = None, backend_args: Optional[dict] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.score_thr = check_score_thr(score_thr)
        self.sweep = sweep
        self._coco = None
        if ann_file is not None:
            from mmext.structures.coco_io import load_coco_gt  # every annotation checked
            with get_local_path(ann_file, backend_args=backend_args) as local_path:
                self._coco = load_coco_gt(local_path)

    def _gt_rles(self, data_sample: dict) -> list:
        if self._coco is not None:
            img_id = data_sample['img_id']
            return gt_rles_by_image(self._coco, [img_id])[img_id]
        gt = data_sample.get('gt_instances')
        if gt is None or 'masks' not in gt:
            raise KeyError('IoUWeightedF1Metric needs ann_file or gt_instances.masks '
                           '(LoadAnnotations(with_mask=True) in the test pipeline)')
        return rles_from_instance_masks(gt['masks'])

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep per image its IoU matrix (predictions x ground truths) and the kept
        predictions' scores."""
        for data_sample in data_samples:
            pred = data_sample['pred_instances']
            keep = pred['scores'] >= self.score_thr
            masks = pred['masks']
            if isinstance(masks, list):  # already RLE-encoded
                pred_rles = [rle for rle, k in zip(masks, keep.tolist()) if k]
            else:
                pred_rles = encode_masks(masks if bool(keep.all()) else masks[keep])
            scores = pred['scores'][keep]
            scores = scores.cpu().numpy() if hasattr(scores, 'cpu') else np.asarray(scores)
            self.results.append((mask_ious(pred_rles, self._gt_rles(data_sample)), scores))

    def compute_metrics(self, results: list) -> dict:
        total = IoUCounts()
        for ious, _ in results:
            total = total + counts_from_ious(ious)
        scores = scores_from_counts(total)
        MMLogger.get_current_instance().info(
            'IoU-weighted F1 over {} images: ΣIoU={:.2f} TP={} FP={} FN={}'.format(
                len(results), total.sum_iou, total.tp, total.fp, total.fn))
        metrics = {k: scores[k] for k in ('iou_f1', 'iou_precision', 'iou_recall')}
        if self.sweep:
            rows = [r for r in threshold_sweep(*zip(*results)) if r['score_thr'] >= self.score_thr]
            best = max(rows, key=lambda r: r['iou_f1']) if results and rows else None
            if best is not None:
                metrics.update(best_score_thr=best['score_thr'],
                               iou_f1_at_best_thr=best['iou_f1'])
        return metrics
