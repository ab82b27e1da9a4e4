"""Scoring a results json against a ground-truth json: IoU-weighted F1 plus COCO mAP."""
import contextlib
import io

import numpy as np
from pycocotools.cocoeval import COCOeval

from mmext.evaluation.functional.iou_weighted_f1 import iou_weighted_f1
from mmext.structures.rle import gt_rles_by_image
from mmext.utils import InputError
from mmext.structures.coco_io import load_coco_gt, load_results, result_rles_by_image


def coco_map(coco_gt, results, iou_type: str) -> dict:
    """COCO ``mAP, mAP_50, mAP_75`` (``-1`` where undefined) for one ``iou_type``."""
    if not results or not coco_gt.dataset.get('annotations'):
        return dict(mAP=-1.0, mAP_50=-1.0, mAP_75=-1.0)
    with contextlib.redirect_stdout(io.StringIO()):
        coco_dt = coco_gt.loadRes([dict(r) for r in results])
        ev = COCOeval(coco_gt, coco_dt, iou_type)
        ev.params.maxDets = [100, 300, 1000]  # dense scenes: ~60 particles per image
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    s = np.asarray(ev.stats, dtype=float)
    return dict(mAP=float(s[0]), mAP_50=float(s[1]), mAP_75=float(s[2]))


def evaluate_results_file(gt_json, results_json, score_thr: float = 0.0,
                          with_coco_map: bool = False) -> dict:
    """``iou_f1, iou_precision, iou_recall, sum_iou, tp, fp, fn`` (None where undefined:
    a ground truth without annotations) and, with ``with_coco_map``,
    ``bbox_mAP*`` / ``segm_mAP*`` (COCOeval with maxDets 100/300/1000)."""
    coco = load_coco_gt(gt_json)
    if with_coco_map and not coco.cats:
        raise InputError(f'{gt_json}: no "categories"; COCO mAP needs them')
    results = load_results(results_json, coco, score_thr=score_thr)
    img_ids = sorted(coco.imgs)
    gts = gt_rles_by_image(coco)
    preds = result_rles_by_image(results, img_ids)
    metrics = iou_weighted_f1([gts[i] for i in img_ids], [preds[i] for i in img_ids])
    if not coco.dataset['annotations']:  # nothing to find: recall and F1 undefined
        metrics.update(iou_f1=None, iou_recall=None)
        if not results:
            metrics['iou_precision'] = None
    metrics['num_images'] = len(img_ids)
    metrics['num_predictions'] = len(results)
    if with_coco_map:
        cat_ids = sorted(coco.cats)
        for r in results:  # the metric ignores categories; COCOeval needs one
            r.setdefault('category_id', cat_ids[0] if cat_ids else 1)
        if any('bbox' not in r for r in results):
            from pycocotools import mask as mask_utils
            for r in results:
                r.setdefault('bbox', mask_utils.toBbox(r['segmentation']).tolist())
        for iou_type in ('bbox', 'segm'):
            for k, v in coco_map(coco, results, iou_type).items():
                metrics[f'{iou_type}_{k}'] = v
    return metrics
