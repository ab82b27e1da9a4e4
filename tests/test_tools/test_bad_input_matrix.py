"""The bad-input matrix: every kind of bad CSV, folder, COCO json, results json, image,
config and checkpoint ends a tool with exactly one line ``error: ...`` naming the file,
row or annotation, exit status 2, and no output file (or checkpoint) written.

Tools run in-process (their ``main(argv)``) on tiny generated data."""
import importlib.util
import json
import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from mmext.testing import tool_path

ROOT = Path(__file__).resolve().parents[2]
DEMO_CFG = ROOT / 'configs' / 'demo' / 'mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py'
_MODULES = {}


def _module(path):
    """A tool (or a test helper) loaded from its file, once."""
    if path not in _MODULES:
        spec = importlib.util.spec_from_file_location(f'_m{len(_MODULES)}', path)
        _MODULES[path] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_MODULES[path])
    return _MODULES[path]

CRASH_TEST = ROOT / 'tests' / 'test_engine' / 'test_crash_safe_training.py'
TINY_CLS = _module(CRASH_TEST).TINY_MODEL + """
pipeline = [dict(type='CheckedLoadImageFromFile'), dict(type='PackInputs')]
dataset = dict(type='CSVDataset', data_root={root!r}, ann_file='metadata.csv',
               label_column='label', pipeline=pipeline, {extra})
train_dataloader = dict(batch_size=2, num_workers=0, dataset=dict(**dataset, data_prefix='train'),
                        sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = dict(batch_size=2, num_workers=0, dataset=dict(**dataset, data_prefix='train'),
                       sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = dict(type='Accuracy')
test_cfg = dict()
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01))
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1))
"""


class Case:
    """A bad input: ``make(tmp)`` writes the files and returns the tool's argv."""

    def __init__(self, tool, make, message, outputs=()):
        self.tool, self.make, self.message, self.outputs = tool, make, message, outputs


def _image(path, value=100, size=(16, 16)):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.full((*size, 3), value, np.uint8))


def _cls_data(tmp, rows=None, extra=''):
    """metadata.csv + train/ with 4 images; returns the config path."""
    rows = rows if rows is not None else [
        'path,label', 'a0.png,a', 'a1.png,a', 'b0.png,b', 'b1.png,b']
    for row in rows[1:]:
        name = row.split(',')[0]
        if name.endswith('.png') and not (tmp / 'train' / name).exists():
            _image(tmp / 'train' / name)
    (tmp / 'metadata.csv').write_bytes(
        rows if isinstance(rows, bytes) else ('\n'.join(rows) + '\n').encode())
    cfg = tmp / 'tiny_cls.py'
    cfg.write_text(TINY_CLS.format(root=str(tmp), extra=extra))
    return cfg


def _train(tmp, *opts):
    return ['train', str(_cls_data(tmp)) if not opts else opts[0], '--work-dir',
            str(tmp / 'work'), *opts[1:]]


def csv_case(rows, extra=''):

    def make(tmp):
        data = rows(tmp) if callable(rows) else rows
        if isinstance(data, bytes):
            cfg = _cls_data(tmp)
            (tmp / 'metadata.csv').write_bytes(data)
        else:
            cfg = _cls_data(tmp, data, extra)
        return ['train', str(cfg), '--work-dir', str(tmp / 'work')]

    return make


