"""Figures of the classification report, drawn with matplotlib's Agg canvas.

Each ``plot_*`` function takes the numbers from :mod:`mmext.evaluation.functional`
and writes one PNG atomically; none touches pyplot's global state.
"""
import math

import cv2
import mmcv
import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from mmext.utils import atomic_save
from mmext.utils.images import read_display_image


def _save(fig, path, dpi=100):
    atomic_save(lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches='tight'), path)
    return path


def _name(classes, key):
    return classes[key] if isinstance(key, (int, np.integer)) else str(key)


def _short(name, limit=28):
    name = str(name)
    return name if len(name) <= limit else name[:limit - 1] + '…'


def confusion_figure(counts, normalized, classes):
    """Figure of the counts and row-normalised confusion matrices side by side.

    Class names longer than 28 characters are shortened, column labels stand vertical
    (one per cell, so neighbours cannot touch), the right panel shares the left one's
    row labels (none run into the left matrix) and the constrained layout sizes the
    margins to the labels.
    """
    n = len(classes)
    labels = [_short(c) for c in classes]
    size = max(3.5, 0.5 * n + 1.5)  # one matrix, inches
    margin = 0.4 + 0.085 * max(len(label) for label in labels)
    fig = Figure(figsize=(2 * size + margin + 0.6, size + margin), layout='constrained')
    axes = fig.subplots(1, 2)
    for ax, matrix, title, fmt in zip(axes, (counts, normalized),
                                      ('Counts', 'Normalised by true class'), ('d', '.2f')):
        ConfusionMatrixDisplay(matrix, display_labels=labels).plot(
            ax=ax, values_format=fmt, colorbar=False, xticks_rotation='vertical',
            include_values=n <= 30, cmap='Blues')
        ax.set_title(title)
    axes[1].set_ylabel('')
    axes[1].tick_params(labelleft=False)
    return fig


def plot_confusion(counts, normalized, classes, path):
    """Counts and row-normalised confusion matrices side by side (:func:`confusion_figure`)."""
    return _save(confusion_figure(counts, normalized, classes), path)


def plot_roc(roc, classes, path):
    """One-vs-rest ROC curve per class plus the micro average, AUC in the legend."""
    fig = Figure(figsize=(7, 6))
    ax = fig.subplots()
    for key, (fpr, tpr, _) in roc['curves'].items():
        style = dict(linestyle='--', color='k') if key == 'micro' else {}
        ax.plot(fpr, tpr, label=f'{_name(classes, key)} (AUC={roc["auc"][key]:.3f})', **style)
    ax.plot([0, 1], [0, 1], color='grey', linewidth=0.8, linestyle=':')
    ax.set(xlabel='False positive rate', ylabel='True positive rate', xlim=(0, 1),
           ylim=(0, 1.02), title=f'ROC (macro AUC={roc["auc"]["macro"]:.3f})')
    ax.legend(loc='lower right', fontsize='small')
    return _save(fig, path)


def plot_pr(pr, classes, path):
    """One-vs-rest precision-recall curve per class plus micro average, AP in legend."""
    fig = Figure(figsize=(7, 6))
    ax = fig.subplots()
    for key, (precision, recall, _) in pr['curves'].items():
        style = dict(linestyle='--', color='k') if key == 'micro' else {}
        ax.step(recall, precision, where='post',
                label=f'{_name(classes, key)} (AP={pr["ap"][key]:.3f})', **style)
    ax.set(xlabel='Recall', ylabel='Precision', xlim=(0, 1), ylim=(0, 1.02),
           title=f'Precision-recall (mAP={pr["ap"]["macro"]:.3f})')
    ax.legend(loc='lower left', fontsize='small')
    return _save(fig, path)


def plot_tsne(embedding, labels, classes, path, title='t-SNE of penultimate features'):
    """Scatter of a 2-D embedding coloured by (true) class."""
    fig = Figure(figsize=(7, 6))
    ax = fig.subplots()
    labels = np.asarray(labels)
    for c, name in enumerate(classes):
        sel = labels == c
        if sel.any():
            ax.scatter(embedding[sel, 0], embedding[sel, 1], s=12, label=name)
    ax.set(title=title, xticks=[], yticks=[])
    ax.legend(fontsize='small', markerscale=1.5)
    return _save(fig, path)


