"""Particle size and shape report from a COCO ground-truth or results json.

Writes into ``out_dir`` (all atomically):

- ``instances_<source>.csv``: one row per instance, every metric in px (and µm);
- ``images_<source>.csv``: per image: count and equivalent-diameter mean, std,
  D10/D50/D90, plus mean circularity, aspect ratio and solidity;
- ``summary.csv``: per source and metric over the whole set: count, mean, std, min,
  D10, D50, D90, max;
- ``comparison.csv`` (with a reference): per metric, reference (ground truth) vs
  predictions: means, medians, their differences and the two-sample KS statistic;
- ``histograms/<metric>.png``: the distributions (overlaid when compared).

``<source>`` is ``gt`` or ``pred``. With ``um_per_px``, lengths are reported in µm
(areas in µm²) in the summaries and histograms; per-instance rows keep both.
"""
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

from mmext.structures.rle import gt_rles_by_image
from mmext.evaluation.functional.shape_metrics import (AREA_METRICS, LENGTH_METRICS,
                                                       METRICS, compare_distributions,
                                                       shape_metrics_from_rles, summarize,
                                                       to_physical)
from mmext.utils import InputError, atomic_save
from mmext.utils.jsonio import read_json
from mmext.structures.coco_io import load_coco_gt, load_results
from .tables import write_table

#: Metrics summarised and plotted (centroids and orientation are per-instance only).
REPORTED = ('area', 'equivalent_diameter', 'perimeter', 'circularity', 'major_axis',
            'minor_axis', 'aspect_ratio', 'solidity', 'feret_max', 'feret_min')


def column(metric: str, um_per_px: Optional[float]) -> str:
    """Column name of ``metric`` in the unit reported (``_px``, ``_um``, ``_um2``)."""
    if metric in AREA_METRICS:
        return f'{metric}_um2' if um_per_px else f'{metric}_px2'
    if metric in LENGTH_METRICS:
        return f'{metric}_um' if um_per_px else f'{metric}_px'
    return metric


def load_images(path, gt_path=None, score_thr: float = 0.0) -> tuple:
    """``(source, images)`` from a gt json or a results json; ``images`` is a list of
    ``dict(image_id, file_name, ids, scores, rles)`` in image-id order."""
    data = read_json(path)
    if isinstance(data, dict):
        coco = load_coco_gt(path)
        rles = gt_rles_by_image(coco)
        images = []
        for img_id in sorted(coco.imgs):
            anns = coco.imgToAnns.get(img_id, [])
            images.append(dict(image_id=img_id, file_name=coco.imgs[img_id].get('file_name', ''),
                               ids=[a.get('id') for a in anns], scores=[np.nan] * len(anns),
                               rles=rles[img_id]))
        return 'gt', images
    coco = load_coco_gt(gt_path) if gt_path else None
    results = load_results(path, coco, score_thr=score_thr)
    by_image: Dict[int, dict] = {}
    ids = sorted(coco.imgs) if coco else sorted({r['image_id'] for r in results})
    for img_id in ids:
        name = coco.imgs[img_id].get('file_name', '') if coco else ''
        by_image[img_id] = dict(image_id=img_id, file_name=name, ids=[], scores=[], rles=[])
    for i, det in enumerate(results):
        entry = by_image[det['image_id']]
        entry['ids'].append(i)
        entry['scores'].append(det.get('score', np.nan))
        entry['rles'].append(det['segmentation'])
    return 'pred', [by_image[i] for i in ids]


def measure(images: List[dict], um_per_px: Optional[float] = None, progress=True) -> dict:
    """Per-instance table ``{column: array}`` for all images (plus ``image_id``,
    ``file_name``, ``instance``, ``score``) and per-image metric dicts."""
    from mmengine.utils import track_iter_progress
    it = track_iter_progress(images) if progress and len(images) > 1 else images
    per_image = []
    for img in it:
        m = shape_metrics_from_rles(img['rles'])
        m_px = {column(k, None): v for k, v in m.items()}
        if um_per_px:
            m_px.update({k: v for k, v in to_physical(m, um_per_px).items() if k not in m})
        per_image.append(m_px)
    keys = list(per_image[0]) if per_image else [column(k, None) for k in METRICS]
    table = {k: np.concatenate([m[k] for m in per_image]) if per_image else np.zeros(0)
             for k in keys}
    table['image_id'] = np.array([img['image_id'] for img in images
                                  for _ in img['rles']], dtype=object)
    table['file_name'] = np.array([img['file_name'] for img in images
                                   for _ in img['rles']], dtype=object)
    table['instance'] = np.array([i for img in images for i in img['ids']], dtype=object)
    table['score'] = np.array([s for img in images for s in img['scores']], dtype=np.float64)
    return dict(table=table, per_image=per_image)


