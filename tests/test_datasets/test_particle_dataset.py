"""ParticleDataset: polygons and RLE, images-only json, image folder, annotation checks."""
import copy
import json
import logging
import os.path as osp

import numpy as np
import pytest
from pycocotools import mask as mask_utils

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.datasets.particle_dataset import ParticleDataset
from mmext.demo import make_particle_dataset
from mmext.utils import InputError

PIPELINE = [
    dict(type='mmdet.LoadImageFromFile'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
]


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('particles')
    make_particle_dataset(str(root), seed=1, num_train=3, num_val=2, num_test=2,
                          size=(128, 160), num_range=(3, 6))
    return root


def _dataset(root, ann_file='annotations/train.json', split='train', **kwargs):
    return ParticleDataset(data_root=str(root), ann_file=ann_file,
                           data_prefix=dict(img=f'images/{split}/'), pipeline=PIPELINE,
                           **kwargs)


def _write(root, coco, name):
    path = osp.join(root, 'annotations', name)
    with open(path, 'w') as f:
        json.dump(coco, f)
    return f'annotations/{name}'


def _train_coco(root):
    with open(osp.join(root, 'annotations', 'train.json')) as f:
        return json.load(f)


def test_polygons_load_as_masks(root):
    ds = _dataset(root)
    coco = _train_coco(root)
    assert ds.metainfo['classes'] == ('Normal',)
    assert len(ds) == 3
    item = ds[0]
    n = sum(a['image_id'] == item['img_id'] for a in coco['annotations'])
    assert item['gt_masks'].masks.shape == (n, 128, 160)
    assert item['gt_bboxes'].tensor.shape == (n, 4)
    assert (item['gt_bboxes_labels'] == 0).all()
    assert item['gt_masks'].masks.sum() > 0


@pytest.mark.parametrize('compressed', [True, False])
def test_rle_equals_polygon(root, compressed):
    coco = _train_coco(root)
    rle_coco = copy.deepcopy(coco)
    for ann in rle_coco['annotations']:
        rle = mask_utils.merge(mask_utils.frPyObjects(ann['segmentation'], 128, 160))
        if compressed:
            rle['counts'] = rle['counts'].decode()
        else:  # uncompressed: counts as a list of run lengths
            m = mask_utils.decode(rle)
            flat = m.flatten(order='F')
            change = np.flatnonzero(np.diff(flat)) + 1
            bounds = np.concatenate([[0], change, [flat.size]])
            runs = np.diff(bounds).tolist()
            rle = {'size': [128, 160], 'counts': ([0] if flat[0] else []) + runs}
        ann['segmentation'] = rle
    poly = _dataset(root)
    rle = _dataset(root, _write(root, rle_coco, f'rle_{compressed}.json'))
    for i in range(len(poly)):
        np.testing.assert_array_equal(poly[i]['gt_masks'].masks, rle[i]['gt_masks'].masks)


def test_images_only_json(root):
    ds = _dataset(root, 'annotations/test.json', 'test', test_mode=True)
    assert len(ds) == 2
    info = ds.get_data_info(0)
    assert info['instances'] == [] and (info['height'], info['width']) == (128, 160)
    # without categories either
    coco = json.load(open(osp.join(root, 'annotations', 'test.json')))
    del coco['categories']
    ds = _dataset(root, _write(root, coco, 'test_nocat.json'), 'test', test_mode=True)
    ids = [ds.get_data_info(i)['img_id'] for i in range(len(ds))]
    assert ids == [img['id'] for img in coco['images']]


def test_image_folder(root):
    ds = _dataset(root, '', 'test', test_mode=True)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [i['img_id'] for i in infos] == [1, 2]
    assert all((i['height'], i['width']) == (128, 160) for i in infos)
    assert infos[0]['img_path'].endswith('.png')
    item = ds[1]
    assert item['img'].shape[:2] == (128, 160)
    with pytest.raises(InputError, match='image folder not found'):
        _dataset(root, '', 'nowhere', test_mode=True)


def _break(coco, case):
    """Make annotation 0 (or image 0) invalid in one way; return the expected text."""
    ann = coco['annotations'][0]
    if case == 'short_polygon':
        ann['segmentation'] = [[1, 1, 5, 1]]
        return 'polygon with < 3 points'
    if case == 'odd_polygon':
        ann['segmentation'] = [ann['segmentation'][0] + [3.0]]
        return 'odd number of coordinates'
    if case == 'zero_area_box':
        ann['bbox'][2] = 0
        return 'zero-area box'
    if case == 'missing_image':
        ann['image_id'] = 999
        return 'missing image id'
    if case == 'unknown_category':
        ann['category_id'] = 7
        return 'unknown category'
    raise AssertionError(case)


CASES = ['short_polygon', 'odd_polygon', 'zero_area_box', 'missing_image', 'unknown_category']


@pytest.mark.parametrize('case', CASES)
def test_bad_annotation_raises(root, case):
    coco = _train_coco(root)
    expected = _break(coco, case)
    ann_id = coco['annotations'][0]['id']
    ann_file = _write(root, coco, f'bad_{case}.json')
    with pytest.raises(InputError, match=f'bad_{case}.json: annotation id {ann_id} .*{expected}'):
        _dataset(root, ann_file)


def test_missing_image_on_disk_raises(root):
    coco = _train_coco(root)
    coco['images'][1]['file_name'] = 'gone.png'
    with pytest.raises(InputError, match=r"image id \d+: image file missing on disk: .*gone.png"):
        _dataset(root, _write(root, coco, 'missing_file.json'))


def test_warn_mode_drops_and_counts(root, caplog):
    coco = _train_coco(root)
    n_anns = len(coco['annotations'])
    anns = coco['annotations']
    anns[0]['segmentation'] = [[1, 1, 5, 1]]
    anns[1]['segmentation'] = [[1, 1, 5, 1, 3]]
    anns[2]['bbox'][3] = 0
    anns[3]['category_id'] = 5
    anns[4]['category_id'] = 6
    gone_img = coco['images'][2]
    gone_img['file_name'] = 'gone.png'
    n_gone = sum(a['image_id'] == gone_img['id'] for a in anns[5:])
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        ds = _dataset(root, _write(root, coco, 'warn.json'), on_invalid='warn')
    finally:
        logger.removeHandler(handler)
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    msg = warnings[0]
    assert 'dropped 5 annotations and 1 images' in msg
    assert '2 unknown category id' in msg and '1 zero-area box' in msg
    assert '1 polygon with < 3 points' in msg and '1 polygon with an odd number' in msg
    assert len(ds) == 2
    kept = sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds)))
    assert kept == n_anns - 5 - n_gone


