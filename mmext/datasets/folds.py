"""K-fold cross-validation splits of one annotation CSV or one folder-per-class set.

Each fold's test part comes from scikit-learn's ``StratifiedKFold`` (or
``StratifiedGroupKFold`` with a group column: a physical sample never straddles the
test fold and the rest); the rest is split again into train and an inner validation
set by :func:`mmext.datasets.split.split_csv_rows` (same stratification and groups),
so checkpoints are selected on the inner validation set, never on the test fold.
The same data, ``k`` and seed give the same folds.
"""
import os.path as osp
import warnings

import numpy as np

from mmext.utils import InputError
from mmext.utils.csv_text import write_csv
from .split import (LABEL_COLUMN, find_class_files, read_csv_table, split_csv_rows,
                    write_classes, write_file_list)

FOLD_SPLITS = ('train', 'val', 'test')


def fold_indices(labels, k, seed=0, groups=None, val_ratio=0.2):
    """``[(train, val, test)]`` row indices (sorted arrays) of each of ``k`` folds."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
    labels = np.asarray(labels, dtype=object)
    if k < 2:
        raise InputError(f'--folds {k}: need at least 2 folds')
    if groups is not None:
        groups = np.asarray(groups, dtype=object)
        if len(set(groups)) < k:
            raise InputError(f'{len(set(groups))} groups: too few for {k} folds')
        outer = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        if len(labels) < k:
            raise InputError(f'{len(labels)} images: too few for {k} folds')
        outer = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    folds = []
    with warnings.catch_warnings():  # a class smaller than k misses some test folds
        warnings.simplefilter('ignore', UserWarning)
        for rest, test in outer.split(np.zeros(len(labels)), labels.astype(str), groups):
            inner = split_csv_rows(labels[rest], (1 - val_ratio, val_ratio), seed,
                                   None if groups is None else groups[rest])
            folds.append((np.sort(rest[inner[0]]), np.sort(rest[inner[1]]), np.sort(test)))
    return folds


class FoldSource:
    """The rows to cross-validate: one CSV (every column kept) or a class-folder tree.

    Args:
        path (str): A CSV file or the root of the class folders.
        label_column (str): CSV column with the class name.
        group_column (str, optional): CSV column with the group (physical sample).
    """

    def __init__(self, path, label_column=LABEL_COLUMN, group_column=None):
        self.path = path
        self.is_csv = osp.isfile(path)
        if self.is_csv:
            self.columns, rows = read_csv_table(path, (label_column, group_column))
            self.rows = [row for _, row in rows]
            for line, row in rows:
                if not row[label_column] or (group_column and not row[group_column]):
                    column = label_column if not row[label_column] else group_column
                    raise InputError(f'{path} line {line}: empty {column!r} cell')
            self.labels = [row[label_column] for row in self.rows]
            self.groups = [row[group_column] for row in self.rows] if group_column else None
        else:
            if group_column:
                raise InputError(f'--group-column {group_column}: {path} is a class-folder '
                                 'set, groups need a CSV')
            files = find_class_files(path)
            self.rows = [(rel, name) for name, rels in files.items() for rel in rels]
            self.labels = [name for _, name in self.rows]
            self.groups = None
        if not self.rows:
            raise InputError(f'{path}: no rows')

    def write(self, out_dir, index, split, classes):
        """Write the rows ``index`` as ``<split>.csv`` (CSV) or ``<split>.txt`` (folders,
        lines ``<class>/<file> <label>``); return the file path."""
        if self.is_csv:
            return write_csv(osp.join(out_dir, f'{split}.csv'), self.columns,
                             [self.rows[i] for i in index])
        return write_file_list(osp.join(out_dir, f'{split}.txt'),
                               [(self.rows[i][0], classes.index(self.rows[i][1])) for i in index])


def write_fold(source, out_dir, indices, classes):
    """Write one fold's ``train/val/test`` files and ``classes.txt`` into ``out_dir``."""
    paths = {split: source.write(out_dir, index, split, classes)
             for split, index in zip(FOLD_SPLITS, indices)}
    write_classes(out_dir, classes)
    return paths