def plot_training_curves(train, val, path, is_metric=lambda key: 'acc' in key.lower(),
                         metric_label='accuracy (%)'):
    """Training loss per iteration and accuracy (or the keys ``is_metric`` picks) per
    epoch (or validation step).

    ``train`` and ``val`` are lists of mmengine scalar records (dicts with ``step``).
    """
    fig = Figure(figsize=(12, 4.5))
    ax_loss, ax_acc = fig.subplots(1, 2)
    loss_keys = sorted({k for r in train for k in r if k.startswith('loss')})
    for key in loss_keys:
        pts = [(r['step'], r[key]) for r in train if key in r]
        ax_loss.plot(*zip(*pts), label=key)
    ax_loss.set(xlabel='iteration', ylabel='loss', title='Training loss')
    if loss_keys:
        ax_loss.legend(fontsize='small')
    acc_series = []
    for split, records in (('train', train), ('val', val)):
        for key in sorted({k for r in records for k in r if is_metric(k)}):
            pts = [(r.get('epoch', r['step']) if split == 'train' else r['step'], r[key])
                   for r in records if key in r]
            acc_series.append((f'{split} {key}', pts))
    for label, pts in acc_series:
        ax_acc.plot(*zip(*pts), marker='o', markersize=3, label=label)
    ax_acc.set(xlabel='epoch', ylabel=metric_label,
               title=metric_label.split(' (')[0].capitalize())
    if acc_series:
        ax_acc.legend(fontsize='small')
    return _save(fig, path)


def grid_layout(num_images, tile=128, caption=36, max_cols=10):
    """(rows, cols, height, width) of the prediction grid for ``num_images`` tiles."""
    cols = min(max_cols, max(1, math.ceil(math.sqrt(num_images))))
    rows = max(1, math.ceil(num_images / cols))
    return rows, cols, rows * (tile + caption), cols * tile


def plot_prediction_grid(img_paths, pred_names, gt_names, scores, path, tile=128,
                         caption=36, depth_max=None):
    """Tile images with 'pred (score)' and 'gt' captions; mistakes get a red frame.

    ``gt_names`` entries may be None (unknown truth: drawn in black, no frame). 16-bit
    images are shown through ``depth_max`` as the model's loader saw them.
    The canvas is ``grid_layout(len(img_paths), tile, caption)`` sized.
    """
    rows, cols, height, width = grid_layout(len(img_paths), tile, caption)
    canvas = np.full((height, width, 3), 255, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for i, (img_path, pred, gt, score) in enumerate(
            zip(img_paths, pred_names, gt_names, scores)):
        y, x = (i // cols) * (tile + caption), (i % cols) * tile
        img = read_display_image(img_path, depth_max)
        if img is not None:
            h, w = img.shape[:2]
            scale = tile / max(h, w)
            img = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))),
                             interpolation=cv2.INTER_AREA)
            oy, ox = (tile - img.shape[0]) // 2, (tile - img.shape[1]) // 2
            canvas[y + oy:y + oy + img.shape[0], x + ox:x + ox + img.shape[1]] = img
        wrong = gt is not None and gt != pred
        color = (0, 0, 220) if wrong else ((0, 140, 0) if gt is not None else (0, 0, 0))
        if wrong:
            cv2.rectangle(canvas, (x + 1, y + 1), (x + tile - 2, y + tile + caption - 2),
                          color, 3)
        cv2.putText(canvas, f'P: {pred} {score:.2f}'[:24], (x + 4, y + tile + 14), font, 0.38,
                    color, 1, cv2.LINE_AA)
        if gt is not None:
            cv2.putText(canvas, f'T: {gt}'[:24], (x + 4, y + tile + 30), font, 0.38, color, 1,
                        cv2.LINE_AA)
    atomic_save(lambda tmp: mmcv.imwrite(canvas, tmp), path)
    return path
