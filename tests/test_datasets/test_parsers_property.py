"""Property tests: random and mutated CSV files, COCO annotations and RLE strings fed to
mmext's parsers either load or raise InputError, never another exception."""
import json
import math
import os
import tempfile

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from mmext.datasets.csv_dataset import CSVDataset
from mmext.datasets.particle_dataset import ParticleDataset
from mmext.structures.coco_checks import rle_problem
from mmext.structures.coco_io import load_coco_gt, load_results
from mmext.utils import InputError

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
H, W = 6, 7


@pytest.fixture(scope='module')
def folder():
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, 'train'))
        for name in ('a.png', 'b.png', 'c d.png'):
            cv2.imwrite(os.path.join(root, 'train', name), np.zeros((4, 4, 3), np.uint8))
        yield root


# -- CSV --------------------------------------------------------------------------------
_cells = st.sampled_from(['a.png', 'b.png', 'c d.png', 'x.png', '', 'pearlite', 'network',
                          '"q,uo"ted', ' ', 'é', '\ufeff', 'path', 'label', '../a.png'])
_rows = st.lists(st.lists(_cells, min_size=0, max_size=4), min_size=0, max_size=6)


@st.composite
def csv_bytes(draw):
    header = draw(st.sampled_from(['path,label', 'label,path', 'path', 'path,label,img_path',
                                   'path,label,extra', '']))
    text = '\n'.join([header] + [','.join(r) for r in draw(_rows)]) + '\n'
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(0, 3))):  # byte mutations: flip, insert, delete
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(['set', 'insert', 'delete']))
        byte = draw(st.integers(0, 255))
        if op == 'set':
            data[i] = byte
        elif op == 'insert':
            data.insert(i, byte)
        else:
            del data[i]
    return bytes(data)


@SETTINGS
@given(data=csv_bytes(), classes=st.sampled_from([None, ('pearlite', 'network')]),
       by_folder=st.booleans())
def test_csv_rows_load_or_input_error(folder, data, classes, by_folder):
    with open(os.path.join(folder, 'metadata.csv'), 'wb') as f:
        f.write(data)
    try:
        ds = CSVDataset(ann_file='metadata.csv', data_root=folder, data_prefix='train',
                        label_column='label', split_by_folder=by_folder,
                        metainfo=dict(classes=classes) if classes else None)
    except InputError as e:
        assert '\n' not in str(e)
        return
    assert len(ds) > 0
    assert all(0 <= ds.get_data_info(i)['gt_label'] < len(ds.metainfo['classes'])
               for i in range(len(ds)))


# -- COCO annotations -------------------------------------------------------------------
_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 50), st.just(math.nan),
                         st.floats(allow_nan=True, allow_infinity=True),
                         st.text(max_size=4))
_json = st.recursive(_json_scalar, lambda c: st.lists(c, max_size=4)
                     | st.dictionaries(st.text(max_size=3), c, max_size=3), max_leaves=8)


@st.composite
def _maybe(draw, valid):
    """Mostly a valid value; one in twelve times any JSON value or the key left out."""
    if draw(st.integers(0, 11)):
        return draw(valid)
    return draw(st.one_of(_json, st.just('<missing>')))


@st.composite
def segmentation(draw):
    kind = draw(st.sampled_from(['polygon', 'polygon', 'rle', 'rle', 'rle_list', 'any']))
    if kind == 'polygon':
        return [draw(st.lists(_maybe(st.floats(0, 6)), min_size=5, max_size=8))
                for _ in range(draw(st.integers(0, 2)))]
    if kind == 'any':
        return draw(_json)
    mask = np.asfortranarray(np.array(draw(st.lists(st.booleans(), min_size=H * W,
                                                    max_size=H * W))).reshape(H, W), np.uint8)
    rle = mask_utils.encode(mask)
    counts = rle['counts'].decode()
    if draw(st.integers(0, 3)) == 0:  # mutate the string
        i = draw(st.integers(0, len(counts)))
        counts = counts[:i] + draw(st.text(max_size=2)) + counts[i + 1:]
    size = draw(_maybe(st.just([H, W])))
    if kind == 'rle_list':
        return dict(size=size, counts=draw(st.lists(st.integers(-2, 50), max_size=6)))
    return dict(size=size, counts=counts)


