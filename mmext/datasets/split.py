"""Deterministic stratified split of folder-per-class image data.

``root/<class>/**/*.jpg|png`` becomes ``train.txt``, ``val.txt``, ``test.txt`` (lines
``<class>/<file> <label_index>``, the annotation format of mmpretrain's
``CustomDataset``) plus ``classes.txt`` (the sorted folder names, one a line). Each class
is split on its own by the largest-remainder rule, so every split holds its share of
every class; the same files and seed give byte-identical files.
"""
import os
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

from mmext.utils import InputError, atomic_write

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff')
DEFAULT_NAMES = {2: ('train', 'val'), 3: ('train', 'val', 'test')}


def find_class_files(root, extensions=IMG_EXTENSIONS) -> Dict[str, List[str]]:
    """Map each class folder of ``root`` (sorted) to its image paths relative to ``root``."""
    if not osp.isdir(root):
        raise InputError(f'{root}: folder not found')
    extensions = tuple(e.lower() for e in extensions)
    classes = sorted(d for d in os.listdir(root)
                     if osp.isdir(osp.join(root, d)) and not d.startswith('.'))
    if not classes:
        raise InputError(f'{root}: no class folders')
    class_files = {}
    for name in classes:
        files = []
        for dirpath, dirnames, filenames in os.walk(osp.join(root, name)):
            dirnames.sort()
            for fn in filenames:
                if fn.lower().endswith(extensions):
                    rel = osp.relpath(osp.join(dirpath, fn), root)
                    if ' ' in fn and fn != fn.strip():
                        raise InputError(f'{osp.join(root, rel)}: file name starts or ends '
                                         'with a space')
                    files.append(rel.replace(os.sep, '/'))
        if not files:
            raise InputError(f'{osp.join(root, name)}: class folder holds no images '
                             f'({", ".join(extensions)})')
        class_files[name] = sorted(files)
    return class_files


def split_counts(n: int, ratios: Sequence[float]) -> List[int]:
    """Split ``n`` items by ``ratios`` (largest remainder), at least one per split.

    Ties in the remainder go to the earlier split.
    """
    ratios = np.asarray(ratios, dtype=float)
    exact = n * ratios / ratios.sum()
    counts = np.floor(exact).astype(int)
    order = sorted(range(len(ratios)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:n - counts.sum()]:
        counts[i] += 1
    # every split gets one item: take it from the split with the most items
    for i in range(len(counts)):
        if counts[i] == 0:
            donor = int(np.argmax(counts))
            counts[donor] -= 1
            counts[i] += 1
    return counts.tolist()


def check_ratios(ratios: Sequence[float]) -> List[float]:
    ratios = [float(r) for r in ratios]
    if len(ratios) not in DEFAULT_NAMES:
        raise InputError(f'ratios {ratios}: give 2 (train val) or 3 (train val test) ratios')
    if any(r <= 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-3:
        raise InputError(f'ratios {ratios}: must be positive and sum to 1')
    return ratios


def stratified_split(class_files: Dict[str, List[str]], ratios: Sequence[float],
                     seed: int = 0) -> List[List[tuple]]:
    """Return one list of ``(relative_path, label_index)`` per split, sorted by path.

    Classes are shuffled each with its own generator seeded by ``(seed, class index)``.
    """
    ratios = check_ratios(ratios)
    splits = [[] for _ in ratios]
    for label, (name, files) in enumerate(class_files.items()):
        if len(files) < len(ratios):
            raise InputError(f'class {name!r}: {len(files)} image(s), need at least '
                             f'{len(ratios)} to put one in every split')
        order = np.random.default_rng([seed, label]).permutation(len(files))
        start = 0
        for split, count in zip(splits, split_counts(len(files), ratios)):
            split.extend((files[j], label) for j in sorted(order[start:start + count]))
            start += count
    return [sorted(split, key=lambda item: (item[1], item[0])) for split in splits]


def write_split(root, ratios=(0.8, 0.1, 0.1), seed=0, out_dir=None, names=None):
    """Split ``root`` and write the annotation files into ``out_dir`` (default ``root``).

    Returns ``{'classes': [...], 'counts': {split name: [per-class counts]}, 'files': [...]}``.
    """
    ratios = check_ratios(ratios)
    names = tuple(names) if names else DEFAULT_NAMES[len(ratios)]
    if len(names) != len(ratios):
        raise InputError(f'{len(names)} split names for {len(ratios)} ratios')
    out_dir = root if out_dir is None else out_dir
    class_files = find_class_files(root)
    splits = stratified_split(class_files, ratios, seed)
    classes = list(class_files)

    written = []
    for name, split in zip(names, splits):
        path = osp.join(out_dir, f'{name}.txt')
        with atomic_write(path, 'w') as f:
            f.writelines(f'{rel} {label}\n' for rel, label in split)
        written.append(path)
    path = osp.join(out_dir, 'classes.txt')
    with atomic_write(path, 'w') as f:
        f.writelines(f'{name}\n' for name in classes)
    written.append(path)

    counts = {
        name: np.bincount([label for _, label in split], minlength=len(classes)).tolist()
        for name, split in zip(names, splits)
    }
    return dict(classes=classes, counts=counts, files=written)
