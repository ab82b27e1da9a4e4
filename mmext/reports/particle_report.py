"""Write the particle test report folder from collected per-image masks.

Files (in ``out_dir``):

- ``per_image.csv``: per image: ground-truth and predicted instances, TP / FP / FN,
  ΣIoU, IoU-weighted F1 (precision, recall), false detections, overlay file;
- ``particles.csv``: one row per particle (``source`` gt or pred): score, outcome,
  matched IoU and the shape metrics of :mod:`.shape_report` (area, ECD, perimeter,
  Feret, aspect ratio, circularity, solidity, ...; µm columns with ``um_per_px``);
- ``size_distribution.png`` / ``size_distribution.csv``: equivalent-diameter
  distribution, ground truth vs prediction, D10/D50/D90 and the two-sample KS statistic;
- ``score_sweep.csv`` / ``score_sweep.png``: the set's IoU-F1 when predictions below
  each score threshold are dropped (which ``score_thr`` to submit with);
- ``overlays/<image>.png``: ground-truth outlines beside the predictions coloured by
  matched IoU, misses and false detections marked;
- ``summary.json``: the set's IoU-F1 and tallies, the best score threshold, size
  statistics and the KS statistic.

Numbers come from :mod:`mmext.evaluation.functional.iou_weighted_f1` (matching) and
:mod:`mmext.evaluation.functional.shape_metrics` through :func:`.shape_report.measure`.
"""
import json
import os.path as osp
from typing import List, Optional

import numpy as np

from mmext.evaluation.functional.iou_weighted_f1 import IoUCounts, scores_from_counts
from mmext.evaluation.functional.particle_matching import match_image, threshold_sweep
from mmext.evaluation.functional.shape_metrics import compare_distributions, summarize
from mmext.utils import atomic_write
from .shape_report import column, measure
from .tables import write_table

__all__ = ['write_particle_report']

PER_IMAGE_HEADER = ['image_id', 'file_name', 'gt_instances', 'pred_instances', 'tp', 'fp',
                    'fn', 'sum_iou', 'iou_f1', 'iou_precision', 'iou_recall',
                    'false_detections', 'overlay']


def _outcomes(match, num_preds, num_gts):
    """Outcome word per prediction and per ground truth."""
    if match is None:
        return ['unmatched'] * num_preds, []
    pred = ['duplicate' if d else 'tp' if t else 'false_detection' if iou == 0
            else 'weak_overlap'
            for iou, t, d in zip(match['pred_iou'], match['pred_tp'], match['pred_duplicate'])]
    gt = ['found' if iou > 0 else 'missed' for iou in match['gt_iou']]
    return pred, gt


def _stem(img, used):
    base = osp.splitext(osp.basename(img.get('img_path') or ''))[0] or str(img['image_id'])
    name, k = base, 1
    while name in used:
        k += 1
        name = f'{base}_{k}'
    used.add(name)
    return name


