"""tools/predict.py and tools/visualization/gradcam.py on a random-init ResNet-18 at 64x64."""
import csv
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.testing import load_tool

CLASSES = ['ferrite', 'pearlite', 'martensite']
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MEAN, STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]

CONFIG = f"""
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmext.modules'], allow_failed_imports=False)
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(num_classes=3, mean={MEAN}, std={STD}, to_rgb=True),
    backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=512))
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(64, 64)),
                 dict(type='PackInputs')]
test_dataloader = dict(batch_size=2, dataset=dict(type='CustomDataset', data_root='',
                                                  pipeline=test_pipeline))
"""


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    tmp = tmp_path_factory.mktemp('cls')
    config = tmp / 'tiny_cls.py'
    config.write_text(CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    ckpt = tmp / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': CLASSES}}}, str(ckpt))
    rng = np.random.default_rng(0)
    imgs = tmp / 'imgs'
    imgs.mkdir()
    for i in range(2):
        cv2.imwrite(str(imgs / f'img{i}.png'), rng.integers(0, 255, (64, 64, 3), np.uint8))
    odd = tmp / 'odd.png'  # not square, palette-free grayscale file
    cv2.imwrite(str(odd), rng.integers(0, 255, (50, 70), np.uint8))
    return dict(config=str(config), ckpt=str(ckpt), imgs=str(imgs), odd=str(odd),
                model=model.eval(), tmp=tmp)


def expected_scores(model, path):
    """Independent preprocessing of a 64x64 image: BGR->RGB, normalise, softmax."""
    img = cv2.imread(path)[..., ::-1].astype(np.float32)
    x = torch.from_numpy((img - MEAN) / STD).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        return torch.softmax(model(x, mode='tensor'), 1)[0].numpy()


def test_predict_tool_on_folder(setup, capsys):
    out_csv = osp.join(str(setup['tmp']), 'preds.csv')
    load_tool('predict').main([setup['config'], setup['ckpt'], setup['imgs'], '--out', out_csv,
                               '--topk', '2'])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    with open(out_csv) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for line, row, name in zip(lines, rows, ('img0.png', 'img1.png')):
        path, cls, score = line.split('\t')
        assert osp.basename(path) == name and row['img_path'] == path
        scores = expected_scores(setup['model'], path)
        assert cls == CLASSES[scores.argmax()] == row['pred_class']
        assert float(score) == pytest.approx(scores.max(), abs=1e-4)
        assert row['top2_class'] == CLASSES[np.argsort(-scores)[1]]
        assert float(row['top2_score']) == pytest.approx(np.sort(scores)[-2], abs=1e-4)
        assert 'top3_class' not in row and row['gt_class'] == ''


def test_predict_tool_bad_input(setup, capsys):
    with pytest.raises(SystemExit) as exc:
        load_tool('predict').main([setup['config'], setup['ckpt'], '/nonexistent/x.png'])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip() == \
        'error: /nonexistent/x.png: no such image file or folder'


@pytest.mark.parametrize('method', ['gradcam', 'gradcam++'])
def test_gradcam_tool_output_shape(setup, capsys, method):
    out_dir = osp.join(str(setup['tmp']), f'cam_{method}')
    load_tool('gradcam').main([setup['config'], setup['ckpt'], setup['odd'],
                               osp.join(setup['imgs'], 'img0.png'), '--out-dir', out_dir,
                               '--method', method, '--target-layers', 'backbone.layer4'])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    odd_out = lines[0].split('\t')[0]
    assert osp.isfile(odd_out) and odd_out.startswith(out_dir)
    assert cv2.imread(odd_out).shape == (50, 70, 3)
    assert cv2.imread(lines[1].split('\t')[0]).shape == (64, 64, 3)


def test_cam_target_class_and_layers(setup):
    from mmext.utils import InputError
    from mmext.visualization.cam import ClassActivationMapper
    from mmpretrain.apis import get_model
    model = get_model(setup['config'], setup['ckpt'])
    img = osp.join(setup['imgs'], 'img1.png')
    mapper = ClassActivationMapper(model, 'xgradcam')  # default layer: last backbone norm
    overlay, cam, cls = mapper(img)
    assert cls == int(expected_scores(setup['model'], img).argmax())
    assert overlay.shape == (64, 64, 3) and overlay.dtype == np.uint8
    assert cam.shape == (64, 64) and 0 <= cam.min() and cam.max() <= 1
    _, cam2, cls2 = mapper(img, target_class=(cls + 1) % 3)
    assert cls2 == (cls + 1) % 3
    with pytest.raises(InputError, match='3 classes'):
        mapper(img, target_class=3)
    with pytest.raises(InputError, match="no layer 'backbone.layer9'"):
        ClassActivationMapper(model, 'gradcam', ['backbone.layer9'])


def test_sixteen_bit_input_predicts_and_maps_as_its_eight_bit_twin(setup, capsys):
    """12-bit data in a 16-bit PNG, loaded with depth_max=4095, is the 8-bit image."""
    rng = np.random.default_rng(3)
    img8 = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    deep = setup['tmp'] / 'deep'
    deep.mkdir()
    cv2.imwrite(str(deep / 'eight.png'), img8)
    cv2.imwrite(str(deep / 'twelve.png'), np.round(img8 * (4095 / 255)).astype(np.uint16))
    options = ['--cfg-options', 'test_dataloader.dataset.pipeline.0.type=CheckedLoadImageFromFile',
               'test_dataloader.dataset.pipeline.0.depth_max=4095']
    load_tool('predict').main([setup['config'], setup['ckpt'], str(deep), *options])
    lines = sorted(capsys.readouterr().out.strip().splitlines())
    scores = expected_scores(setup['model'], str(deep / 'eight.png'))
    assert [line.split('\t')[1:] for line in lines] == [
        [CLASSES[scores.argmax()], f'{scores.max():.4f}']] * 2
    out_dir = str(setup['tmp'] / 'deep_cam')
    load_tool('gradcam').main([setup['config'], setup['ckpt'], str(deep / 'eight.png'),
                               str(deep / 'twelve.png'), '--out-dir', out_dir,
                               '--target-layers', 'backbone.layer4', *options])
    paths = [line.split('\t')[0] for line in capsys.readouterr().out.strip().splitlines()]
    eight, twelve = (cv2.imread(p) for p in paths)
    assert np.array_equal(eight, twelve)  # the overlay shows the image as the model saw it


def test_gradcam_same_stem_images_get_two_files_and_a_rerun_needs_force(setup, capsys):
    rng = np.random.default_rng(4)
    folder = setup['tmp'] / 'stems'
    images = [folder / 'a' / '0.png', folder / 'b' / '0.png']
    for path in images:
        path.parent.mkdir(parents=True)
        cv2.imwrite(str(path), rng.integers(0, 255, (64, 64, 3), np.uint8))
    out_dir = str(setup['tmp'] / 'stem_cams')
    argv = [setup['config'], setup['ckpt'], *map(str, images), '--out-dir', out_dir,
            '--target-layers', 'backbone.layer4']
    load_tool('gradcam').main(argv)
    capsys.readouterr()
    assert sorted(os.listdir(out_dir)) == ['a_0.png_gradcam.png', 'b_0.png_gradcam.png']
    first = cv2.imread(osp.join(out_dir, 'a_0.png_gradcam.png'))
    assert not np.array_equal(first, cv2.imread(osp.join(out_dir, 'b_0.png_gradcam.png')))

    with pytest.raises(SystemExit) as info:
        load_tool('gradcam').main(argv)
    assert info.value.code == 2
    assert 'a_0.png_gradcam.png exists; pass --force' in capsys.readouterr().err
    load_tool('gradcam').main(argv + ['--force'])
    assert np.array_equal(first, cv2.imread(osp.join(out_dir, 'a_0.png_gradcam.png')))
