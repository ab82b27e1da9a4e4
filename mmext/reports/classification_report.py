"""Write the classification evaluation report folder from collected test predictions.

Files (in ``out_dir``):
``summary.json`` (accuracy, top-k accuracy, balanced accuracy, macro/micro AUC, mAP),
``classification_report.csv`` (per-class precision/recall/F1/support, macro and
weighted averages), ``confusion_matrix.csv`` / ``confusion_matrix_normalized.csv`` /
``confusion_matrix.png``, ``roc_auc.csv`` / ``roc_curves.csv`` / ``roc_curves.png``,
``average_precision.csv`` / ``pr_curves.png``, ``tsne.png``, ``training_curves.png``,
``results.csv`` (one row per image) and ``predictions_grid.png``.
Metric files need every sample's true label; ``results.csv`` and the grid do not.
"""
import json
import os.path as osp

import numpy as np

from mmext.utils import atomic_write
from .tables import write_table

__all__ = ['write_classification_report', 'write_results_csv']


def _write_csv(path, header, rows, overwrite=True):
    return write_table(path, header, rows, nan='nan', overwrite=overwrite)


def write_results_csv(path, img_paths, scores, classes, gt_labels=None, topk=3,
                      overwrite=True):
    """``results.csv``: image path, predicted class and score, top-k, true class."""
    from mmext.evaluation.functional.cls_metrics import topk_predictions
    labels, top_scores = topk_predictions(scores, topk)
    k = labels.shape[1]
    header = ['img_path', 'pred_label', 'pred_class', 'score']
    for i in range(1, k + 1):
        header += [f'top{i}_class', f'top{i}_score']
    header += ['gt_label', 'gt_class', 'correct']
    rows = []
    for n, img_path in enumerate(img_paths):
        row = [img_path, int(labels[n, 0]), classes[labels[n, 0]], float(top_scores[n, 0])]
        for i in range(k):
            row += [classes[labels[n, i]], float(top_scores[n, i])]
        gt = None if gt_labels is None else int(gt_labels[n])
        if gt is None or gt < 0:
            row += ['', '', '']
        else:
            row += [gt, classes[gt], int(gt == labels[n, 0])]
        rows.append(row)
    return _write_csv(path, header, rows, overwrite=overwrite)


def _grid_indices(n, max_images):
    if n <= max_images:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, max_images).round().astype(int).tolist()))


