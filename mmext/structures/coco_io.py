"""Reading COCO ground-truth and results jsons, every entry checked.

Shared by :mod:`.score_results`, :mod:`.shape_report` and the particle report hook; bad
input raises :class:`mmext.utils.InputError` with a one-line message. Compressed RLEs are
screened in one vectorised pass; only the rest is checked entry by entry.
"""
from numbers import Real
from typing import Dict, List, Optional, Tuple

import numpy as np
from pycocotools.coco import COCO

from mmext.structures.coco_checks import (annotation_field_problems, check_coco_structure,
                                          indexed_coco, segmentation_problem)
from mmext.structures.rle import decode_counts_strings, segmentation_to_rle
from mmext.utils import InputError
from mmext.utils.jsonio import read_json
from mmext.utils.score_range import RANGE, check_score_thr, in_unit_interval


def well_formed_rles(segs: List, hws: List[Optional[Tuple[int, int]]]) -> np.ndarray:
    """Which ``segs`` one vectorised pass finds to be well-formed compressed RLEs of size
    ``hws[i]``. The others (polygons, list counts, anything doubtful) are left to
    :func:`segmentation_problem`, one by one, which names the problem."""
    ok = np.zeros(len(segs), bool)
    pick = [i for i, (seg, hw) in enumerate(zip(segs, hws))
            if hw is not None and isinstance(seg, dict) and type(seg.get('counts')) is str
            and seg['counts'] and type(seg.get('size')) is list
            and [type(v) for v in seg['size']] == [int, int] and seg['size'] == list(hw)]
    strings = [segs[i]['counts'] for i in pick]
    joined = ''.join(strings)
    if not pick or not joined.isascii():
        return ok
    c = np.frombuffer(joined.encode('ascii'), np.uint8)
    last = ((c - 48) & 0x20) == 0  # COCO's alphabet is chr(48)..chr(111)
    if c.min() < 48 or c.max() > 111 or not last[np.cumsum([len(s) for s in strings]) - 1].all() \
            or np.diff(np.flatnonzero(np.concatenate([[True], last]))).max() > 7:
        return ok
    runs, starts = decode_counts_strings(strings)
    area = np.array([hws[i][0] * hws[i][1] for i in pick])
    good = (np.add.reduceat(runs, starts[:-1]) == area) & (
        np.minimum.reduceat(runs, starts[:-1]) >= 0)
    ok[np.array(pick)[good]] = True
    return ok


def load_coco_gt(path) -> COCO:
    """A quiet :class:`COCO` from a ground-truth json (``annotations`` optional); every
    annotation checked (unique id, known image, usable segmentation, finite bbox and
    area), the first bad one named in an :class:`InputError`."""
    data = read_json(path)
    check_coco_structure(data, path)
    declared = 'categories' in data
    data.setdefault('annotations', [])
    data.setdefault('categories', [])
    sizes = {img['id']: (img['height'], img['width']) for img in data['images']}
    anns = data['annotations']
    cat_ids = {c['id'] for c in data['categories']}
    field_problems = dict(annotation_field_problems(anns))
    rle_ok = well_formed_rles([a.get('segmentation') for a in anns],
                              [sizes.get(a['image_id']) for a in anns])
    for i, ann in enumerate(anns):
        if ann['image_id'] not in sizes:
            raise InputError(f'{path} annotation {ann["id"]}: unknown image_id '
                             f'{ann["image_id"]}')
        reason = field_problems.get(i) or (None if rle_ok[i] else segmentation_problem(
            ann.get('segmentation'), sizes[ann['image_id']]))
        if not reason and declared:
            reason = _category_problem(ann, cat_ids, '"categories"')
        if reason:
            raise InputError(f'{path} annotation {ann["id"]} (image {ann["image_id"]}): '
                             f'{reason}')
    return indexed_coco(data, COCO)


