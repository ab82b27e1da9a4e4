import numpy as np
import pytest

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmengine.registry import DATA_SAMPLERS
from mmext.datasets.samplers import ClassBalancedSampler
from mmpretrain.registry import DATA_SAMPLERS as CLS_DATA_SAMPLERS

COUNTS = [100, 30, 10, 0]  # the last class has no samples


class LabelSet:
    """A minimal classification dataset: labels in a shuffled order."""

    def __init__(self, counts=COUNTS, seed=0):
        labels = np.repeat(np.arange(len(counts)), counts)
        self.labels = np.random.default_rng(seed).permutation(labels)
        self.metainfo = dict(classes=tuple(f'c{i}' for i in range(len(counts))))

    def __len__(self):
        return len(self.labels)

    def get_gt_labels(self):
        return self.labels


def draws(sampler, epochs):
    out = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        out += list(sampler)
    return np.array(out)


def make(monkeypatch, rank=0, world_size=1, **kwargs):
    monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info', lambda: (rank, world_size))
    return ClassBalancedSampler(LabelSet(), seed=kwargs.pop('seed', 7), **kwargs)


def test_registered_for_both_scopes():
    assert DATA_SAMPLERS.get('ClassBalancedSampler') is ClassBalancedSampler
    assert CLS_DATA_SAMPLERS.get('ClassBalancedSampler') is ClassBalancedSampler


@pytest.mark.parametrize('mode,power', [('inverse', 1.0), ('sqrt', 0.5), ('uniform', 0.0)])
def test_weighted_class_frequencies(monkeypatch, mode, power):
    sampler = make(monkeypatch, mode=mode)
    assert len(sampler) == 140
    idx = draws(sampler, 40)
    freq = np.bincount(sampler.labels[idx], minlength=4)
    n = np.array(COUNTS[:3], float)
    p = n * n**-power / (n * n**-power).sum()
    expected = len(idx) * p
    sd = np.sqrt(len(idx) * p * (1 - p))
    assert freq[3] == 0
    assert np.all(np.abs(freq[:3] - expected) < 4 * sd), (freq, expected)
    np.testing.assert_allclose(sampler.expected_class_counts()[:3], 140 * p)


def test_oversample_draws_every_class_up_to_the_largest(monkeypatch):
    sampler = make(monkeypatch, mode='oversample')
    assert len(sampler) == 300
    for epoch in range(3):
        sampler.set_epoch(epoch)
        idx = np.array(list(sampler))
        labels = sampler.labels[idx]
        assert np.bincount(labels, minlength=4).tolist() == [100, 100, 100, 0]
        for c, n in zip(range(3), COUNTS):
            times = np.bincount(idx[labels == c], minlength=len(sampler.labels))
            members = np.flatnonzero(sampler.labels == c)
            # the whole class repeated, then topped up: floor or ceil(100 / n) each
            assert set(times[members]) <= {100 // n, -(-100 // n)}
            assert times[members].sum() == 100
    assert sampler.expected_class_counts().tolist() == [100, 100, 100, 0]


@pytest.mark.parametrize('mode', ['inverse', 'sqrt', 'oversample'])
def test_ranks_disjoint_equal_and_covering(monkeypatch, mode):
    full = make(monkeypatch, mode=mode)
    full.set_epoch(3)
    whole = list(full)
    shares = []
    for rank in range(2):
        sampler = make(monkeypatch, rank=rank, world_size=2, mode=mode)
        sampler.set_epoch(3)
        shares.append(list(sampler))
    assert len(shares[0]) == len(shares[1]) == len(sampler)
    # rank r takes positions r, r+2, ... of the one shared epoch draw
    assert shares[0] == whole[0::2] and shares[1] == whole[1::2]
    merged = [None] * (2 * len(shares[0]))
    merged[0::2], merged[1::2] = shares
    assert merged[:len(whole)] == whole


def test_padding_for_uneven_world_size(monkeypatch):
    """100 draws over 3 ranks: 34 each, the 2 missing positions repeat the draw's start."""
    whole = list(make(monkeypatch, mode='sqrt', num_samples=100))
    shares = [list(make(monkeypatch, rank=r, world_size=3, mode='sqrt', num_samples=100))
              for r in range(3)]
    assert [len(s) for s in shares] == [34, 34, 34]
    merged = [None] * 102
    for r in range(3):
        merged[r::3] = shares[r]
    assert merged == whole + whole[:2]


def test_same_seed_same_order_and_epochs_differ(monkeypatch):
    a, b = make(monkeypatch, seed=5), make(monkeypatch, seed=5)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    a.set_epoch(0)
    assert list(a) == first
    assert list(make(monkeypatch, seed=6)) != first


def test_num_samples_and_bad_args(monkeypatch):
    assert len(make(monkeypatch, mode='sqrt', num_samples=50)) == 50
    with pytest.raises(ValueError, match='mode'):
        make(monkeypatch, mode='equal')
    with pytest.raises(ValueError, match='num_samples'):
        make(monkeypatch, mode='oversample', num_samples=5)


def test_unseeded_uses_shared_random_seed(monkeypatch):
    monkeypatch.setattr('mmengine.dataset.sampler.sync_random_seed', lambda: 1234)
    sampler = make(monkeypatch, seed=None)
    assert sampler.seed == 1234
