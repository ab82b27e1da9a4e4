"""Deterministic stratified splits of folder-per-class data and of one annotation CSV.

Folders: ``root/<class>/**/*.jpg|png`` becomes ``train.txt``, ``val.txt``, ``test.txt``
(lines ``<class>/<file> <label_index>``, the annotation format of mmpretrain's
``CustomDataset``) plus ``classes.txt`` (the sorted folder names, one a line).

CSV (one ``metadata.csv`` over one image folder, as UHCSDB comes): the rows become
``train.csv``, ``val.csv``, ``test.csv`` (every column kept, read by ``CSVDataset``) plus
``classes.txt`` (the sorted labels of the whole CSV). With a group column (a physical
sample, a processing condition) no group straddles two splits: scikit-learn's
``StratifiedGroupKFold`` carves the test, then the val share.

Without groups each class is split on its own by the largest-remainder rule, so every
split holds its share of every class. The same data and seed give byte-identical files.
"""
import csv
import errno
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.utils import scandir

from mmext.utils import InputError, atomic_write, write_file_set
from mmext.utils.csv_text import open_utf8_csv
from mmext.utils.images import IMG_EXTENSIONS

DEFAULT_NAMES = {2: ('train', 'val'), 3: ('train', 'val', 'test')}

#: The CSV column with the class name unless a config or tool names one (UHCSDB's
#: configs name ``primary_microconstituent``).
LABEL_COLUMN = 'label'


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
        for rel in _scan(osp.join(root, name), extensions):
            fn = osp.basename(rel)
            if ' ' in fn and fn != fn.strip():
                raise InputError(f'{osp.join(root, name, rel)}: file name starts or ends '
                                 'with a space')
            files.append(f"{name}/{rel.replace(os.sep, '/')}")
        if not files:
            raise InputError(f'{osp.join(root, name)}: class folder holds no images '
                             f'({", ".join(extensions)})')
        class_files[name] = sorted(files)
    return class_files


def _scan(folder, extensions):
    """The image paths under ``folder`` (links followed); a symlink loop is one error."""
    try:
        return list(scandir(folder, extensions, recursive=True, case_sensitive=False))
    except OSError as e:
        if e.errno != errno.ELOOP:
            raise
        where = e.filename or folder
        loop = where[:where.index(os.sep, len(folder) + 1)] if os.sep in where[len(folder) + 1:] else where
        raise InputError(f'{loop}: symbolic link loop ({e.strerror})') from None


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


def _ratios_and_names(ratios, names=None):
    """Checked ratios and their split names (default train/val[/test])."""
    ratios = check_ratios(ratios)
    names = tuple(names) if names else DEFAULT_NAMES[len(ratios)]
    if len(names) != len(ratios):
        raise InputError(f'{len(names)} split names for {len(ratios)} ratios')
    return ratios, names


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


def write_split(root, ratios=(0.8, 0.1, 0.1), seed=0, out_dir=None, names=None, force=True):
    """Split ``root`` and write the annotation files into ``out_dir`` (default ``root``),
    as a set (see :func:`_write_split_files`).

    Returns ``{'classes': [...], 'counts': {split name: [per-class counts]}, 'files': [...],
    'removed': [stale files of an earlier split]}``.
    """
    ratios, names = _ratios_and_names(ratios, names)
    out_dir = root if out_dir is None else out_dir
    class_files = find_class_files(root)
    splits = stratified_split(class_files, ratios, seed)
    classes = list(class_files)

    writers = {osp.join(out_dir, f'{name}.txt'): _lines(f'{rel} {label}' for rel, label in split)
               for name, split in zip(names, splits)}
    files, removed = _write_split_files(out_dir, '.txt', writers, classes, force)
    counts = {
        name: np.bincount([label for _, label in split], minlength=len(classes)).tolist()
        for name, split in zip(names, splits)
    }
    return dict(classes=classes, counts=counts, files=files, removed=removed)


def _lines(lines):
    lines = list(lines)
    return lambda f: f.writelines(f'{line}\n' for line in lines)


def _write_split_files(out_dir, ext, writers, classes, force):
    """Write the split files and ``classes.txt`` all or nothing (``--force`` to replace an
    earlier split); the default-named members of an earlier split not written now
    (``val<ext>`` of a run with a val split...) are removed."""
    writers[osp.join(out_dir, 'classes.txt')] = _lines(classes)
    stale = [osp.join(out_dir, f'{n}{ext}') for n in DEFAULT_NAMES[3]]
    return list(writers), write_file_set(writers, stale, force)


def write_file_list(path, items):
    """Write ``(relative path, label index)`` items as ``<path> <label>`` lines (the
    annotation file of mmpretrain's ``CustomDataset``); return ``path``."""
    with atomic_write(path, 'w', encoding='utf-8') as f:
        f.writelines(f'{rel} {label}\n' for rel, label in items)
    return path


def write_classes(out_dir, classes):
    """Write ``classes.txt`` (one class name a line, read by ``CSVDataset``); return its path."""
    path = osp.join(out_dir, 'classes.txt')
    with atomic_write(path, 'w', encoding='utf-8') as f:
        f.writelines(f'{name}\n' for name in classes)
    return path


