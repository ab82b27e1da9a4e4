"""COCO run-length encoding: the one home of mask → RLE encoding and of ground-truth RLEs
per image, shared by the metric, reports, submissions and shape tools.

The ``counts`` of every RLE returned here is a ``str`` (JSON-ready).
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
from pycocotools import mask as mask_utils


def _str_counts(rles: List[dict]) -> List[dict]:
    for rle in rles:
        if isinstance(rle['counts'], bytes):
            rle['counts'] = rle['counts'].decode('ascii')
    return rles


def _crop_counts(crop, x0: int, y0: int, height: int, width: int) -> dict:
    """Uncompressed RLE (``size``, ``counts`` list) of the ``height x width`` image that
    holds the binary ``crop`` at ``(x0, y0)`` and nothing else."""
    h, w = crop.shape
    padded = np.zeros((w, h + 2), np.int8)  # one column per row, zero-framed
    padded[:, 1:-1] = crop.T != 0
    col, row = np.nonzero(np.diff(padded, axis=1))  # column-major order
    index = (x0 + col) * height + y0 + row  # in the whole image, column-major
    # a run reaching the bottom of a column may go on at the top of the next
    touching = np.flatnonzero(index[1:] == index[:-1])
    index = np.delete(index, np.concatenate([touching, touching + 1]))
    counts = np.diff(np.concatenate([[0], index, [height * width]]))
    if counts[-1] == 0:  # ends on foreground: pycocotools writes no empty last run
        counts = counts[:-1]
    return dict(size=[height, width], counts=counts.tolist())


def encode_crops(crops: Sequence[np.ndarray], origins, height: int, width: int) -> List[dict]:
    """RLEs of binary masks given as crops (``crops[i]`` at column, row ``origins[i]``)
    of a ``height x width`` image: no full-size bitmap is ever made."""
    uncompressed = [_crop_counts(crop, int(x0), int(y0), height, width) if crop.any()
                    else dict(size=[height, width], counts=[height * width])
                    for crop, (x0, y0) in zip(crops, origins)]
    if not uncompressed:
        return []
    return _str_counts(mask_utils.frPyObjects(uncompressed, height, width))


def encode_label_map(labels: np.ndarray, boxes) -> List[dict]:
    """RLEs of the instances of a label map (instance ``i`` at ``labels == i + 1``, in
    its box ``boxes[i]`` = x1 y1 x2 y2, exclusive ends), reading only each box: memory
    and time grow with the instances' boxes, not with image size x instances."""
    boxes = np.asarray(boxes, np.int64).reshape(-1, 4)
    crops = [labels[y0:y1, x0:x1] == i + 1 for i, (x0, y0, x1, y1) in enumerate(boxes)]
    return encode_crops(crops, boxes[:, :2], *labels.shape)


def encode_masks(masks) -> List[dict]:
    """Encode binary masks ``N×H×W`` (numpy array or torch tensor, any device) as RLEs.

    One vectorised scan finds the rows each mask occupies; only that band (then the
    mask's bounding box) is read further: the runs are found with numpy on the
    transposed crop, placed in the column-major index of the whole image and
    compressed by pycocotools (``frPyObjects``). Same output as one dense
    ``pycocotools.mask.encode`` call, at a cost that grows with the masks' areas rather
    than image size × number of masks (see ``bench/bench_submission.py``).
    """
    n = int(masks.shape[0])
    if n == 0:
        return []
    height, width = int(masks.shape[1]), int(masks.shape[2])
    is_torch = hasattr(masks, 'detach')
    if is_torch:  # uint8 max: several times faster than torch's bool any()
        import torch
        masks = masks.detach()
        masks = (masks if masks.dtype == torch.bool else masks != 0).view(torch.uint8)
        rows = masks.amax(dim=2).cpu().numpy()
    else:
        masks = np.asarray(masks)
        rows = masks.any(axis=2)
    uncompressed = []
    for i in range(n):
        ys = np.flatnonzero(rows[i])
        if len(ys) == 0:
            uncompressed.append(dict(size=[height, width], counts=[height * width]))
            continue
        y0, y1 = ys[0], ys[-1] + 1
        band = masks[i, y0:y1]  # only the rows the mask occupies
        band = band.cpu().numpy() if is_torch else band
        xs = np.flatnonzero(band.any(axis=0))
        x0, x1 = xs[0], xs[-1] + 1
        uncompressed.append(_crop_counts(band[:, x0:x1], x0, y0, height, width))
    return _str_counts(mask_utils.frPyObjects(uncompressed, height, width))


def segmentation_to_rle(segmentation, height: int, width: int) -> dict:
    """One COCO ``segmentation`` (polygons, uncompressed or compressed RLE) → RLE."""
    if isinstance(segmentation, list):  # polygons
        rle = mask_utils.merge(mask_utils.frPyObjects(segmentation, height, width))
    elif isinstance(segmentation.get('counts'), list):  # uncompressed RLE
        rle = mask_utils.frPyObjects(segmentation, height, width)
    else:
        rle = dict(segmentation)
    return _str_counts([rle])[0]