@st.composite
def annotation(draw, ann_id):
    ann = dict(id=draw(_maybe(st.one_of(st.just(ann_id), st.integers(1, 3)))),
               image_id=draw(_maybe(st.sampled_from([1, 2]))),
               category_id=draw(_maybe(st.just(1))),
               segmentation=draw(segmentation()),
               bbox=draw(_maybe(st.lists(_maybe(st.floats(0, 8)), min_size=4, max_size=4))),
               area=draw(_maybe(st.floats(0, 50))),
               iscrowd=0)
    return {k: v for k, v in ann.items() if v != '<missing>'}


@st.composite
def coco_dict(draw):
    n = draw(st.integers(0, 3))
    images = [dict(id=1, file_name='a.png', height=H, width=W),
              dict(id=2, file_name='b.png', height=H, width=W)]
    if not draw(st.integers(0, 7)):
        images[1] = draw(st.dictionaries(st.sampled_from(['id', 'file_name', 'height', 'width']),
                                         _json, max_size=4))
    return dict(images=images, annotations=[draw(annotation(i + 1)) for i in range(n)],
                categories=[dict(id=1, name='Normal')])


LOADED = []


def _write(tmp, data, name='ann.json'):
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        json.dump(data, f)
    return path


@SETTINGS
@given(coco=coco_dict())
def test_coco_annotations_load_or_input_error(folder, coco):
    path = _write(folder, coco)
    loaded = []  # what loaded, for test_some_random_sets_load
    try:
        gt = load_coco_gt(path)
    except InputError as e:
        assert '\n' not in str(e)
    else:
        assert len(gt.anns) == len(coco['annotations'])
        loaded.append(gt)
    try:
        ds = ParticleDataset(ann_file=path, data_prefix=dict(img=os.path.join(folder, 'train')),
                             check_files=False, pipeline=[], filter_cfg=None)
    except InputError as e:
        assert '\n' not in str(e)
    else:
        assert all(all(math.isfinite(v) for v in inst['bbox'])
                   for d in ds.data_list for inst in d['instances'])
        loaded.append(ds)
    LOADED.extend(type(x).__name__ for x in loaded)


def test_some_random_sets_load():
    """The strategy is not all garbage: both parsers accepted some sets above. (How many
    varies with the tests run before it in the process, 4 to 10 seen, so only 'some'.)"""
    assert LOADED.count('COCO') >= 2 and LOADED.count('ParticleDataset') >= 2


# -- RLE strings ------------------------------------------------------------------------
@SETTINGS
@given(counts=st.one_of(st.text(max_size=12), st.text(
    alphabet=st.characters(min_codepoint=48, max_codepoint=111), max_size=12)),
       size=st.sampled_from([[H, W], [0, 0], [1, 1], [3, 2]]))
def test_rle_strings_are_checked_before_pycocotools(counts, size):
    problem = rle_problem(dict(size=size, counts=counts))
    if problem is None:  # then pycocotools decodes it to exactly its size
        mask = mask_utils.decode(dict(size=size, counts=counts.encode()))
        assert mask.shape == tuple(size)
        assert mask_utils.area(dict(size=size, counts=counts.encode())) == mask.sum()


@SETTINGS
@given(mask=st.lists(st.booleans(), min_size=H * W, max_size=H * W))
def test_valid_rles_pass(mask):
    rle = mask_utils.encode(np.asfortranarray(np.array(mask, np.uint8).reshape(H, W)))
    assert rle_problem(dict(size=rle['size'], counts=rle['counts'].decode()), (H, W)) is None
    assert rle_problem(dict(size=rle['size'], counts=rle['counts']), (H, W)) is None


@SETTINGS
@given(results=st.lists(st.fixed_dictionaries(
    dict(image_id=_maybe(st.sampled_from([1, 2, 3])), segmentation=segmentation(),
         score=_maybe(st.floats(0, 1)))), max_size=3))
def test_results_load_or_input_error(folder, results):
    gt_path = _write(folder, dict(images=[dict(id=1, file_name='a.png', height=H, width=W)],
                                  annotations=[], categories=[]), 'gt.json')
    results = [{k: v for k, v in r.items() if v != '<missing>'} for r in results]
    res_path = _write(folder, results, 'res.json')
    for coco in (load_coco_gt(gt_path), None):
        try:
            kept = load_results(res_path, coco)
        except InputError as e:
            assert '\n' not in str(e)
        else:
            for r in kept:
                assert mask_utils.decode(r['segmentation']).shape[:2] == tuple(
                    r['segmentation']['size'])
