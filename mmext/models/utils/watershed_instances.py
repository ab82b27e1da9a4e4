"""Instances from a foreground map and a normalised-distance map, by marker watershed.

Markers are the connected cores (distance above ``core_thr`` inside the foreground); the
watershed of the negated distance grows each core over the foreground, so touching
particles are cut along the valley between their cores. Foreground blobs with no core
(too small or too faint to have one) become instances of their own.
"""
from typing import NamedTuple

import cv2
import numpy as np
from scipy import ndimage
from skimage.segmentation import watershed


class DenseInstances(NamedTuple):
    """Instances of one image: a label map (0 = background) and per-instance arrays."""
    labels: np.ndarray  # (H, W) int32, instance i+1 at the pixels of instance i
    boxes: np.ndarray  # (N, 4) float32, x1 y1 x2 y2 (x2, y2 exclusive, as mmdet's mask2bbox)
    scores: np.ndarray  # (N,) float32


def watershed_labels(fg_prob, dist_prob, fg_thr=0.5, core_thr=0.5) -> np.ndarray:
    """Label map (int32, 0 = background) of the instances in the two maps."""
    fg = fg_prob > fg_thr
    cores = (dist_prob > core_thr) & fg
    num_cores, markers = cv2.connectedComponents(cores.view(np.uint8), connectivity=8)
    if num_cores > 1:
        labels = watershed(-dist_prob, markers, mask=fg).astype(np.int32)
    else:
        labels = np.zeros(fg.shape, np.int32)
    orphans = fg & (labels == 0)
    if orphans.any():
        _, extra = cv2.connectedComponents(orphans.view(np.uint8), connectivity=8)
        labels[orphans] = extra[orphans] + labels.max()
    return labels


def instances_from_maps(fg_prob, dist_prob, fg_thr=0.5, core_thr=0.5, min_area=4,
                        score_thr=0.0, max_per_img=None) -> DenseInstances:
    """Instances of one image from its probability maps (float ``(H, W)`` each).

    Score: the instance's mean foreground probability times its largest distance
    probability (a confident blob with a confident core ranks first). Instances under
    ``min_area`` pixels or ``score_thr`` are dropped; the ``max_per_img`` best are kept.
    Labels are renumbered 1..N in the order of the returned arrays.
    """
    labels = watershed_labels(fg_prob, dist_prob, fg_thr, core_thr)
    boxes, scores, keep = [], [], []
    for index, region in enumerate(ndimage.find_objects(labels), start=1):
        if region is None:
            continue
        inside = labels[region] == index
        area = int(inside.sum())
        if area < min_area:
            continue
        score = float(fg_prob[region][inside].mean() * dist_prob[region][inside].max())
        if score < score_thr:
            continue
        ys, xs = region
        boxes.append((xs.start, ys.start, xs.stop, ys.stop))
        scores.append(score)
        keep.append(index)
    order = np.argsort(-np.asarray(scores, np.float32), kind='stable')
    if max_per_img is not None:
        order = order[:max_per_img]
    lut = np.zeros(labels.max() + 1, np.int32)
    lut[np.asarray(keep, np.int64)[order]] = np.arange(1, len(order) + 1)
    return DenseInstances(
        labels=lut[labels],
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4)[order],
        scores=np.asarray(scores, np.float32)[order])
