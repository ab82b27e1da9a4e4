"""Cross-validation folds: stratified, grouped, deterministic, inner validation split."""
import csv
import os.path as osp
from collections import Counter

import numpy as np
import pytest

from mmext.datasets.folds import FoldSource, fold_indices, write_fold
from mmext.utils import InputError


def _grouped_data(seed=0):
    """3 classes (40/15/6 images) in groups of 1-3 images; a group has one class."""
    rng = np.random.default_rng(seed)
    labels, groups = [], []
    for name, n in (('a', 40), ('b', 15), ('c', 6)):
        g = 0
        while n > 0:
            k = min(n, int(rng.integers(1, 4)) if name != 'c' else 1)
            labels += [name] * k
            groups += [f'{name}{g}'] * k
            n, g = n - k, g + 1
    order = rng.permutation(len(labels))
    return [labels[i] for i in order], [groups[i] for i in order]


def test_grouped_folds_partition_keep_groups_and_classes():
    labels, groups = _grouped_data()
    folds = fold_indices(labels, 5, seed=0, groups=groups)
    assert len(folds) == 5
    tests = np.concatenate([test for _, _, test in folds])
    assert sorted(tests.tolist()) == list(range(len(labels)))  # each row tested once
    for train, val, test in folds:
        parts = [set(train), set(val), set(test)]
        assert set.union(*parts) == set(range(len(labels)))
        assert sum(map(len, parts)) == len(labels)  # disjoint
        group_sets = [{groups[i] for i in p} for p in parts]
        assert not (group_sets[0] & group_sets[1] or group_sets[0] & group_sets[2]
                    or group_sets[1] & group_sets[2])
        # every class (>= 5 groups) is in every test fold and in the inner val set
        assert {labels[i] for i in test} == {'a', 'b', 'c'}
        assert {labels[i] for i in val} == {'a', 'b', 'c'}
        # stratified: the majority class holds 40/61 of the rows, about that of each fold
        share = Counter(labels[i] for i in test)['a'] / len(test)
        assert abs(share - 40 / 61) < 0.2


def test_folds_are_deterministic_and_follow_the_seed():
    labels, groups = _grouped_data()
    a = fold_indices(labels, 4, seed=3, groups=groups)
    b = fold_indices(labels, 4, seed=3, groups=groups)
    c = fold_indices(labels, 4, seed=4, groups=groups)
    assert all(np.array_equal(x, y) for fa, fb in zip(a, b) for x, y in zip(fa, fb))
    assert any(not np.array_equal(fa[2], fc[2]) for fa, fc in zip(a, c))


def test_ungrouped_folds_stratify_exactly():
    labels = ['a'] * 20 + ['b'] * 10 + ['c'] * 5
    folds = fold_indices(labels, 5, seed=0, val_ratio=0.25)
    for train, val, test in folds:
        assert Counter(labels[i] for i in test) == {'a': 4, 'b': 2, 'c': 1}
        assert Counter(labels[i] for i in val) == {'a': 4, 'b': 2, 'c': 1}
        assert len(train) == 35 - 14


def test_too_few_groups_is_one_line():
    with pytest.raises(InputError, match='3 groups: too few for 5 folds'):
        fold_indices(['a', 'a', 'b'], 5, groups=['g1', 'g2', 'g3'])


def test_fold_source_writes_csv_and_class_folder_files(tmp_path):
    csv_path = tmp_path / 'meta.csv'
    with open(csv_path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['path', 'kind', 'note'])
        writer.writerows([[f'{i}.png', 'xy'[i % 2], f'n{i}'] for i in range(6)])
    source = FoldSource(str(csv_path), 'kind')
    files = write_fold(source, str(tmp_path / 'fold'), ([0, 1], [2, 3], [4, 5]), ['x', 'y'])
    rows = list(csv.DictReader(open(files['val'])))
    assert rows == [dict(path='2.png', kind='x', note='n2'), dict(path='3.png', kind='y',
                                                                  note='n3')]
    assert open(tmp_path / 'fold' / 'classes.txt').read() == 'x\ny\n'

    for name in ('cat', 'dog'):
        (tmp_path / 'tree' / name).mkdir(parents=True)
        for i in range(2):
            (tmp_path / 'tree' / name / f'{i}.png').write_bytes(b'')
    source = FoldSource(str(tmp_path / 'tree'))
    assert source.labels == ['cat', 'cat', 'dog', 'dog']
    files = write_fold(source, str(tmp_path / 'fold2'), ([0, 3], [1], [2]), ['cat', 'dog'])
    assert open(files['train']).read() == 'cat/0.png 0\ndog/1.png 1\n'
    assert osp.basename(files['test']) == 'test.txt'
