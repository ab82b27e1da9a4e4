"""Numbers of a cross-validation: per-fold metrics, mean +- std, pooled report.

Each fold's test predictions (the pickle ``tools/test.py --out`` dumps) give accuracy,
balanced accuracy and macro-F1 through :mod:`mmext.evaluation.functional.cls_metrics`;
macro-F1 averages the classes present in that test fold (a class absent from a fold
has no F1 there). The pooled predictions of all folds (each image once per seed) get
the full classification report, confusion matrix included.

Particle folds take the metrics their ``tools/test.py`` run returned
(:func:`run_metrics`: IoU-F1, COCO bbox / segm mAP ...); the same summary functions
take the metric names as ``metrics``.
"""
import json
import os.path as osp

import numpy as np
from mmengine.fileio import load

from mmext.evaluation.functional.cls_metrics import per_class_report, summary_metrics
from mmext.utils import atomic_write
from .tables import write_table

METRICS = ('accuracy', 'balanced_accuracy', 'macro_f1')
LABELS = {'balanced_accuracy': 'balanced accuracy', 'macro_f1': 'macro-F1'}
#: particle metrics shown first, in this order, when the test run reports them
PARTICLE_HEADLINE = ('iou_f1', 'iou_precision', 'iou_recall', 'coco/segm_mAP',
                     'coco/segm_mAP_50', 'coco/bbox_mAP')


def load_predictions(path):
    """``(scores (N, C), gt (N,), img_paths)`` from a ``tools/test.py --out`` pickle."""
    preds = load(path)

    def array(value):
        return np.asarray(value.cpu() if hasattr(value, 'cpu') else value)

    scores = np.stack([array(p['pred_score']).astype(np.float64) for p in preds])
    gt = np.array([int(array(p['gt_label']).reshape(-1)[0]) for p in preds])
    return scores, gt, [p.get('img_path', str(i)) for i, p in enumerate(preds)]


def fold_metrics(scores, gt):
    """Accuracy, balanced accuracy and macro-F1 (classes present in ``gt``), in [0, 1]."""
    out = summary_metrics(scores, gt)
    present = set(np.unique(gt).tolist())
    f1 = [r['f1-score'] for r in per_class_report(scores, gt)
          if isinstance(r['class'], int) and r['class'] in present]
    return dict(accuracy=out['accuracy'], balanced_accuracy=out['balanced_accuracy'],
                macro_f1=float(np.mean(f1)))


def run_metrics(metrics):
    """The numeric metrics of a test run, headline ones first; COCO's -1 (no ground
    truth of that size) becomes NaN."""
    numeric = {k: float(v) for k, v in metrics.items()
               if isinstance(v, (int, float)) and not isinstance(v, bool)}
    order = [k for k in PARTICLE_HEADLINE if k in numeric]
    order += [k for k in numeric if k not in order]
    return {k: (float('nan') if k.startswith('coco/') and numeric[k] == -1 else numeric[k])
            for k in order}


def common_metrics(fold_rows, names):
    """The ``names`` defined (finite) in every row, in order."""
    return [k for k in names
            if all(np.isfinite(float(r.get(k, float('nan')))) for r in fold_rows)]


def mean_std(rows, key):
    """Mean and sample standard deviation (ddof 1; 0 for one value) of ``key``."""
    values = np.array([r[key] for r in rows], dtype=float)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.


def summarize(fold_rows, metrics=METRICS):
    """``{variant: {metric: (mean, std), 'folds': n, 'cpu_s': (mean, std)}}``."""
    out = {}
    for variant in dict.fromkeys(r['variant'] for r in fold_rows):
        rows = [r for r in fold_rows if r['variant'] == variant]
        out[variant] = {key: mean_std(rows, key) for key in metrics}
        out[variant]['folds'] = len(rows)
        if all(r.get('cpu_s') is not None for r in rows):
            out[variant]['cpu_s'] = mean_std(rows, 'cpu_s')
    return out


def markdown_table(summary, title='', metrics=METRICS):
    """The summary as a Markdown table, ``mean ± std`` per metric."""
    labels = [LABELS.get(k, k) for k in metrics]
    lines = [f'{title}\n' if title else '',
             '| variant | folds | ' + ' | '.join(labels) + ' | CPU s / fold |',
             '|' + '---|' * (len(metrics) + 3)]
    for variant, s in summary.items():
        cells = [f'{s[k][0]:.3f} ± {s[k][1]:.3f}' for k in metrics]
        cpu = f'{s["cpu_s"][0]:.0f} ± {s["cpu_s"][1]:.0f}' if 'cpu_s' in s else '—'
        lines.append(f'| {variant} | {s["folds"]} | ' + ' | '.join(cells) + f' | {cpu} |')
    return '\n'.join(lines).lstrip('\n') + '\n'


def write_cv_summary(out_dir, fold_rows, title='', metrics=METRICS, columns=None,
                     table_metrics=None):
    """Write ``cv_folds.csv`` (one row per fold and variant; ``columns``: its metric
    columns, default ``metrics``), ``cv_summary.json`` (mean ± std of ``metrics``) and
    ``cv_summary.md`` (of ``table_metrics``, default ``metrics``); return the summary."""
    columns = ['variant', 'seed', 'fold', 'n_train', 'n_val', 'n_test',
               *(metrics if columns is None else columns), 'cpu_s', 'checkpoint']
    write_table(osp.join(out_dir, 'cv_folds.csv'), columns,
              ([r.get(c, '') for c in columns] for r in fold_rows), nan='nan')
    summary = summarize(fold_rows, metrics)
    with atomic_write(osp.join(out_dir, 'cv_summary.json')) as f:
        json.dump({v: {k: (dict(mean=m[0], std=m[1]) if isinstance(m, tuple) else m)
                       for k, m in s.items()} for v, s in summary.items()}, f, indent=2)
    with atomic_write(osp.join(out_dir, 'cv_summary.md')) as f:
        f.write(markdown_table(summary, title, table_metrics or metrics))
    return summary
