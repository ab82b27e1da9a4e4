"""Per-split numbers: images, labels or instances per class and per image, image and
object sizes (before and after the pipeline's resize)."""
from collections import Counter

import numpy as np


def _summary(values, quantile=None):
    """min / median / max (and the given percentile) of ``values``, rounded."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return None
    out = dict(min=float(values.min()), median=float(np.median(values)),
               max=float(values.max()))
    if quantile is not None:
        out[f'p{quantile:g}'] = float(np.percentile(values, quantile))
    return {k: round(v, 1) for k, v in out.items()}


def per_class_counts(samples, classes):
    """``{class name: count}`` of labels (classification) or instances (detection)."""
    counts = Counter(label for s in samples for label in s.labels)
    names = list(classes) if classes else sorted(counts)
    return {str(names[i]) if i < len(names) else str(i): int(counts.get(i, 0))
            for i in range(max(len(names), max(counts, default=-1) + 1))}


def image_sizes(samples, scans):
    """The decoded ``(w, h)`` of each readable image of ``samples``."""
    return [scans[s.img_path].size for s in samples if scans[s.img_path].size]


def resize_factors(sizes, resize):
    """Per image (lowest, highest) linear resize factor of the pipeline (1 without one)."""
    if resize is None:
        return np.ones((len(sizes), 2))
    return np.array([resize.factors(w, h) for w, h in sizes]).reshape(-1, 2)


def object_sizes(samples, scans, resize):
    """sqrt(box area) of every instance, in original pixels and after the resize
    (its smallest factor for random resizes)."""
    raw, scaled = [], []
    for s in samples:
        if s.boxes is None or not len(s.boxes):
            continue
        size = scans[s.img_path].size or (s.width, s.height)
        w = np.clip(s.boxes[:, 2] - s.boxes[:, 0], 0, None)
        h = np.clip(s.boxes[:, 3] - s.boxes[:, 1], 0, None)
        side = np.sqrt(w * h)
        factor = resize.factors(*size)[0] if resize is not None and None not in size else 1.0
        raw.append(side)
        scaled.append(side * factor)
    if not raw:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(raw), np.concatenate(scaled)


def split_stats(split, scans, classes, family, resize):
    """The JSON-ready numbers of one split."""
    samples = split.samples
    sizes = image_sizes(samples, scans)
    stats = dict(dataset=type(split.dataset).__name__, images=len(samples),
                 per_class=per_class_counts(samples, classes))
    stats['labels' if family == 'cls' else 'instances'] = int(sum(len(s.labels)
                                                                  for s in samples))
    if sizes:
        w, h = np.array(sizes).T
        stats['image_size'] = dict(width=_summary(w), height=_summary(h))
    if resize is not None:
        factors = resize_factors(sizes, resize)
        stats['resize'] = dict(transform=resize.describe(), pipeline_index=resize.index,
                               factor_min=round(float(factors[:, 0].min()), 3) if sizes else None,
                               factor_max=round(float(factors[:, 1].max()), 3) if sizes else None)
    if family == 'det':
        counts = [len(s.labels) for s in samples]
        stats['instances_per_image'] = _summary(counts, 99)
        stats['images_without_instances'] = int(sum(c == 0 for c in counts))
        raw, scaled = object_sizes(samples, scans, resize)
        stats['object_size'] = _summary(raw, 1)
        stats['object_size_resized'] = _summary(scaled, 1)
    return stats