def _instance_csv(path, table):
    lead = ['image_id', 'file_name', 'instance', 'score']
    cols = lead + [k for k in table if k not in lead]
    n = len(table['image_id'])
    write_table(path, cols, ([table[c][i] for c in cols] for i in range(n)))


def _image_csv(path, images, per_image, um_per_px):
    d = column('equivalent_diameter', um_per_px)
    header = ['image_id', 'file_name', 'count', f'{d}_mean', f'{d}_std', f'{d}_d10',
              f'{d}_d50', f'{d}_d90', 'circularity_mean', 'aspect_ratio_mean',
              'solidity_mean']
    rows = []
    for img, m in zip(images, per_image):
        s = summarize(m[d])
        means = [float(np.nanmean(m[k][np.isfinite(m[k])])) if np.isfinite(m[k]).any()
                 else np.nan
                 for k in ('circularity', 'aspect_ratio', 'solidity')]
        rows.append([img['image_id'], img['file_name'], len(img['rles']), s['mean'], s['std'],
                     s['d10'], s['d50'], s['d90'], *means])
    write_table(path, header, rows)


def _histogram(path, metric_col, samples: Dict[str, np.ndarray]):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    finite = {k: v[np.isfinite(v)] for k, v in samples.items()}
    allv = np.concatenate(list(finite.values())) if finite else np.zeros(0)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    if len(allv):
        bins = np.histogram_bin_edges(allv, bins=min(40, max(5, int(np.sqrt(len(allv))))))
        for name, v in finite.items():
            ax.hist(v, bins=bins, alpha=0.55, label=f'{name} (n={len(v)})')
        ax.legend()
    ax.set_xlabel(metric_col)
    ax.set_ylabel('instances')
    fig.tight_layout()
    atomic_save(lambda tmp: fig.savefig(tmp, dpi=90), path)
    plt.close(fig)


def shape_report(input_json, out_dir, gt_json=None, compare_json=None,
                 um_per_px: Optional[float] = None, score_thr: float = 0.0,
                 histograms: bool = True, progress: bool = True) -> dict:
    """Measure ``input_json`` (and ``compare_json``, the reference ground truth) and
    write the report; returns ``{source: measure(...) result, 'comparison': rows}``."""
    if um_per_px is not None and um_per_px <= 0:
        raise InputError(f'--um-per-px must be positive, got {um_per_px}')
    gt_json = gt_json or compare_json
    sources = {}
    kind, images = load_images(input_json, gt_json, score_thr)
    sources[kind] = images
    if compare_json:
        ref_kind, ref_images = load_images(compare_json, None, score_thr)
        if ref_kind != 'gt':
            raise InputError(f'{compare_json}: --compare needs a ground-truth json')
        if kind == 'gt':
            raise InputError(f'{input_json}: with --compare the input must be a results json')
        sources['gt'] = ref_images
    out = {}
    summary_rows = []
    for name, imgs in sources.items():
        res = measure(imgs, um_per_px, progress)
        out[name] = res
        _instance_csv(osp.join(out_dir, f'instances_{name}.csv'), res['table'])
        _image_csv(osp.join(out_dir, f'images_{name}.csv'), imgs, res['per_image'], um_per_px)
        counts = [len(img['rles']) for img in imgs]
        s = summarize(counts)
        summary_rows.append([name, 'count_per_image', *s.values()])
        for metric in REPORTED:
            col = column(metric, um_per_px)
            summary_rows.append([name, col, *summarize(res['table'][col]).values()])
    write_table(osp.join(out_dir, 'summary.csv'),
              ['source', 'metric', 'count', 'mean', 'std', 'min', 'd10', 'd50', 'd90', 'max'],
              summary_rows)
    if 'gt' in out and 'pred' in out:
        rows = []
        pairs = [('count_per_image', [len(i['rles']) for i in sources['gt']],
                  [len(i['rles']) for i in sources['pred']])]
        pairs += [(column(m, um_per_px), out['gt']['table'][column(m, um_per_px)],
                   out['pred']['table'][column(m, um_per_px)]) for m in REPORTED]
        for col, ref, pred in pairs:
            c = compare_distributions(ref, pred)
            rows.append([col, c['ref_count'], c['count'], c['ref_mean'], c['mean'],
                         c['mean_diff'], c['ref_median'], c['median'], c['median_diff'],
                         c['ks_stat'], c['ks_pvalue']])
        write_table(osp.join(out_dir, 'comparison.csv'),
                  ['metric', 'gt_count', 'pred_count', 'gt_mean', 'pred_mean',
                   'mean_diff', 'gt_median', 'pred_median', 'median_diff', 'ks_stat',
                   'ks_pvalue'], rows)
        out['comparison'] = rows
    if histograms:
        for metric in REPORTED:
            col = column(metric, um_per_px)
            _histogram(osp.join(out_dir, 'histograms', f'{metric}.png'), col,
                       {k: v['table'][col] for k, v in out.items() if k in ('gt', 'pred')})
    return out
