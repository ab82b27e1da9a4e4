"""Figures of the particle report: outline overlays, size distribution, score sweep.

Overlays are drawn with OpenCV from each instance's bounding-box crop of its RLE
(:func:`mmext.structures.rle.decode_crop`), never from full-image masks;
plots use matplotlib's Agg ``Figure`` (no pyplot state). Every file is written atomically.
"""
import cv2
import mmcv
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from pycocotools import mask as mask_utils

from mmext.structures.rle import decode_crop
from mmext.utils import InputError, atomic_save
from mmext.utils.images import read_display_image
from .cls_plots import _save

GT_COLOR = (80, 220, 80)  # BGR
MISS_COLOR = (255, 0, 255)  # magenta: ground truth no prediction found
FALSE_COLOR = (255, 160, 0)  # blue-ish: prediction overlapping no particle
DUPLICATE_COLOR = (0, 165, 255)  # orange: extra prediction on a found particle
_IOU_CMAP = colormaps['RdYlGn']


def iou_color(iou):
    """BGR colour of a matched IoU on the red (0.5 and below) to green (1) scale."""
    r, g, b, _ = _IOU_CMAP(float(np.clip((iou - 0.5) / 0.5, 0, 1)))
    return int(b * 255), int(g * 255), int(r * 255)


def rle_contours(rles, scale=1.0):
    """Outer contours (list of int32 point arrays, image coordinates × ``scale``) of each
    RLE, from its bounding-box crop."""
    out = []
    boxes = mask_utils.toBbox(list(rles)) if len(rles) else []
    for rle, (x, y, w, h) in zip(rles, boxes):
        x, y, w, h = int(x), int(y), int(w), int(h)
        crop = np.zeros((h + 2, w + 2), np.uint8)
        crop[1:-1, 1:-1] = decode_crop(rle, (x, y, w, h))
        cts, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE,
                                  offset=(x - 1, y - 1))
        out.append([np.round((c.astype(np.float64) + 0.5) * scale - 0.5).astype(np.int32)
                    for c in cts])
    return out