def read_csv_table(csv_path, required=()):
    """Read a CSV into ``(columns, [(line_no, row_dict)])``; check the required columns.

    Cells are stripped; the file may start with a UTF-8 byte-order mark; a file that is
    not UTF-8 or not CSV is one line naming it (:func:`~mmext.utils.csv_text.open_utf8_csv`).
    """
    if not osp.isfile(csv_path):
        raise InputError(f'{csv_path}: annotation CSV not found')
    with open_utf8_csv(csv_path) as f:
        reader = csv.DictReader(f)
        columns = list(reader.fieldnames or [])
        rows = [(reader.line_num, {k: (v or '').strip() if v is None or isinstance(v, str)
                                   else v for k, v in row.items()}) for row in reader]
    for column in required:
        if column and column not in columns:
            raise InputError(f'{csv_path}: missing column {column!r} '
                             f'(columns: {", ".join(columns) or "none"})')
    return columns, rows


def _group_split(labels, groups, ratios, seed):
    """Split indices by ``ratios`` keeping groups whole and classes stratified."""
    from sklearn.model_selection import StratifiedGroupKFold
    remaining = np.arange(len(labels))
    parts = []
    # carve the last split first (test), then the middle one (val) from the rest
    for k in range(len(ratios) - 1, 0, -1):
        share = ratios[k] / sum(ratios[:k + 1])
        n_groups = len(set(groups[remaining]))
        largest_class = max(np.unique(labels[remaining], return_counts=True)[1])
        n_splits = min(max(2, int(round(1 / share))), n_groups, largest_class)
        if n_splits < 2:
            raise InputError(f'{n_groups} group(s) left: too few to split off '
                             f'{len(ratios) - k + 1} splits with whole groups')
        folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
        with warnings.catch_warnings():  # small classes: reported as missing by the caller
            warnings.simplefilter('ignore', UserWarning)
            _, held = next(folds.split(remaining, labels[remaining], groups[remaining]))
        parts.append(np.sort(remaining[held]))
        remaining = np.setdiff1d(remaining, remaining[held])
    return [remaining, *reversed(parts)]


def split_csv_rows(labels: Sequence[str], ratios: Sequence[float], seed: int = 0,
                   groups: Optional[Sequence[str]] = None) -> List[np.ndarray]:
    """Row indices of each split, sorted: stratified by label, groups kept whole.

    Without ``groups`` every class is split exactly as :func:`stratified_split` does;
    with them the shares are those of ``StratifiedGroupKFold`` folds (the nearest
    ``1/k`` to each ratio), and a class with too few groups may miss a split.
    """
    ratios = check_ratios(ratios)
    labels = np.asarray(labels, dtype=object)
    if groups is None:
        by_class = {}
        for i, label in enumerate(labels):
            by_class.setdefault(label, []).append(i)
        class_rows = {name: by_class[name] for name in sorted(by_class)}
        return [np.array(sorted(i for i, _ in split), dtype=int)
                for split in stratified_split(class_rows, ratios, seed)]
    return _group_split(labels, np.asarray(groups, dtype=object), ratios, seed)


def write_csv_split(csv_path, ratios=(0.8, 0.1, 0.1), seed=0, out_dir=None, names=None,
                    label_column=LABEL_COLUMN, group_column=None, force=True):
    """Split the rows of one annotation CSV into ``<name>.csv`` files + ``classes.txt``.

    Returns ``{'classes', 'counts': {split: [per-class]}, 'groups': {split: n} (empty
    without a group column), 'files', 'missing': [(split, class)]}``.
    """
    ratios, names = _ratios_and_names(ratios, names)
    columns, rows = read_csv_table(csv_path, (label_column, group_column))
    if not rows:
        raise InputError(f'{csv_path}: no rows')
    for line, row in rows:
        if not row[label_column]:
            raise InputError(f'{csv_path} line {line}: empty {label_column!r} cell')
        if group_column and not row[group_column]:
            raise InputError(f'{csv_path} line {line}: empty {group_column!r} cell')
    labels = [row[label_column] for _, row in rows]
    groups = [row[group_column] for _, row in rows] if group_column else None
    classes = sorted(set(labels))
    if groups is None:
        for name in classes:
            if labels.count(name) < len(ratios):
                raise InputError(f'{csv_path}: class {name!r} has {labels.count(name)} '
                                 f'row(s), need at least {len(ratios)} to put one in every '
                                 'split (or split by --group-column)')
    splits = split_csv_rows(labels, ratios, seed, groups)

    out_dir = osp.dirname(csv_path) if out_dir is None else out_dir
    writers, counts, n_groups = {}, {}, {}
    for name, index in zip(names, splits):
        writers[osp.join(out_dir, f'{name}.csv')] = _csv_rows(columns, [rows[i][1] for i in index])
        counts[name] = [sum(labels[i] == c for i in index) for c in classes]
        if groups:
            n_groups[name] = len({groups[i] for i in index})
    files, removed = _write_split_files(out_dir, '.csv', writers, classes, force)
    missing = [(name, c) for name in names for c, n in zip(classes, counts[name]) if n == 0]
    return dict(classes=classes, counts=counts, groups=n_groups, files=files,
                missing=missing, removed=removed)


def _csv_rows(header, rows):
    def write(f):
        writer = csv.DictWriter(f, header, extrasaction='ignore', restval='')
        writer.writeheader()
        writer.writerows(rows)
    return write
