"""Hook that writes the particle report folder (and its HTML page) after the test loop.

During ``runner.test()`` it keeps, per test image, the ground-truth masks (the data
sample's ``gt_instances``, loaded at the original scale by the test pipeline) and the
predicted masks as RLEs with their scores; then :func:`write_particle_report` writes
``<work_dir>/report``. It does nothing during training or validation.
"""
import os.path as osp

import numpy as np
from mmengine.hooks import Hook

from mmext.registry import DET_HOOKS
from mmext.utils.config_walk import iter_evaluators
from .gathered_results import gather_test_results


def _pred_rles(pred):
    from mmext.structures.rle import encode_masks
    masks = pred.get('masks')
    if masks is None:
        return []
    if isinstance(masks, list):  # already RLE (e.g. after mask TTA)
        return [dict(m, counts=m['counts'].decode('ascii') if isinstance(m['counts'], bytes)
                     else m['counts']) for m in masks]
    return encode_masks(masks)


def _gt_rles(sample):
    from mmext.structures.rle import rles_from_instance_masks
    gt = sample.get('gt_instances')
    if gt is None or 'masks' not in gt:
        return None
    return rles_from_instance_masks(gt.masks)


def _evaluator_ann_file(cfg):
    """The first ``ann_file`` among the test evaluator's metrics, or None."""
    return next((m['ann_file'] for _, m in iter_evaluators(cfg, ['test_evaluator'])
                 if m.get('ann_file')), None)


def fill_missing_gt(results, ann_file):
    """Ground truth from ``ann_file`` for results whose data sample had none (e.g. a TTA
    pipeline that loads no annotations); images the json does not annotate stay None."""
    from mmext.structures.rle import gt_rles_by_image
    from mmext.structures.coco_io import load_coco_gt
    coco = load_coco_gt(ann_file)
    if not coco.dataset.get('annotations'):
        return
    rles = gt_rles_by_image(coco)
    for r in results:
        if r['gt_rles'] is None and r['image_id'] in rles:
            r['gt_rles'] = rles[r['image_id']]


def _scored_thr(cfg):
    """The threshold the test is scored at: the model's test score threshold, or the
    test IoU-F1's / submission's own where higher; None if neither has one."""
    from mmext.engine.score_threshold import score_thr_holder, thresholded_metrics
    holder = score_thr_holder(cfg.get('model'))
    values = [m.get('score_thr') for m in thresholded_metrics(cfg)]
    values = [float(v) for v in values + [(holder or {}).get('score_thr')] if v is not None]
    return max(values) if values else None


@DET_HOOKS.register_module()
class ParticleReportHook(Hook):
    """Collect test masks and write the particle report.

    Args:
        out_dir (str, optional): Report folder; default ``<work_dir>/report``.
        um_per_px (float, optional): Microns per pixel; default the config's top-level
            ``um_per_px`` (``tools/test.py --um-per-px``), else sizes stay in pixels.
        max_overlays (int): Overlays drawn, lowest IoU-F1 images first.
        overlay_max_side (int): Longest side of each overlay panel in pixels.
        html (bool): Also write ``index.html``.
        ann_file (str, optional): COCO json with the ground truth for images whose data
            sample carries none (TTA pipelines); default the test evaluator's ``ann_file``.
    """
    priority = 'LOW'

    def __init__(self, out_dir=None, um_per_px=None, max_overlays=200, overlay_max_side=640,
                 html=True, ann_file=None):
        self.out_dir = out_dir
        self.um_per_px = um_per_px
        self.max_overlays = max_overlays
        self.overlay_max_side = overlay_max_side
        self.html = html
        self.ann_file = ann_file
        self._results = []

    def before_test_epoch(self, runner):
        self._results = []

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        for sample in outputs or []:
            pred = sample.pred_instances
            self._results.append(dict(
                image_id=sample.get('img_id', len(self._results)),
                img_path=sample.get('img_path'),
                gt_rles=_gt_rles(sample),
                pred_rles=_pred_rles(pred),
                scores=pred.scores.detach().float().cpu().numpy()
                if 'scores' in pred else np.ones(0)))

    def after_test_epoch(self, runner, metrics=None):
        results = gather_test_results(runner, self._results, 'ParticleReportHook')
        self._results = []
        if results is None:
            return
        from mmext.reports.particle_report import write_particle_report
        from mmext.utils.images import config_depth_max
        ann_file = self.ann_file or _evaluator_ann_file(runner.cfg)
        if ann_file and any(r['gt_rles'] is None for r in results) and osp.isfile(ann_file):
            fill_missing_gt(results, ann_file)
        out_dir = self.out_dir or osp.join(runner.work_dir, 'report')
        um_per_px = self.um_per_px or runner.cfg.get('um_per_px')
        score_thr = _scored_thr(runner.cfg)
        out = write_particle_report(out_dir, results, um_per_px=um_per_px, score_thr=score_thr,
                                    max_overlays=self.max_overlays,
                                    overlay_max_side=self.overlay_max_side,
                                    depth_max=config_depth_max(runner.cfg),
                                    log=runner.logger.info)
        if self.html:
            from mmext.visualization.html_report import write_particle_html
            write_particle_html(out_dir, out['summary_dict'], runner, metrics)
