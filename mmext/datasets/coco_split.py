"""Deterministic image-level splits of a COCO json: train/val, k folds, or k
cross-validation folds (train / inner val / test).

Images are ordered by id and shuffled with ``numpy.random.default_rng(seed)``, so the
same json and seed always give the same split. Annotations follow their images;
``info``, ``licenses``, ``categories`` and any other top-level keys are kept.
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from mmext.utils import InputError, atomic_write, write_file_set
from mmext.utils.jsonio import read_json


def _check(coco: dict, name: str) -> None:
    if not isinstance(coco, dict) or not isinstance(coco.get('images'), list):
        raise InputError(f'{name}: not a COCO json (no "images" list)')
    ids = [img.get('id') for img in coco['images']]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f'{name}: image id {dup} appears more than once')
    known = set(ids)
    for ann in coco.get('annotations', []):
        if ann.get('image_id') not in known:
            raise InputError(f'{name} annotation {ann.get("id")}: image_id '
                             f'{ann.get("image_id")} is not in "images"')


def _subset(coco: dict, image_ids: set) -> dict:
    out = {k: v for k, v in coco.items() if k not in ('images', 'annotations')}
    out['images'] = [img for img in coco['images'] if img['id'] in image_ids]
    if 'annotations' in coco:
        out['annotations'] = [a for a in coco['annotations'] if a['image_id'] in image_ids]
    return out


def _shuffled_ids(coco: dict, seed: int) -> np.ndarray:
    ids = np.array(sorted(img['id'] for img in coco['images']))
    return ids[np.random.default_rng(seed).permutation(len(ids))]


def split_train_val(coco: dict, val_ratio: float = 0.2, seed: int = 0,
                    name: str = 'annotations') -> Tuple[dict, dict]:
    """``(train, val)`` COCO dicts; ``round(val_ratio · N)`` images (at least one) in val."""
    _check(coco, name)
    if not 0 < val_ratio < 1:
        raise InputError(f'--val-ratio must be in (0, 1), got {val_ratio}')
    n = len(coco['images'])
    if n < 2:
        raise InputError(f'{name}: {n} image(s); a split needs at least 2')
    num_val = min(max(1, int(round(val_ratio * n))), n - 1)
    ids = _shuffled_ids(coco, seed)
    val = set(ids[:num_val].tolist())
    return _subset(coco, set(ids.tolist()) - val), _subset(coco, val)


def k_folds(coco: dict, folds: int = 5, seed: int = 0,
            name: str = 'annotations') -> List[Tuple[dict, dict]]:
    """``folds`` pairs ``(train, val)``; the val parts are disjoint and cover all images."""
    _check(coco, name)
    n = len(coco['images'])
    if folds < 2 or folds > n:
        raise InputError(f'--folds must be between 2 and the number of images ({n}), '
                         f'got {folds}')
    parts = np.array_split(_shuffled_ids(coco, seed), folds)
    all_ids = set(img['id'] for img in coco['images'])
    return [(_subset(coco, all_ids - set(p.tolist())), _subset(coco, set(p.tolist())))
            for p in parts]


def cv_folds(coco: dict, folds: int = 5, seed: int = 0, val_ratio: float = 0.2,
             name: str = 'annotations') -> List[Tuple[dict, dict, dict]]:
    """``folds`` triples ``(train, val, test)``: the test parts are those of
    :func:`k_folds` (same seed); the rest of each fold is split by
    :func:`split_train_val` into train and an inner val set."""
    return [(*split_train_val(rest, val_ratio, seed, name=f'{name} fold {k}'), test)
            for k, (rest, test) in enumerate(k_folds(coco, folds, seed, name=name), 1)]


def write_coco(path: str, coco: dict) -> str:
    """Write ``coco`` to ``path`` atomically; return the path."""
    with atomic_write(path) as f:
        json.dump(coco, f)
    return path


def write_splits(ann_file: str, out_dir: str, val_ratio: float = 0.2, seed: int = 0,
                 folds: int = 0) -> Dict[str, dict]:
    """Split ``ann_file`` and write ``train.json``/``val.json`` (or
    ``fold_{k}/train.json``/``fold_{k}/val.json``) under ``out_dir`` as one set: all
    files or none, and the members of an earlier split there (another fold count, a
    train/val split) removed, so no stale file shares images with the new ones.

    Returns ``{written path: coco dict}``.
    """
    coco = read_json(ann_file)
    if folds:
        pairs = k_folds(coco, folds, seed, name=ann_file)
        names = [(osp.join(f'fold_{k}', 'train.json'), osp.join(f'fold_{k}', 'val.json'))
                 for k in range(folds)]
    else:
        pairs = [split_train_val(coco, val_ratio, seed, name=ann_file)]
        names = [('train.json', 'val.json')]
    parts = {osp.join(out_dir, rel): part
             for pair, rels in zip(pairs, names) for part, rel in zip(pair, rels)}
    stale = [osp.join(out_dir, n) for n in ('train.json', 'val.json')] + glob.glob(
        osp.join(glob.escape(out_dir), 'fold_*', '*.json'))
    removed = write_file_set({path: (lambda f, part=part: json.dump(part, f))
                              for path, part in parts.items()}, stale, force=True)
    for folder in {osp.dirname(p) for p in removed}:
        if folder != osp.normpath(out_dir) and not os.listdir(folder):
            os.rmdir(folder)
    return parts