def write_particle_report(out_dir, images: List[dict], um_per_px: Optional[float] = None,
                          score_thr: Optional[float] = None, overlays: bool = True,
                          max_overlays: int = 200, overlay_max_side: int = 640,
                          depth_max: Optional[int] = None, log=print) -> dict:
    """Write every report file the data allows; return ``{name: path}`` plus ``summary``.

    Args:
        images: per test image ``dict(image_id, img_path, gt_rles, pred_rles, scores)``;
            ``gt_rles`` None where the image has no ground truth.
        um_per_px: microns per pixel; adds µm columns and reports sizes in µm.
        score_thr: the threshold the test was scored at (marked on the sweep plot).
        max_overlays: overlays are drawn for the lowest-scoring images first, up to this.
        depth_max: the loader's ``depth_max`` (16-bit images in the overlays), or None.
    """
    from mmext.visualization import particle_plots as P

    path = lambda name: osp.join(out_dir, name)  # noqa: E731
    has_gt = any(img.get('gt_rles') is not None for img in images)
    matches = [match_image(img['gt_rles'], img['pred_rles'])
               if img.get('gt_rles') is not None else None for img in images]
    out = {}

    # per image -------------------------------------------------------------------------
    per_image = []
    for img, m in zip(images, matches):
        c = m['counts'] if m is not None else IoUCounts()
        s = scores_from_counts(c)
        per_image.append(dict(
            image_id=img['image_id'], file_name=osp.basename(img.get('img_path') or ''),
            gt_instances=len(img['gt_rles']) if img.get('gt_rles') is not None else '',
            pred_instances=len(img['pred_rles']), tp=c.tp, fp=c.fp, fn=c.fn,
            sum_iou=c.sum_iou, iou_f1=s['iou_f1'] if m is not None else '',
            iou_precision=s['iou_precision'] if m is not None else '',
            iou_recall=s['iou_recall'] if m is not None else '',
            false_detections=int((m['pred_iou'] == 0).sum()) if m is not None else '',
            overlay=''))
    # worst first: lowest IoU-F1, then most false detections
    order = sorted(range(len(images)), key=lambda i: (
        per_image[i]['iou_f1'] if per_image[i]['iou_f1'] != '' else 1.0,
        -(per_image[i]['false_detections'] or 0)))
    if overlays:
        used = set()
        for i in order[:max_overlays]:
            img = images[i]
            if not img.get('img_path') or not osp.isfile(img['img_path']):
                continue
            name = f'overlays/{_stem(img, used)}.png'
            P.draw_particle_overlay(img['img_path'], img.get('gt_rles'), img['pred_rles'],
                                    matches[i], path(name), max_side=overlay_max_side,
                                    depth_max=depth_max)
            per_image[i]['overlay'] = name
    write_table(path('per_image.csv'), PER_IMAGE_HEADER,
              ([row[k] for k in PER_IMAGE_HEADER] for row in per_image))
    out['per_image'] = path('per_image.csv')

    # per particle ------------------------------------------------------------------------
    sources = {'pred': [dict(image_id=img['image_id'],
                             file_name=osp.basename(img.get('img_path') or ''),
                             ids=list(range(len(img['pred_rles']))),
                             scores=list(np.asarray(img['scores'], np.float64)),
                             rles=img['pred_rles']) for img in images]}
    if has_gt:
        sources['gt'] = [dict(image_id=img['image_id'],
                              file_name=osp.basename(img.get('img_path') or ''),
                              ids=list(range(len(img['gt_rles'] or []))),
                              scores=[np.nan] * len(img['gt_rles'] or []),
                              rles=img['gt_rles'] or []) for img in images]
    tables = {k: measure(v, um_per_px, progress=False)['table'] for k, v in sources.items()}
    rows, header = [], None
    for name in ('gt', 'pred'):
        if name not in tables:
            continue
        table = tables[name]
        metric_cols = [k for k in table if k not in ('image_id', 'file_name', 'instance',
                                                     'score')]
        header = ['source', 'image_id', 'file_name', 'instance', 'score', 'outcome',
                  'matched_iou'] + metric_cols
        n = 0
        for img, m in zip(images, matches):
            k = len(img['pred_rles'] if name == 'pred' else (img['gt_rles'] or []))
            pred_out, gt_out = _outcomes(m, len(img['pred_rles']),
                                         len(img['gt_rles'] or []))
            outcome = pred_out if name == 'pred' else gt_out
            ious = (m['pred_iou'] if name == 'pred' else m['gt_iou']) if m is not None \
                else [np.nan] * k
            for j in range(k):
                rows.append([name, img['image_id'], table['file_name'][n], j,
                             table['score'][n], outcome[j], ious[j]]
                            + [table[c][n] for c in metric_cols])
                n += 1
    if header is None:
        header = ['source', 'image_id', 'file_name', 'instance', 'score', 'outcome',
                  'matched_iou']
    write_table(path('particles.csv'), header, rows)
    out['particles'] = path('particles.csv')

    # size distribution -------------------------------------------------------------------
    ecd = column('equivalent_diameter', um_per_px)
    unit = 'µm' if um_per_px else 'px'
    samples = {label: tables[key][ecd] for key, label in (('gt', 'ground truth'),
                                                            ('pred', 'prediction'))
               if key in tables}
    stats = {k: summarize(v) for k, v in samples.items()}
    ks = compare_distributions(tables['gt'][ecd], tables['pred'][ecd]) if has_gt else None
    write_table(path('size_distribution.csv'),
              ['source', 'metric', 'count', 'mean', 'std', 'min', 'd10', 'd50', 'd90', 'max'],
              [[k, ecd, *s.values()] for k, s in stats.items()])
    out['size_distribution_csv'] = path('size_distribution.csv')
    out['size_distribution'] = P.plot_size_distribution(
        samples, stats, unit, path('size_distribution.png'),
        ks_stat=ks['ks_stat'] if ks else None)

    # score sweep and summary -------------------------------------------------------------
    summary = dict(num_images=len(images), um_per_px=um_per_px, size_unit=unit,
                   pred_instances=int(sum(len(img['pred_rles']) for img in images)))
    if has_gt:
        total = IoUCounts()
        for m in matches:
            if m is not None:
                total = total + m['counts']
        summary.update(scores_from_counts(total))
        summary['gt_instances'] = int(sum(len(img['gt_rles'] or []) for img in images))
        with_gt = [(m['ious'], img['scores']) for img, m in zip(images, matches)
                   if m is not None]
        sweep = threshold_sweep([a for a, _ in with_gt], [b for _, b in with_gt])
        write_table(path('score_sweep.csv'), list(sweep[0]),
                  ([r[k] for k in sweep[0]] for r in sweep))
        out['score_sweep_csv'] = path('score_sweep.csv')
        out['score_sweep'] = P.plot_score_sweep(sweep, path('score_sweep.png'), score_thr)
        best = max(sweep, key=lambda r: r['iou_f1'])
        summary.update(best_score_thr=best['score_thr'], best_score_thr_iou_f1=best['iou_f1'])
        summary['size_ks_stat'] = ks['ks_stat']
        summary['size_ks_pvalue'] = ks['ks_pvalue']
    for key, label in (('gt', 'ground truth'), ('pred', 'prediction')):
        if label in stats:
            for q in ('mean', 'd10', 'd50', 'd90'):
                summary[f'{key}_ecd_{q}_{"um" if um_per_px else "px"}'] = stats[label][q]
    summary = {k: (None if isinstance(v, float) and not np.isfinite(v) else v)
               for k, v in summary.items()}
    with atomic_write(path('summary.json')) as f:
        json.dump(summary, f, indent=2)
    out['summary'] = path('summary.json')
    out['summary_dict'] = summary
    log(f'particle report written to {out_dir}')
    return out
