import csv
import hashlib
import json
import os
import os.path as osp
from collections import Counter

import numpy as np
from PIL import Image
from pycocotools.coco import COCO

from mmext.demo import DEFAULT_COUNTS, make_micrograph_dataset, make_particle_dataset


def _digest(root):
    h = hashlib.sha256()
    for folder, _, files in sorted(os.walk(root)):
        for name in sorted(files):
            with open(osp.join(folder, name), 'rb') as f:
                h.update(name.encode() + f.read())
    return h.hexdigest()


def test_micrographs_layout_imbalance_and_modes(micrograph_root):
    rows = list(csv.DictReader(open(osp.join(micrograph_root, 'metadata.csv'))))
    assert {'path', 'primary_microconstituent', 'magnification', 'cool_method'} <= set(rows[0])
    counts = Counter(r['primary_microconstituent'] for r in rows)
    assert len(counts) >= 4 and max(counts.values()) / min(counts.values()) >= 10
    splits = {s: list(csv.DictReader(open(osp.join(micrograph_root, f'{s}.csv'))))
              for s in ('train', 'val', 'test')}
    paths = [r['path'] for split in splits.values() for r in split]
    assert sorted(paths) == sorted(r['path'] for r in rows)  # disjoint and covering
    # several micrographs per physical sample, and no sample straddles two splits
    assert Counter(r['sample_key'] for r in rows).most_common(1)[0][1] >= 2
    samples = {s: {r['sample_key'] for r in split} for s, split in splits.items()}
    assert not (samples['train'] & samples['val'] or samples['train'] & samples['test']
                or samples['val'] & samples['test'])
    classes = open(osp.join(micrograph_root, 'classes.txt')).read().split()
    assert classes == sorted(counts)
    modes = {Image.open(osp.join(micrograph_root, 'images', r['path'])).mode for r in rows}
    assert {'P', 'L', 'RGB'} <= modes
    assert any(r['anneal_temperature'] == '' for r in rows)  # empty cells occur, as in UHCSDB


def test_default_micrograph_set_is_10_to_1(tmp_path):
    """The set written by default (tiny images) has a 10:1 class imbalance in its CSV."""
    make_micrograph_dataset(tmp_path, seed=0, size=(8, 8))
    with open(tmp_path / 'metadata.csv', newline='') as f:
        labels = Counter(row['primary_microconstituent'] for row in csv.DictReader(f))
    assert labels == Counter(DEFAULT_COUNTS)
    assert max(labels.values()) / min(labels.values()) >= 10
    assert len(os.listdir(tmp_path / 'images')) == sum(labels.values())


def test_generators_are_deterministic(tmp_path):
    counts = {'spheroidite': 4, 'pearlite': 2}
    make_micrograph_dataset(tmp_path / 'a', seed=3, counts=counts, size=(32, 32))
    make_micrograph_dataset(tmp_path / 'b', seed=3, counts=counts, size=(32, 32))
    make_micrograph_dataset(tmp_path / 'c', seed=4, counts=counts, size=(32, 32))
    assert _digest(tmp_path / 'a') == _digest(tmp_path / 'b') != _digest(tmp_path / 'c')
    kw = dict(num_train=1, num_val=1, num_test=1, size=(64, 80))
    make_particle_dataset(tmp_path / 'p1', seed=1, **kw)
    make_particle_dataset(tmp_path / 'p2', seed=1, **kw)
    assert _digest(tmp_path / 'p1') == _digest(tmp_path / 'p2')


def test_particles_coco_json(particle_root):
    coco = COCO(osp.join(particle_root, 'annotations', 'train.json'))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == ['Normal']
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        assert 10 <= len(anns) <= 30
        img = np.array(Image.open(osp.join(particle_root, 'images', 'train', info['file_name'])))
        assert img.shape == (info['height'], info['width'])
        for ann in anns:
            assert all(len(p) >= 6 and len(p) % 2 == 0 for p in ann['segmentation'])
            assert coco.annToMask(ann).sum() > 0 and ann['bbox'][2] > 0
    # overlapping particles: a later one hides part of an earlier one, so some masks touch
    masks = np.stack([coco.annToMask(a) for a in coco.loadAnns(coco.getAnnIds(imgIds=1))])
    assert masks.sum(0).max() == 1  # visible parts never overlap each other
    test = json.load(open(osp.join(particle_root, 'annotations', 'test.json')))
    assert 'annotations' not in test and len(test['images']) == 2


def test_texture_micrographs_imbalance_groups_and_coarse_look(tmp_path):
    from mmext.demo import TEXTURE_COUNTS, make_texture_micrograph_dataset
    ratio = max(TEXTURE_COUNTS.values()) / min(TEXTURE_COUNTS.values())
    assert 10 <= ratio <= 75
    counts = {'spheroidite': 15, 'pearlite': 6, 'martensite': 5}
    make_texture_micrograph_dataset(str(tmp_path / 'a'), seed=1, counts=counts, size=(48, 48))
    make_texture_micrograph_dataset(str(tmp_path / 'b'), seed=1, counts=counts, size=(48, 48))
    assert _digest(str(tmp_path / 'a')) == _digest(str(tmp_path / 'b'))
    rows = list(csv.DictReader(open(tmp_path / 'a' / 'metadata.csv')))
    assert Counter(r['primary_microconstituent'] for r in rows) == counts
    samples = {}
    for r in rows:  # each class in >= 5 samples: grouped 5-fold CV tests it in every fold
        samples.setdefault(r['primary_microconstituent'], set()).add(r['sample_key'])
    assert all(len(keys) >= 5 for keys in samples.values())
    # the classes differ in fine texture, not in brightness
    means = {c: np.mean([np.asarray(Image.open(tmp_path / 'a' / 'images' / r['path'])
                                    .convert('L')).mean() for r in rows
                         if r['primary_microconstituent'] == c]) for c in counts}
    assert max(means.values()) - min(means.values()) < 20