def gt_rles_by_image(coco, img_ids=None) -> Dict[int, List[dict]]:
    """``{image_id: [RLE, ...]}`` of a pycocotools ``COCO``'s annotations, for ``img_ids``
    (default: every image; an image without annotations gets an empty list)."""
    out = {}
    for img_id in coco.imgs if img_ids is None else img_ids:
        info = coco.imgs[img_id]
        out[img_id] = [segmentation_to_rle(a['segmentation'], info['height'], info['width'])
                       for a in coco.imgToAnns.get(img_id, [])]
    return out


def rles_from_instance_masks(masks) -> List[dict]:
    """RLEs from mmdet ``BitmapMasks`` / ``PolygonMasks`` (or an ``N×H×W`` array)."""
    polygons = getattr(masks, 'masks', None)
    if isinstance(polygons, list):  # PolygonMasks: list (instance) of lists of arrays
        return [segmentation_to_rle([np.asarray(p, dtype=np.float64).tolist()
                                     for p in poly], masks.height, masks.width)
                for poly in polygons]
    if polygons is not None:  # BitmapMasks
        return encode_masks(polygons)
    return encode_masks(masks)


def rle_counts(rle: dict) -> np.ndarray:
    """The run lengths of an RLE (compressed string/bytes or uncompressed list counts)."""
    counts = rle['counts']
    if isinstance(counts, list):
        return np.asarray(counts, dtype=np.int64)
    if isinstance(counts, bytes):
        counts = counts.decode('ascii')
    runs, _ = decode_counts_strings([counts])
    return runs


def decode_counts_strings(strings: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
    """Run lengths of many COCO compressed ``counts`` strings in one numpy pass.

    Returns ``(runs, starts)``: the runs of ``strings[i]`` are
    ``runs[starts[i]:starts[i + 1]]``. Each string must be well-formed (ASCII of COCO's
    alphabet, ending on the last character of a count). COCO's format: 5-bit groups,
    continuation bit 0x20, sign bit 0x10, counts after the second delta-coded against
    the count two before; decoded without expanding any ``H×W`` mask.
    """
    sizes = np.fromiter(map(len, strings), np.int64, len(strings))
    c = np.frombuffer(''.join(strings).encode('ascii'), dtype=np.uint8) - np.uint8(48)
    ends = np.flatnonzero((c & 0x20) == 0)  # last 5-bit group of each count
    first = np.empty_like(ends)
    first[:1], first[1:] = 0, ends[:-1] + 1
    length = ends - first + 1
    values = (c[first] & 0x1f).astype(np.int64)
    for j in range(1, int(length.max(initial=1))):  # counts take 1 to 7 characters
        sel = np.flatnonzero(length > j)
        values[sel] |= (c[first[sel] + j] & 0x1f).astype(np.int64) << (5 * j)
    negative = np.flatnonzero(c[ends] & 0x10)
    values[negative] -= np.left_shift(1, 5 * length[negative])
    starts = np.append(np.searchsorted(ends, np.cumsum(sizes) - sizes), len(values))
    if len(values) == 0:
        return values, starts
    # counts m > 2 add the count m - 2 (so count 2 does not add count 0): a cumulative
    # sum per parity, restarted per RLE, in which each RLE's count 0 weighs nothing
    firsts = starts[:-1][np.diff(starts) > 0]
    weights = values.copy()
    weights[firsts] = 0
    runs = np.empty_like(values)
    for p in (0, 1):
        total = np.cumsum(weights[p::2])
        head = (starts[:-1] - p + 1) // 2  # index in values[p::2] of each RLE's first
        before = np.concatenate([[0], total])[head]
        runs[p::2] = total - np.repeat(before, (starts[1:] - p + 1) // 2 - head)
    runs[firsts] = values[firsts]
    return runs, starts


def decode_crop(rle: dict, box) -> np.ndarray:
    """The ``h×w`` uint8 crop ``box = (x, y, w, h)`` of an RLE mask, built from the
    runs alone (work ∝ crop size + number of runs, not image size)."""
    height = int(rle['size'][0])
    x, y, w, h = (int(v) for v in box)
    out = np.zeros((w, h + 1), np.int32)  # transposed (RLE is column-major) + 1 guard
    if w <= 0 or h <= 0:
        return np.zeros((max(h, 0), max(w, 0)), np.uint8)
    bounds = np.cumsum(rle_counts(rle))
    start, end = bounds[0::2][:len(bounds) // 2], bounds[1::2]
    keep = (end > x * height) & (start < (x + w) * height) & (end > start)
    start, end = start[keep], end[keep]
    # split runs at column boundaries: one piece per (run, column) it touches
    c0, c1 = start // height, (end - 1) // height
    pieces = c1 - c0 + 1
    run = np.repeat(np.arange(len(start)), pieces)
    col = c0[run] + np.arange(len(run)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    r0 = np.maximum(start[run] - col * height, 0)
    r1 = np.minimum(end[run] - col * height, height)
    inside = (col >= x) & (col < x + w)
    col, r0, r1 = col[inside] - x, np.clip(r0[inside] - y, 0, h), np.clip(r1[inside] - y, 0, h)
    np.add.at(out, (col, r0), 1)
    np.add.at(out, (col, r1), -1)
    return np.ascontiguousarray(np.cumsum(out[:, :h], axis=1).astype(np.uint8).T)