def _category_problem(item, cat_ids, where) -> Optional[str]:
    """Why ``item['category_id']`` (when there is one) names none of ``cat_ids``."""
    if 'category_id' not in item:
        return None
    cat = item['category_id']
    if type(cat) is int and cat in cat_ids:
        return None
    known = ', '.join(map(str, sorted(cat_ids)[:10])) + (', ...' if len(cat_ids) > 10 else '')
    return f'category_id {cat!r} is not in {where} ({known or "none"})'


def _score_problem(score) -> Optional[str]:
    if not isinstance(score, Real) or isinstance(score, bool) or not score == score:
        return f'score {score!r} is not a number'
    return None if in_unit_interval(score) else f'score {score!r} is {RANGE}'


def load_results(path, coco: Optional[COCO] = None, score_thr: float = 0.0) -> List[dict]:
    """The results list of ``path``, checked against ``coco``'s images and categories
    (when it declares some), scores in [0, 1], with RLE ``segmentation`` and those below
    ``score_thr`` dropped."""
    check_score_thr(score_thr)
    results = read_json(path)
    if not isinstance(results, list):
        raise InputError(f'{path}: a results json must be a list of detections')
    rle_ok = well_formed_rles([d.get('segmentation') if isinstance(d, dict) else None
                               for d in results], [_image_size(d, coco) for d in results])
    cats = set(coco.cats) if coco is not None else set()
    kept = []
    for i, (det, ok) in enumerate(zip(results, rle_ok.tolist())):
        score = det.get('score', 1.0) if ok else None
        if type(score) in (int, float) and 0 <= score <= 1 and (  # checked RLE, known image
                not cats or _category_problem(det, cats, '') is None):
            if score >= score_thr:
                kept.append(dict(det))
            continue
        if not isinstance(det, dict) or 'image_id' not in det or 'segmentation' not in det:
            raise InputError(f'{path} entry {i}: needs "image_id" and "segmentation"')
        problem = _score_problem(det.get('score', 1.0))
        if problem:
            raise InputError(f'{path} entry {i}: {problem}')
        problem = _category_problem(det, cats, 'the ground-truth categories') if cats else None
        if problem:
            raise InputError(f'{path} entry {i} (image {det["image_id"]!r}): {problem}')
        if det.get('score', 1.0) < score_thr:
            continue
        seg = det['segmentation']
        if coco is not None:
            if not isinstance(det['image_id'], (int, str)) or det['image_id'] not in coco.imgs:
                raise InputError(f'{path} entry {i}: image_id {det["image_id"]!r} is not in '
                                 'the ground-truth json')
            info = coco.imgs[det['image_id']]
            h, w = info['height'], info['width']
        elif isinstance(seg, dict) and 'size' in seg:
            h, w = (seg['size'] + [0, 0])[:2] if isinstance(seg['size'], list) else (0, 0)
        else:
            raise InputError(f'{path} entry {i}: polygon segmentation needs the '
                             'ground-truth json for the image size')
        reason = None if rle_ok[i] else segmentation_problem(seg, (h, w))
        if reason:
            raise InputError(f'{path} entry {i} (image {det["image_id"]}): {reason}')
        kept.append(dict(det, segmentation=segmentation_to_rle(seg, h, w)))
    return kept


def _image_size(det, coco: Optional[COCO]) -> Optional[Tuple[int, int]]:
    """``(height, width)`` a detection's segmentation must have (None: unknown)."""
    if not isinstance(det, dict) or 'image_id' not in det:
        return None
    if coco is None:
        size = det.get('segmentation', {}).get('size') if isinstance(
            det.get('segmentation'), dict) else None
        return tuple(size) if isinstance(size, list) and len(size) == 2 else None
    img_id = det.get('image_id')
    info = coco.imgs.get(img_id) if isinstance(img_id, (int, str)) else None
    return None if info is None else (info['height'], info['width'])


def result_rles_by_image(results: List[dict], image_ids) -> Dict[int, List[dict]]:
    """``{image_id: [RLE, ...]}`` for ``image_ids`` (empty where no detection)."""
    out = {img_id: [] for img_id in image_ids}
    for det in results:
        out.setdefault(det['image_id'], []).append(det['segmentation'])
    return out