def test_bad_on_invalid_value(root):
    with pytest.raises(InputError, match='on_invalid'):
        _dataset(root, on_invalid='ignore')


def _renamed(root, name, categories):
    coco = _train_coco(root)
    coco['categories'] = categories
    cat_id = categories[0]['id']
    for ann in coco['annotations']:
        ann['category_id'] = cat_id
    return _write(root, coco, name)


def test_one_category_of_another_name_is_adopted(root, caplog):
    n_anns = len(_train_coco(root)['annotations'])
    ann_file = _renamed(root, 'renamed.json', [dict(id=7, name='particle')])
    with caplog.at_level(logging.INFO):
        ds = _dataset(root, ann_file=ann_file)
    assert ds.metainfo['classes'] == ('particle', )
    # every annotation kept, with label 0
    assert sum(len(ds.get_data_info(i)['instances']) for i in range(len(ds))) == n_anns
    assert all(inst['bbox_label'] == 0 for i in range(len(ds))
               for inst in ds.get_data_info(i)['instances'])


def test_categories_that_do_not_match_fail_listing_both(root):
    ann_file = _renamed(root, 'two_cats.json',
                        [dict(id=1, name='Normal'), dict(id=2, name='agglomerate')])
    with pytest.raises(InputError, match=r"two_cats.json: categories 'Normal', 'agglomerate' "
                       r"do not match the config's classes 'Normal'"):
        _dataset(root, ann_file=ann_file)
    ann_file = _renamed(root, 'one_cat.json', [dict(id=1, name='particle')])
    with pytest.raises(InputError, match=r"categories 'particle' do not match the config's "
                       r"classes 'a', 'b'"):
        _dataset(root, ann_file=ann_file, metainfo=dict(classes=('a', 'b')))