def _rle(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode()
    return rle


def _gt(**changes):
    mask = np.zeros((8, 10), bool)
    mask[2:5, 3:7] = True
    ann = dict(id=1, image_id=1, category_id=1, segmentation=_rle(mask), area=12,
               bbox=[3, 2, 4, 3], iscrowd=0)
    gt = dict(images=[dict(id=1, file_name='a.png', height=8, width=10)],
              annotations=[dict(ann), dict(ann, id=2)], categories=[dict(id=1, name='Normal')])
    for key, value in changes.items():
        if key.startswith('ann_'):
            gt['annotations'][1][key[4:]] = value
        elif key.startswith('no_'):
            gt['annotations'][1].pop(key[3:])
        else:
            gt[key] = value
    return gt, _rle(mask)


def eval_case(gt=None, results=None, raw_gt=None, raw_results=None, opts=()):
    """tools/analysis_tools/eval_iou_f1.py GT RESULTS --out metrics.json [opts]."""

    def make(tmp):
        good_gt, rle = _gt()
        (tmp / 'gt.json').write_bytes(raw_gt if raw_gt is not None else json.dumps(
            gt if gt is not None else good_gt).encode())
        res = results(rle) if callable(results) else results
        if res is None:
            res = [dict(image_id=1, category_id=1, segmentation=rle, score=0.9)]
        (tmp / 'res.json').write_bytes(raw_results if raw_results is not None
                                       else json.dumps(res).encode())
        return ['eval_iou_f1', str(tmp / 'gt.json'), str(tmp / 'res.json'), '--out',
                str(tmp / 'metrics.json'), *opts]

    return make


def _cls_ckpt(path, num_classes=2, extra=None):
    """A random-init checkpoint of the tiny classifier with ``num_classes`` classes
    (the configs' 2 fit), ``extra`` weights added."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    text = _module(CRASH_TEST).TINY_MODEL.replace('num_classes=2', f'num_classes={num_classes}')
    torch.manual_seed(0)
    state = MODELS.build(Config.fromstring(text, '.py').model).state_dict()
    torch.save({'state_dict': dict(state, **(extra or {}))}, str(path))


#: a Mask R-CNN's keys: a checkpoint of another model family
_DETECTOR_WEIGHTS = {f'roi_head.bbox_head.{k}': torch.zeros(2, 4)
                     for k in ('fc_cls.weight', 'fc_reg.weight')}


def _misfit_case(tool, **ckpt):
    """``tool`` (test, predict, gradcam, app, train --resume) with a checkpoint that does
    not fit the tiny classifier."""

    def make(tmp):
        cfg = _cls_data(tmp)
        path = tmp / 'model.pth'
        if ckpt.get('family'):
            torch.save({'state_dict': _DETECTOR_WEIGHTS}, str(path))
        else:
            _cls_ckpt(path, **ckpt)
        _image(tmp / 'imgs' / 'x.png')
        return [tool, str(cfg), *{
            'test': [str(path), '--work-dir', str(tmp / 'work'), '--out', str(tmp / 'preds.pkl')],
            'predict': [str(path), str(tmp / 'imgs'), '--out', str(tmp / 'preds.csv')],
            'gradcam': [str(path), str(tmp / 'imgs'), '--out-dir', str(tmp / 'cam')],
            'app': [str(path), '--host', '256.0.0.1'],  # fails fast if it served
            'train': ['--work-dir', str(tmp / 'work'), '--resume', str(path)]}[tool]]

    return make


_HELD_SOCKETS = []  # ports kept busy for the 'app port in use' case


@pytest.fixture(autouse=True, scope='module')
def _release_held_sockets():
    yield
    while _HELD_SOCKETS:
        _HELD_SOCKETS.pop().close()


def _app_on_busy_port(tmp):
    import socket
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen()
    _HELD_SOCKETS.append(sock)
    cfg = _cls_data(tmp)
    _cls_ckpt(tmp / 'model.pth')
    return ['app', str(cfg), str(tmp / 'model.pth'), '--host', '127.0.0.1',
            '--port', str(sock.getsockname()[1])]


def _existing_output_case(tool):
    """``tool`` writing onto an output file that exists, without ``--force``."""

    def make(tmp):
        if tool == 'eval_iou_f1':
            argv = eval_case()(tmp)
            (tmp / 'metrics.json').write_text('{"kept": 1}')
            return argv
        argv = _images_case('predict', lambda folder: _image(folder / 'x.png'))(tmp)
        (tmp / 'preds.csv').write_text('kept\n')
        return argv

    return make


def _ckpt_case(write):

    def make(tmp):
        cfg = _cls_data(tmp)
        ckpt = tmp / 'model.pth'
        write(ckpt)
        return ['test', str(cfg), str(ckpt), '--work-dir', str(tmp / 'work'), '--out',
                str(tmp / 'preds.pkl')]

    return make


class _System:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


class _Unknown:
    pass


def _truncated_ckpt(path):
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, str(path))
    path.write_bytes(path.read_bytes()[:300])


def _config_case(text):

    def make(tmp):
        _cls_data(tmp)
        (tmp / 'bad.py').write_text(text.format(root=str(tmp)))
        return ['train', str(tmp / 'bad.py'), '--work-dir', str(tmp / 'work')]

    return make


def _particle_case(mutate):
    """tools/train.py on the demo Mask R-CNN config with a bad particle train json."""

    def make(tmp):
        from mmext.demo import make_particle_dataset
        make_particle_dataset(str(tmp / 'p'), num_train=1, num_val=1, num_test=1,
                              size=(64, 80), num_range=(3, 4))
        ann = tmp / 'p' / 'annotations' / 'train.json'
        coco = json.loads(ann.read_text())
        ann.write_bytes(mutate(coco))
        root = str(tmp / 'p') + '/'
        return ['train', str(DEMO_CFG), '--work-dir', str(tmp / 'work'), '--cfg-options',
                f'train_dataloader.dataset.data_root={root}', 'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False']

    return make


def _with_bad_ann(**fields):

    def mutate(coco):
        coco['annotations'][1].update(fields)
        return json.dumps(coco).encode()

    return mutate


def _images_case(tool, write):

    def make(tmp):
        folder = tmp / 'imgs'
        folder.mkdir()
        write(folder)
        if tool == 'predict':
            cfg = _cls_data(tmp)
            _cls_ckpt(tmp / 'm.pth')
            return ['predict', str(cfg), str(tmp / 'm.pth'), str(folder), '--out',
                    str(tmp / 'preds.csv')]
        torch.save({'state_dict': {}}, str(tmp / 'm.pth'))
        return ['submit', str(DEMO_CFG), str(tmp / 'm.pth'), '--img-dir', str(folder),
                '--out', str(tmp / 'sub.json'), '--device', 'cpu', '--num-workers', '0']

    return make


def _cut(ext):

    def write(folder):
        img = (np.random.RandomState(0).rand(32, 40, 3) * 255).astype(np.uint8)
        cv2.imwrite(str(folder / f'x.{ext}'), img)
        data = (folder / f'x.{ext}').read_bytes()
        (folder / f'x.{ext}').write_bytes(data[:len(data) // 2])

    return write


def _bomb(folder):
    _module(ROOT / 'tests' / 'test_datasets' / 'test_loading.py').write_bomb_png(
        folder / 'huge.png')


def _truncated_train_image(tmp):
    cfg = _cls_data(tmp)
    data = (tmp / 'train' / 'a0.png').read_bytes()
    (tmp / 'train' / 'a0.png').write_bytes(data[:len(data) - 20])
    return ['train', str(cfg), '--work-dir', str(tmp / 'work')]


def _split_case(make_folder):

    def make(tmp):
        make_folder(tmp)
        return ['split_dataset', str(tmp / 'set'), '--ratios', '0.5', '0.5']

    return make


NO_CKPT = ('work/iter_1.pth', )
CASES = {
    # CSV (CSVDataset through tools/train.py)
    'csv not UTF-8': Case('train', csv_case(b'path,label\na0.png,a\na1.png,\xe9t\xe9\n'),
                          r'metadata.csv line 3: not UTF-8 text \(byte 0xe9\)', NO_CKPT),
    'csv NUL byte': Case('train', csv_case(b'path,label\na0.png,a\x00\n'),
                         'metadata.csv line 2: NUL character', NO_CKPT),
    'csv unterminated quote': Case(
        'train', csv_case(b'path,label\na0.png,a\n"a1.png,a\nb0.png,b\nb1.png,b\n'),
        'metadata.csv line 3: unterminated quote', NO_CKPT),
    'csv missing column': Case('train', csv_case(['path,class', 'a0.png,a']),
                               "metadata.csv: missing column 'label'", NO_CKPT),
    'csv duplicate path': Case('train', csv_case(['path,label', 'a0.png,a', 'a0.png,b']),
                               "metadata.csv line 3: duplicate path 'a0.png'", NO_CKPT),
    'csv empty label': Case('train', csv_case(['path,label', 'a0.png,a', 'b0.png,']),
                            "metadata.csv line 3: empty 'label' cell", NO_CKPT),
    'csv unknown label': Case('train', csv_case(['path,label', 'a0.png,a', 'b0.png,c'],
                                                extra="metainfo=dict(classes=('a', 'b'))"),
                              "metadata.csv line 3: unknown label 'c'", NO_CKPT),
    'csv image without row': Case(
        'train', csv_case(lambda tmp: _image(tmp / 'train' / 'z.png') or [
            'path,label', 'a0.png,a', 'b0.png,b']), r'train/z.png: image has no row', NO_CKPT),
    # folders
    'split folder missing': Case('split_dataset', _split_case(lambda tmp: None),
                                 'set: folder not found'),
    'split without class folders': Case(
        'split_dataset', _split_case(lambda tmp: _image(tmp / 'set' / 'loose.png')),
        'set: no class folders'),
    'predict empty folder': Case('predict', _images_case('predict', lambda f: None),
                                 r'imgs: no images \(', ('preds.csv', )),
    'submit empty folder': Case('submit', _images_case('submit', lambda f: None),
                                r'imgs: no images \(', ('sub.json', 'sub.images.json')),
    # COCO ground-truth json (tools/analysis_tools/eval_iou_f1.py)
    'coco malformed json': Case('eval_iou_f1', eval_case(raw_gt=b'{"images": [}'),
                                r'gt.json: not valid JSON', ('metrics.json', )),
    'coco not UTF-8': Case('eval_iou_f1', eval_case(raw_gt=b'{"images": "\xff"}'),
                           'gt.json: not UTF-8 text', ('metrics.json', )),
    'coco not an object': Case('eval_iou_f1', eval_case(gt=[1, 2]),
                               r'gt.json: not a COCO json \(no "images" list\)',
                               ('metrics.json', )),
    'coco image without height': Case(
        'eval_iou_f1', eval_case(gt=dict(images=[dict(id=1, width=3)])),
        r"gt.json images\[0\]: missing \['height'\]", ('metrics.json', )),
    'coco annotation without area': Case('eval_iou_f1', eval_case(gt=_gt(no_area=1)[0]),
                                         "gt.json annotation 2 .image 1.: no 'area'",
                                         ('metrics.json', )),
    'coco duplicate annotation id': Case('eval_iou_f1', eval_case(gt=_gt(ann_id=1)[0]),
                                         'gt.json annotation 1 .image 1.: duplicate annotation id',
                                         ('metrics.json', )),
    'coco NaN in bbox': Case('eval_iou_f1', eval_case(gt=_gt(ann_bbox=[1, float('nan'), 2, 2])[0]),
                             r'gt.json annotation 2 .image 1.: bbox is not \[x, y, w, h\]',
                             ('metrics.json', )),
    'coco unknown image id': Case('eval_iou_f1', eval_case(gt=_gt(ann_image_id=5)[0]),
                                  'gt.json annotation 2: unknown image_id 5', ('metrics.json', )),
    'coco RLE counts wrong': Case(
        'eval_iou_f1', eval_case(gt=_gt(ann_segmentation=dict(size=[8, 10], counts='04'))[0]),
        'gt.json annotation 2 .image 1.: RLE counts add up to 4, not 8×10', ('metrics.json', )),
    # results json
    'results not a list': Case('eval_iou_f1', eval_case(results={'a': 1}),
                               'res.json: a results json must be a list', ('metrics.json', )),
    'results unknown image mixed with valid': Case(
        'eval_iou_f1', eval_case(results=lambda rle: [
            dict(image_id=1, segmentation=rle, score=0.9),
            dict(image_id=99, segmentation=rle, score=0.8)]),
        'res.json entry 1: image_id 99 is not in the ground-truth json', ('metrics.json', )),
    'results mask size differs': Case(
        'eval_iou_f1', eval_case(results=lambda rle: [
            dict(image_id=1, segmentation=_rle(np.ones((4, 4), bool)), score=0.9)]),
        r'res.json entry 0 .image 1.: RLE size \[4, 4\] differs from its image \[8, 10\]',
        ('metrics.json', )),
    'results RLE garbage': Case(
        'eval_iou_f1', eval_case(results=lambda rle: [
            dict(image_id=1, segmentation=dict(size=[8, 10], counts='~~ \x7f'), score=0.9)]),
        'res.json entry 0 .image 1.: RLE counts string has characters outside',
        ('metrics.json', )),
    'results NaN score': Case(
        'eval_iou_f1', eval_case(raw_results=b'[{"image_id": 1, "score": NaN, '
                                 b'"segmentation": {"size": [8, 10], "counts": "0`1"}}]'),
        'res.json entry 0: score nan is not a number', ('metrics.json', )),
    'results unknown category with --coco-map': Case(
        'eval_iou_f1', eval_case(results=lambda rle: [
            dict(image_id=1, category_id=1, segmentation=rle, score=0.9),
            dict(image_id=1, category_id=7, segmentation=rle, score=0.8)], opts=['--coco-map']),
        r'res.json entry 1 \(image 1\): category_id 7 is not in the ground-truth categories '
        r'\(1\)', ('metrics.json', )),
    'results score above 1': Case(
        'eval_iou_f1', eval_case(results=lambda rle: [
            dict(image_id=1, category_id=1, segmentation=rle, score=3.5)]),
        r'res.json entry 0: score 3.5 is not in \[0, 1\]', ('metrics.json', )),
    'results negative score': Case(
        'eval_iou_f1', eval_case(results=lambda rle: [
            dict(image_id=1, category_id=1, segmentation=rle, score=0.5),
            dict(image_id=1, segmentation=rle, score=-0.25)]),
        r'res.json entry 1: score -0.25 is not in \[0, 1\]', ('metrics.json', )),
    'coco annotation of unknown category': Case(
        'eval_iou_f1', eval_case(gt=_gt(ann_category_id=3)[0]),
        r'gt.json annotation 2 \(image 1\): category_id 3 is not in "categories" \(1\)',
        ('metrics.json', )),
    'coco-map without categories': Case(
        'eval_iou_f1', eval_case(gt={k: v for k, v in _gt()[0].items() if k != 'categories'},
                                 opts=['--coco-map']),
        'gt.json: no "categories"; COCO mAP needs them', ('metrics.json', )),
    'eval score threshold above 1': Case(
        'eval_iou_f1', eval_case(opts=['--score-thr', '1.5']),
        r'argument --score-thr: 1.5 is not in \[0, 1\]', ('metrics.json', )),
    'submit score threshold below 0': Case(
        'submit', lambda tmp: ['submit', str(DEMO_CFG), str(tmp / 'm.pth'), '--img-dir',
                               str(tmp), '--out', str(tmp / 'sub.json'), '--score-thr', '-0.1'],
        r'argument --score-thr: -0.1 is not in \[0, 1\]', ('sub.json', )),
    # particle training set (ParticleDataset through tools/train.py)
    'particle json malformed': Case('train', _particle_case(lambda coco: b'{"images": [1, '),
                                    'train.json: not valid JSON', NO_CKPT),
    'particle NaN bbox': Case('train', _particle_case(_with_bad_ann(bbox=[1, 2, None, 4])),
                              r'train.json: annotation id \d+ \(image id \d+\): bbox is not',
                              NO_CKPT),
    'particle train json without annotations': Case(
        'train', _particle_case(lambda coco: json.dumps(dict(coco, annotations=[])).encode()),
        r'train.json: no annotations', NO_CKPT),
    'particle missing area': Case(
        'train', _particle_case(lambda coco: json.dumps(dict(coco, annotations=[
            {k: v for k, v in a.items() if k != 'area'} for a in coco['annotations']])).encode()),
        r"train.json: annotation id \d+ \(image id \d+\): no 'area'", NO_CKPT),
    # images
    'train image truncated': Case('train', _truncated_train_image,
                                  r'train/a0.png: truncated PNG', NO_CKPT),
    'predict image truncated': Case('predict', _images_case('predict', _cut('jpg')),
                                    'imgs/x.jpg: truncated JPEG', ('preds.csv', )),
    'submit image empty file': Case(
        'submit', _images_case('submit', lambda f: (f / 'zero.png').write_bytes(b'')),
        'imgs/zero.png: not a readable image', ('sub.json', 'sub.images.json')),
    'submit decompression bomb': Case('submit', _images_case('submit', _bomb),
                                      'imgs/huge.png: not a readable image .* decompression bomb',
                                      ('sub.json', 'sub.images.json')),
    # configs
    'config missing': Case('train', lambda tmp: ['train', str(tmp / 'none.py')],
                           'config file not found: .*none.py'),
    'config syntax error': Case('train', _config_case('model = dict(\n'),
                                'cannot read config .*bad.py: SyntaxError'),
    'config missing base': Case('train', _config_case("_base_ = ['./gone.py']\n"),
                                'cannot read config .*bad.py: .*gone.py'),
    'config other scope': Case('train', _config_case("default_scope = 'mmseg'\n"),
                               r"config .*bad.py has default_scope='mmseg'"),
    'config unknown type': Case(
        'train', _config_case(TINY_CLS.replace("type='ImageClassifier'", "type='ImageClassifer'")
                              .replace('{extra}', '').replace('{{', '{')),
        'config .*bad.py: ImageClassifer is not in the mmpretrain::model registry', NO_CKPT),
    # checkpoints (tools/test.py)
    'checkpoint missing': Case('test', lambda tmp: ['test', str(_cls_data(tmp)),
                                                    str(tmp / 'gone.pth')],
                               'checkpoint not found: .*gone.pth'),
    'checkpoint not a checkpoint': Case(
        'test', _ckpt_case(lambda p: p.write_text('hello')),
        'model.pth is not a PyTorch checkpoint', ('preds.pkl', )),
    'checkpoint truncated': Case('test', _ckpt_case(_truncated_ckpt),
                                 'checkpoint .*model.pth is truncated or damaged', ('preds.pkl', )),
    'checkpoint runs code': Case(
        'test', _ckpt_case(lambda p: torch.save({'state_dict': {}, 'x': _System()}, str(p))),
        r'model.pth holds types outside the safe list \(posix.system\)', ('preds.pkl', )),
    'checkpoint legacy format, unknown class': Case(
        'test', _ckpt_case(lambda p: torch.save({'x': _Unknown()}, str(p),
                                                _use_new_zipfile_serialization=False)),
        r'legacy \(non-zip\) checkpoint .*model.pth holds types outside the safe list '
        r'\(.*_Unknown\)', ('preds.pkl', )),
    'resume from truncated checkpoint': Case(
        'train', lambda tmp: _truncated_ckpt(tmp / 'last.pth') or [
            'train', str(_cls_data(tmp)), '--work-dir', str(tmp / 'work'), '--resume',
            str(tmp / 'last.pth')],
        'checkpoint .*last.pth is truncated or damaged', NO_CKPT),
    # a checkpoint that does not fit the config's model
    'checkpoint other class count': Case(
        'test', _misfit_case('test', num_classes=3),
        r'checkpoint .*model.pth does not fit the model of the config \(shape mismatch: '
        r'head.fc.weight is \[3, 64\] in the checkpoint vs \[2, 64\] in the config '
        r'\(head.num_classes=2\); head.fc.bias is \[3\] in the checkpoint vs \[2\]',
        ('preds.pkl', )),
    'checkpoint other model family': Case(
        'test', _misfit_case('test', family=True),
        r'model.pth does not fit the model .*\d+ key\(s\) missing: backbone.conv1.weight, .*'
        r'2 unexpected key\(s\): roi_head.bbox_head.fc_cls.weight, '
        r'roi_head.bbox_head.fc_reg.weight\)', ('preds.pkl', )),
    'checkpoint extra key': Case(
        'test', _misfit_case('test', extra={'head.fc2.weight': torch.zeros(1)}),
        r'model.pth does not fit .*\(1 unexpected key\(s\): head.fc2.weight\)',
        ('preds.pkl', )),
    'predict checkpoint other class count': Case(
        'predict', _misfit_case('predict', num_classes=3),
        r'model.pth does not fit .*head.fc.weight is \[3, 64\] in the checkpoint vs \[2, 64\]',
        ('preds.csv', )),
    'gradcam checkpoint other model family': Case(
        'gradcam', _misfit_case('gradcam', family=True),
        r'model.pth does not fit .*unexpected key\(s\): roi_head', ('cam', )),
    'app checkpoint other class count': Case(
        'app', _misfit_case('app', num_classes=5),
        r'model.pth does not fit .*head.fc.weight is \[5, 64\] in the checkpoint vs \[2, 64\]'),
    'predict --out exists': Case('predict', _existing_output_case('predict'),
                                 r'preds.csv exists; pass --force to overwrite it'),
    'eval --out exists': Case('eval_iou_f1', _existing_output_case('eval_iou_f1'),
                              r'metrics.json exists; pass --force to overwrite it'),
    'app port in use': Case('app', _app_on_busy_port, r'--port \d+: 127.0.0.1:\d+ is in use'),
    'resume from checkpoint of another model': Case(
        'train', _misfit_case('train', num_classes=3),
        r'model.pth does not fit .*head.fc.weight is \[3, 64\] in the checkpoint vs \[2, 64\]',
        NO_CKPT),
}

def test_matrix_is_broad():
    assert len(CASES) >= 25


@pytest.mark.parametrize('kind', list(CASES))
def test_bad_input_is_one_line(kind, tmp_path, capsys):
    case = CASES[kind]
    argv = case.make(tmp_path)
    tool, argv = argv[0], argv[1:]
    assert tool == case.tool
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        _module(tool_path(tool)).main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2, err[-2000:]
    # argparse's own refusals: "usage: ..." then "<prog>: error: argument ..."
    lines = [line for line in err.splitlines()
             if line.startswith('error: ') or re.match(r'\S+: error: argument ', line)]
    assert len(lines) == 1 and err.rstrip().endswith(lines[0]), err[-2000:]
    assert re.search(case.message, lines[0]), lines[0]
    for out in case.outputs:
        assert not (tmp_path / out).exists(), out
    leftovers = [p.name for p in Path(tmp_path).rglob('*.tmp*')]
    assert leftovers == []
