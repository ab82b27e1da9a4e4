"""Checks of raw COCO json content that pycocotools and mmdet take on trust.

Shared by :class:`~mmext.datasets.particle_dataset.ParticleDataset` and the COCO readers of
:mod:`mmext.structures.coco_io`: each check returns the reason an item is unusable (or
None), so callers can name the file and annotation in one line, or drop and count.
Malformed RLE strings are decoded with numpy first: pycocotools' C decoder would
write past the mask for counts that do not add up to its size.
"""
import contextlib
import io
import math
from numbers import Real
from typing import List, Optional, Tuple

import numpy as np

from mmext.structures.rle import rle_counts
from mmext.utils import InputError
from mmext.utils.jsonio import read_json

DUPLICATE_ID = 'duplicate annotation id'
BAD_BOX = 'bbox is not [x, y, w, h] of finite numbers'
BAD_AREA = "no 'area' (or not a finite number >= 0)"


def _finite(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)


def check_coco_structure(data, path, need=('id', 'height', 'width')) -> None:
    """``images`` (and ``annotations``, ``categories`` when present) are lists of dicts
    with the keys pycocotools indexes; raise :class:`InputError` otherwise."""
    if not isinstance(data, dict) or not isinstance(data.get('images'), list):
        raise InputError(f'{path}: not a COCO json (no "images" list)')
    for key in ('annotations', 'categories'):
        if not isinstance(data.get(key, []), list):
            raise InputError(f'{path}: "{key}" is not a list')
    for key, required in (('images', need), ('annotations', ('id', 'image_id', 'category_id')),
                          ('categories', ('id', ))):
        for i, item in enumerate(data.get(key, [])):
            if not isinstance(item, dict):
                raise InputError(f'{path} {key}[{i}]: not an object')
            missing = [k for k in required if k not in item]
            if missing:
                raise InputError(f'{path} {key}[{i}]: missing {missing}')
            for k in required:
                if k in ('height', 'width') and not (isinstance(item[k], int) and item[k] > 0):
                    raise InputError(f'{path} {key}[{i}]: {k} {item[k]!r} is not a positive '
                                     'integer')
                if k in ('id', 'image_id') and (not isinstance(item[k], int)
                                                or isinstance(item[k], bool)):
                    raise InputError(f'{path} {key}[{i}]: {k} {item[k]!r} is not an integer')
            if key == 'annotations' and (not isinstance(item['category_id'], int)
                                         or isinstance(item['category_id'], bool)):
                raise InputError(f'{path} {key}[{i}]: category_id {item["category_id"]!r} '
                                 'is not an integer')
    ids = [img['id'] for img in data['images']]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f'{path}: image id {dup!r} appears more than once')


def numeric_box(box) -> List[float]:
    """``bbox`` as 4 floats for vectorised checks: a missing one is zeros (zero-area),
    one that is not 4 numbers is NaNs (reported by :func:`annotation_field_problems`)."""
    if box is None or box == []:
        return [0.0] * 4
    if isinstance(box, list) and len(box) == 4 and all(_finite(v) for v in box):
        return [float(v) for v in box]
    return [math.nan] * 4


def rle_problem(seg: dict, img_hw: Optional[Tuple[int, int]] = None) -> Optional[str]:
    """Why an RLE ``segmentation`` is unusable, or None."""
    size, counts = seg.get('size'), seg.get('counts')
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0
                       for s in size)):
        return 'RLE size is not [height, width]'
    if img_hw is not None and tuple(size) != tuple(img_hw):
        return f'RLE size {list(size)} differs from its image {list(img_hw)}'
    if isinstance(counts, list):
        if not all(isinstance(c, int) and not isinstance(c, bool) for c in counts):
            return 'RLE counts are not integers'
        runs = np.asarray(counts, dtype=object)
    elif isinstance(counts, (str, bytes)):
        raw = counts.encode('latin-1', 'replace') if isinstance(counts, str) else counts
        if any(b < 48 or b > 111 for b in raw):  # COCO's alphabet: chr(48)..chr(111)
            return 'RLE counts string has characters outside the COCO alphabet'
        if isinstance(counts, str) and not counts.isascii():
            return 'RLE counts string is not ASCII'
        last = (np.frombuffer(raw, np.uint8) - 48) & 0x20 == 0  # last char of each count
        if raw and not last[-1]:
            return 'RLE counts string ends inside a count'
        if raw and np.diff(np.concatenate([[-1], np.flatnonzero(last)])).max() > 7:
            return 'RLE counts string has a count longer than 7 characters'
        runs = rle_counts(dict(counts=raw)) if raw else np.zeros(0, np.int64)
    else:
        return 'RLE without counts'
    if any(r < 0 for r in runs.tolist()):
        return 'RLE counts are negative'
    if sum(runs.tolist()) != size[0] * size[1]:
        return f'RLE counts add up to {sum(runs.tolist())}, not {size[0]}×{size[1]} pixels'
    return None


def polygon_problem(seg: list) -> Optional[str]:
    """Why a polygon ``segmentation`` is unusable, or None."""
    if not seg:
        return 'empty polygon list'
    for poly in seg:
        if not isinstance(poly, list) or not all(_finite(v) for v in poly):
            return 'polygon is not a list of finite numbers'
        if len(poly) % 2:
            return 'polygon with an odd number of coordinates'
        if len(poly) < 6:
            return 'polygon with < 3 points'
    return None


def segmentation_problem(seg, img_hw=None) -> Optional[str]:
    """Why a COCO ``segmentation`` (polygons or RLE) is unusable, or None."""
    if isinstance(seg, list):
        return polygon_problem(seg)
    if isinstance(seg, dict):
        return rle_problem(seg, img_hw)
    return 'no segmentation' if seg is None else 'segmentation is neither polygons nor RLE'


def annotation_field_problems(anns: List[dict], need_area=True) -> List[Tuple[int, str]]:
    """``(index, reason)`` for duplicate ids, bboxes that are not 4 finite numbers and
    a missing or non-finite ``area`` (pycocotools and mmdet read it unchecked)."""
    problems, seen = [], set()
    for i, ann in enumerate(anns):
        key = ann.get('id')
        hashable = isinstance(key, (int, str))
        if hashable and key in seen:
            problems.append((i, DUPLICATE_ID))
            continue
        if hashable:
            seen.add(key)
        box = ann.get('bbox')
        if box is not None and not (isinstance(box, list) and len(box) == 4
                                    and all(_finite(v) for v in box)):
            problems.append((i, BAD_BOX))
        elif need_area and not (_finite(ann.get('area')) and ann['area'] >= 0):
            problems.append((i, BAD_AREA))
    return problems


def indexed_coco(data, coco_cls):
    """``coco_cls()`` (pycocotools' or mmdet's ``COCO``) indexing the dict ``data``,
    without the prints of ``createIndex``."""
    coco = coco_cls()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    if hasattr(coco, 'cat_img_map'):  # mmdet's COCO aliases the indexes in its __init__
        coco.img_ann_map, coco.cat_img_map = coco.imgToAnns, coco.catToImgs
    return coco


def load_coco_checked(path, coco_cls):
    """``coco_cls`` (pycocotools' or mmdet's ``COCO``) of a json whose structure is
    checked first: a malformed file is one line, not a traceback from the indexer."""
    data = read_json(path)
    check_coco_structure(data, path, need=('id', 'file_name', 'height', 'width'))
    return indexed_coco(data, coco_cls)