def _panel(image, title):
    bar = np.full((24, image.shape[1], 3), 255, np.uint8)
    cv2.putText(bar, title, (6, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([bar, image])


LEGEND = (('IoU 0.5', iou_color(0.5)), ('0.75', iou_color(0.75)), ('1', iou_color(1.0)),
          ('missed', MISS_COLOR), ('false', FALSE_COLOR), ('duplicate', DUPLICATE_COLOR))


def _legend(width):
    """White strip(s) with a colour swatch and a word per entry of :data:`LEGEND`,
    wrapped to ``width``."""
    font, scale = cv2.FONT_HERSHEY_SIMPLEX, 0.4
    rows, row, x = [], [], 4
    for word, color in LEGEND:
        w = 14 + cv2.getTextSize(word, font, scale, 1)[0][0] + 10
        if row and x + w > width:
            rows.append(row)
            row, x = [], 4
        row.append((x, word, color))
        x += w
    rows.append(row)
    strip = np.full((18 * len(rows) + 4, width, 3), 255, np.uint8)
    for r, entries in enumerate(rows):
        y = 4 + 18 * r
        for x, word, color in entries:
            cv2.rectangle(strip, (x, y + 2), (x + 10, y + 12), color, -1)
            cv2.putText(strip, word, (x + 14, y + 12), font, scale, (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def draw_particle_overlay(image, gt_rles, pred_rles, match, path, max_side=640,
                          depth_max=None):
    """Side-by-side PNG: ground-truth outlines | predictions coloured by matched IoU.

    On the prediction panel, missed ground truths are filled magenta, predictions that
    overlap no particle are outlined blue and duplicates orange. ``match`` is the dict of
    :func:`mmext.evaluation.functional.particle_matching.match_image` (or None without
    ground truth; with it a colour legend strip goes underneath). ``image`` is a path
    or a BGR array (a 16-bit file shown through ``depth_max``). Returns ``path``.
    """
    img = read_display_image(image, depth_max) if isinstance(image, str) else image
    if img is None:
        raise InputError(f'{image}: not an image OpenCV can read')
    h, w = img.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale < 1:
        img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    thick = 1 if max(img.shape[:2]) < 400 else 2
    left, right = img.copy(), img.copy()
    pred_contours = rle_contours(pred_rles, scale)
    if gt_rles is not None:
        gt_contours = rle_contours(gt_rles, scale)
        for cts in gt_contours:
            cv2.drawContours(left, cts, -1, GT_COLOR, thick, cv2.LINE_8)
        if match is not None:
            fill = right.copy()
            for cts, iou in zip(gt_contours, match['gt_iou']):
                if iou == 0:
                    cv2.drawContours(fill, cts, -1, MISS_COLOR, -1)
                    cv2.drawContours(right, cts, -1, MISS_COLOR, thick, cv2.LINE_8)
            right = cv2.addWeighted(fill, 0.45, right, 0.55, 0)
    for i, cts in enumerate(pred_contours):
        if match is None:
            color = (0, 255, 255)
        elif match['pred_duplicate'][i]:
            color = DUPLICATE_COLOR
        elif match['pred_iou'][i] == 0:
            color = FALSE_COLOR
        else:
            color = iou_color(match['pred_iou'][i])
        cv2.drawContours(right, cts, -1, color, thick + (match is not None and
                                                          match['pred_iou'][i] == 0),
                         cv2.LINE_8)
    panels = [_panel(right, f'predictions ({len(pred_rles)})')]
    if gt_rles is not None:
        panels.insert(0, _panel(left, f'ground truth ({len(gt_rles)})'))
    canvas = np.hstack([np.pad(p, ((0, 0), (0, 6), (0, 0)), constant_values=255)
                        for p in panels])
    if match is not None:
        canvas = np.vstack([canvas, _legend(canvas.shape[1])])
    atomic_save(lambda tmp: mmcv.imwrite(canvas, tmp), path)
    return path


def plot_size_distribution(samples, stats, unit_label, path, ks_stat=None):
    """Histogram (left) and cumulative distribution (right) of equivalent diameters.

    ``samples``: ``{'ground truth': array, 'prediction': array}``; ``stats``: the same
    keys to :func:`~mmext.evaluation.functional.shape_metrics.summarize` dicts, whose
    D10/D50/D90 are marked. The KS statistic goes into the title.
    """
    fig = Figure(figsize=(11, 4.2))
    ax_hist, ax_cdf = fig.subplots(1, 2)
    finite = {k: np.asarray(v, np.float64)[np.isfinite(v)] for k, v in samples.items()}
    allv = np.concatenate([v for v in finite.values() if len(v)] or [np.zeros(0)])
    bins = np.histogram_bin_edges(allv, bins=min(40, max(5, int(np.sqrt(len(allv)))))) \
        if len(allv) else 10
    for (name, v), color in zip(finite.items(), ('tab:green', 'tab:blue', 'tab:orange')):
        if not len(v):
            continue
        ax_hist.hist(v, bins=bins, alpha=0.5, color=color, label=f'{name} (n={len(v)})')
        xs = np.sort(v)
        ax_cdf.step(xs, np.arange(1, len(xs) + 1) / len(xs), where='post', color=color,
                    label=name)
        s = stats[name]
        for q, style in (('d10', ':'), ('d50', '--'), ('d90', ':')):
            ax_cdf.axvline(s[q], color=color, linestyle=style, linewidth=1)
        ax_cdf.plot([s['d10'], s['d50'], s['d90']], [0.1, 0.5, 0.9], 'o', color=color,
                    markersize=4)
    for ax in (ax_hist, ax_cdf):
        ax.set_xlabel(f'equivalent circular diameter ({unit_label})')
    ax_hist.set(ylabel='particles', title='Size distribution')
    title = 'Cumulative (D10 / D50 / D90 marked)'
    if ks_stat is not None and np.isfinite(ks_stat):
        title += f', KS = {ks_stat:.3f}'
    ax_cdf.set(ylabel='fraction', ylim=(0, 1.02), title=title)
    if len(allv):
        ax_hist.legend(fontsize='small')
        ax_cdf.legend(fontsize='small', loc='lower right')
    fig.tight_layout()
    return _save(fig, path)


def plot_score_sweep(rows, path, current_thr=None):
    """IoU-weighted F1, precision and recall against the score threshold."""
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.subplots()
    thr = [r['score_thr'] for r in rows]
    for key, label in (('iou_f1', 'IoU-F1'), ('iou_precision', 'precision'),
                       ('iou_recall', 'recall')):
        ax.plot(thr, [r[key] for r in rows], marker='o', markersize=3, label=label,
                linewidth=2 if key == 'iou_f1' else 1)
    best = max(rows, key=lambda r: r['iou_f1'])
    ax.axvline(best['score_thr'], color='k', linestyle='--', linewidth=1)
    ax.annotate(f'best {best["iou_f1"]:.3f} at {best["score_thr"]:.2f}',
                (best['score_thr'], best['iou_f1']), textcoords='offset points',
                xytext=(5, 8), fontsize='small')
    if current_thr is not None:
        ax.axvline(current_thr, color='grey', linestyle=':', linewidth=1,
                   label=f'model score_thr {current_thr:g}')
    ax.set(xlabel='score threshold', ylabel='score', ylim=(0, 1.02),
           title='IoU-weighted F1 vs score threshold')
    ax.legend(fontsize='small')
    fig.tight_layout()
    return _save(fig, path)