def write_classification_report(out_dir, scores, classes, gt_labels=None, img_paths=None,
                                features=None, topk=3, train_logs=None, max_grid_images=100,
                                grid_tile=128, tsne_seed=0, depth_max=None, log=print):
    """Write every report file that the given data allows; return {name: path}.

    Args:
        scores: (N, C) class scores (probabilities).
        classes: C class names.
        gt_labels: (N,) true labels, -1 where unknown, or None.
        img_paths: N image paths (for ``results.csv`` and the grid), or None.
        features: (N, D) penultimate features for t-SNE, or None.
        depth_max: the loader's ``depth_max`` (16-bit images in the grid), or None.
        train_logs: mmengine scalar log files for the training curves, or None.
        log: callable taking one message string.
    """
    from mmext.visualization import cls_plots, train_log
    from mmext.evaluation.functional import cls_metrics as F

    scores = np.asarray(scores, dtype=np.float64)
    classes = [str(c) for c in classes]
    n = len(scores)
    if scores.ndim != 2 or scores.shape[1] != len(classes):
        raise ValueError(f'scores shape {scores.shape} does not match {len(classes)} classes')
    img_paths = list(img_paths) if img_paths is not None else [str(i) for i in range(n)]
    gt = None if gt_labels is None else np.asarray(gt_labels, dtype=np.int64)
    out = {}

    def path(name):
        return osp.join(out_dir, name)

    out['results'] = write_results_csv(path('results.csv'), img_paths, scores, classes, gt,
                                       topk)
    if img_paths and osp.isfile(img_paths[0]):
        idx = _grid_indices(n, max_grid_images)
        pred = scores.argmax(1)
        out['grid'] = cls_plots.plot_prediction_grid(
            [img_paths[i] for i in idx], [classes[pred[i]] for i in idx],
            [classes[gt[i]] if gt is not None and gt[i] >= 0 else None for i in idx],
            [scores[i, pred[i]] for i in idx], path('predictions_grid.png'), tile=grid_tile,
            depth_max=depth_max)

    if gt is None or (gt < 0).any():
        log('classification report: true labels missing for some test images; '
            'metrics, curves and t-SNE are skipped')
    else:
        summary = F.summary_metrics(scores, gt, topk=(1, topk))
        rows = F.per_class_report(scores, gt)
        for row in rows:
            if isinstance(row['class'], int):
                row['class'] = classes[row['class']]
        out['per_class'] = _write_csv(
            path('classification_report.csv'),
            ['class', 'precision', 'recall', 'f1-score', 'support'],
            [[r[k] for k in ('class', 'precision', 'recall', 'f1-score', 'support')]
             for r in rows])

        counts, normalized = F.confusion_matrices(scores, gt)
        out['confusion_csv'] = _write_csv(path('confusion_matrix.csv'), ['true\\pred'] + classes,
                                          [[c] + list(r) for c, r in zip(classes, counts)])
        out['confusion_norm_csv'] = _write_csv(
            path('confusion_matrix_normalized.csv'), ['true\\pred'] + classes,
            [[c] + list(r) for c, r in zip(classes, normalized)])
        out['confusion_png'] = cls_plots.plot_confusion(counts, normalized, classes,
                                                        path('confusion_matrix.png'))

        roc = F.roc_report(scores, gt)
        names = {**{c: classes[c] for c in range(len(classes))}, 'micro': 'micro',
                 'macro': 'macro'}
        out['roc_auc'] = _write_csv(path('roc_auc.csv'), ['class', 'auc'],
                                    [[names[k], v] for k, v in roc['auc'].items()])
        out['roc_curves_csv'] = _write_csv(
            path('roc_curves.csv'), ['curve', 'fpr', 'tpr', 'threshold'],
            [[names[k], a, b, t] for k, (fpr, tpr, thr) in roc['curves'].items()
             for a, b, t in zip(fpr, tpr, thr)])
        out['roc_png'] = cls_plots.plot_roc(roc, classes, path('roc_curves.png'))

        pr = F.pr_report(scores, gt)
        out['ap'] = _write_csv(path('average_precision.csv'), ['class', 'average_precision'],
                               [[names[k], v] for k, v in pr['ap'].items()])
        out['pr_png'] = cls_plots.plot_pr(pr, classes, path('pr_curves.png'))

        summary.update(macro_auc=roc['auc']['macro'], micro_auc=roc['auc'].get('micro'),
                       mean_average_precision=pr['ap']['macro'])
        summary['classes'] = classes
        with atomic_write(path('summary.json')) as f:
            json.dump(summary, f, indent=2)
        out['summary'] = path('summary.json')
        log('classification report: ' + ', '.join(
            f'{k}={v:.4f}' for k, v in summary.items() if isinstance(v, float)))

        if features is None:
            log('classification report: no penultimate features captured; t-SNE skipped')
        else:
            emb = F.tsne_embedding(features, seed=tsne_seed)
            if emb is None:
                log('classification report: fewer than 3 samples; t-SNE skipped')
            else:
                out['tsne'] = cls_plots.plot_tsne(emb, gt, classes, path('tsne.png'))

    train, val = train_log.load_scalar_logs(train_logs or [])
    if train:
        out['training_curves'] = cls_plots.plot_training_curves(train, val,
                                                                path('training_curves.png'))
    else:
        log('classification report: no training log (vis_data/scalars.json) found; '
            'training curves skipped')
    log(f'classification report written to {out_dir}')
    return out
