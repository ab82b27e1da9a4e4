"""tools/analysis_tools/check_data.py on generated data: a clean set passes, each deliberate defect of a
broken copy is found (in the JSON report and the exit status), and each printed
``--cfg-options`` fix removes its warning."""
import json
import math
import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from mmcv.image.geometric import rescale_size
from PIL import Image

from mmext.datasets.data_check.resize import ResizeStep
from mmext.testing import load_tool

ROOT = Path(__file__).resolve().parents[2]
DEMO_DET = ROOT / 'configs' / 'demo' / 'mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py'
BOTTOM_UP = 'distance-watershed_unet-s8_1xb8-1500i_particles.py'
CPU_RECIPE = 'mask-rcnn_r18-thin_fpn_1xb2-1200i_particles-native.py'
DEMO_CLS = ROOT / 'configs' / 'demo' / 'resnet18_1xb32-20e_demo-micrographs.py'
# the smallest anchor of the demo Mask R-CNN: stride 4 x scale 4; RPN min_pos_iou 0.3
DEMO_MIN_MATCHABLE = 4 * 4 * math.sqrt(0.3)

# a folder-per-class set for mmpretrain's CustomDataset, independent of the demo data
CLS_CONFIG = """
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmext.modules'], allow_failed_imports=False)
data_root = {root!r}
pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=32), dict(type='PackInputs')]
train_dataloader = dict(batch_size=2, sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_root=data_root, data_prefix='train', pipeline=pipeline))
val_dataloader = dict(batch_size=2, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CustomDataset', data_root=data_root, data_prefix='val', pipeline=pipeline))
test_dataloader = dict(batch_size=2, sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='CustomDataset', data_root=data_root, data_prefix='test', pipeline=pipeline))
"""
CLS_COUNTS = {'train': {'common': 12, 'rare': 2}, 'val': {'common': 3, 'rare': 1},
              'test': {'common': 3, 'rare': 1}}


def check(tmp_path, *args, name='report.json'):
    """Run the tool in-process; return (exit status, report dict or None)."""
    out = tmp_path / name
    with pytest.raises(SystemExit) as exc:
        load_tool('check_data').main([*map(str, args), '--out', str(out)])
    return exc.value.code, (json.loads(out.read_text()) if out.exists() else None)


def findings(report, check_name, level=None):
    return [f for f in report['findings']
            if f['check'] == check_name and (level is None or f['level'] == level)]


@pytest.fixture
def cls_set(tmp_path):
    """Random-noise 24x24 PNGs, one folder per class, 6:1 imbalance in train."""
    rng = np.random.default_rng(0)
    root = tmp_path / 'cls'
    for split, counts in CLS_COUNTS.items():
        for cls, n in counts.items():
            (root / split / cls).mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / cls / f'{split}_{cls}_{i}.png')
    config = tmp_path / 'cls_config.py'
    config.write_text(CLS_CONFIG.format(root=str(root) + '/'))
    return root, config


def test_clean_classification_set_passes_with_an_imbalance_warning(tmp_path, cls_set, capsys):
    root, config = cls_set
    status, report = check(tmp_path, config)
    assert status == 0 and report['errors'] == 0
    for split, counts in CLS_COUNTS.items():
        assert report['splits'][split]['per_class'] == counts
        assert report['splits'][split]['images'] == sum(counts.values())
        assert report['splits'][split]['image_size']['width'] == dict(min=24, median=24, max=24)
    assert report['images_checked'] == 22
    assert report['bad_images'] == [] and report['leakage'] == []
    # 12:2 in train -> ClassBalancedSampler(mode='sqrt'), printed as --cfg-options
    assert report['imbalance']['ratio'] == 6.0
    (warning, ) = findings(report, 'imbalance', 'warning')
    assert warning['fix'] == ['train_dataloader.sampler._delete_=True',
                              'train_dataloader.sampler.type=ClassBalancedSampler',
                              'train_dataloader.sampler.mode=sqrt']
    # Resize(scale=32) enlarges 24 px images x1.33: below the warning threshold
    assert report['splits']['val']['resize']['factor_min'] == pytest.approx(32 / 24, abs=1e-3)
    assert not findings(report, 'upscaled')
    out = capsys.readouterr().out
    assert 'fix: --cfg-options train_dataloader.sampler._delete_=True' in out
    assert '0 errors, 1 warnings' in out

    # the printed fix removes the warning (and the sampler is now reported as balancing)
    status, fixed = check(tmp_path, config, '--cfg-options', *warning['fix'], name='fixed.json')
    assert status == 0 and fixed['warnings'] == 0
    assert fixed['imbalance']['train_sampler'] == "ClassBalancedSampler(mode='sqrt')"


def test_broken_classification_copy_is_caught(tmp_path, cls_set):
    root, config = cls_set
    truncated = root / 'train' / 'common' / 'train_common_0.png'
    truncated.write_bytes(truncated.read_bytes()[:200])
    empty = root / 'val' / 'common' / 'val_common_0.png'
    empty.write_bytes(b'')
    leaked = root / 'test' / 'rare' / 'copy_of_train.png'
    shutil.copy(root / 'train' / 'rare' / 'train_rare_1.png', leaked)
    status, report = check(tmp_path, config)
    assert status == 1
    bad = {b['path']: b['reason'] for b in report['bad_images']}
    assert set(bad) == {str(truncated), str(empty)}
    assert bad[str(empty)] == 'zero-size file'
    assert bad[str(truncated)].startswith('cannot decode')
    assert [(leak['a'], leak['b']) for leak in report['leakage']] == [
        (['train', str(root / 'train' / 'rare' / 'train_rare_1.png')], ['test', str(leaked)])]
    assert {f['check'] for f in report['findings'] if f['level'] == 'error'} == {
        'bad_images', 'leakage'}


def test_sixteen_bit_images_get_a_loader_and_depth_max_that_span_them(tmp_path, cls_set):
    """X-ray-like 12-bit data in 16-bit PNGs (values up to 3000) beside 8-bit images."""
    root, config = cls_set
    rng = np.random.default_rng(1)
    deep = sorted((root / 'train' / 'common').glob('*.png'))[:5]
    for i, path in enumerate(deep):
        values = rng.integers(0, 2000, (24, 24), dtype=np.uint16)
        values[0, 0] = 3000 if i == 0 else 100
        Image.fromarray(values, 'I;16').save(path)
    status, report = check(tmp_path, config)
    assert status == 0
    (warning, ) = findings(report, 'bit_depth')
    assert warning['level'] == 'warning'
    assert warning['message'].startswith(
        'train: 5 of 14 images are 16-bit (largest value 3000, 12 bits)')
    assert warning['fix'] == ['train_dataloader.dataset.pipeline.0.type=CheckedLoadImageFromFile',
                              'train_dataloader.dataset.pipeline.0.depth_max=4095']
    # the fix: 3000 of 4095 loads as 187 of 255, an info line
    status, fixed = check(tmp_path, config, '--cfg-options', *warning['fix'], name='fixed.json')
    (info, ) = findings(fixed, 'bit_depth')
    assert info['level'] == 'info' and 'value x 255 / 4095' in info['message']
    # the full-depth loader with the default 65535: 3000 loads as 12 of 255
    status, dark = check(tmp_path, config, '--cfg-options', warning['fix'][0], name='dark.json')
    (too_dark, ) = findings(dark, 'bit_depth', 'warning')
    assert 'the brightest loads as 12 of 255' in too_dark['message']
    assert too_dark['fix'] == ['train_dataloader.dataset.pipeline.0.depth_max=4095']
    # a depth_max below the data clips the images that exceed it
    status, low = check(tmp_path, config, '--cfg-options', warning['fix'][0],
                        'train_dataloader.dataset.pipeline.0.depth_max=2047', name='low.json')
    (clips, ) = findings(low, 'bit_depth', 'warning')
    assert 'depth_max=2047 clips 1 of them' in clips['message']


def test_dataset_that_cannot_be_built_is_one_error_line(tmp_path, cls_set, capsys):
    root, config = cls_set
    shutil.rmtree(root / 'val')
    status, report = check(tmp_path, config)
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and report is None
    assert err[-1].startswith('error: val dataset (CustomDataset) cannot be built')
    status, _ = check(tmp_path, config, '--data-root', tmp_path / 'missing')
    assert status == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith('error: --data-root')


def _coco(root, split):
    return json.loads((Path(root) / 'annotations' / f'{split}.json').read_text())


def test_clean_particle_set_counts_match_the_json(tmp_path, particle_root, capsys):
    status, report = check(tmp_path, DEMO_DET, '--data-root', particle_root + '/')
    assert status == 0 and report['errors'] == 0
    for split in ('train', 'val'):
        coco = _coco(particle_root, split)
        per_image = Counter(a['image_id'] for a in coco['annotations'])
        stats = report['splits'][split]
        assert stats['images'] == len(coco['images'])
        assert stats['instances'] == len(coco['annotations'])
        assert stats['per_class'] == {'Normal': len(coco['annotations'])}
        assert stats['instances_per_image']['max'] == max(per_image.values())
        # 128x160 images at Resize(scale=(320, 256), keep_ratio=True): x2
        assert stats['resize']['factor_min'] == stats['resize']['factor_max'] == 2.0
        sides = [math.sqrt(a['bbox'][2] * a['bbox'][3]) for a in coco['annotations']]
        assert stats['object_size']['min'] == pytest.approx(min(sides), abs=0.05)
        assert stats['object_size_resized']['min'] == pytest.approx(2 * min(sides), abs=0.1)
    assert report['splits']['test'] == {'same_as': 'val'}  # test_dataloader = val_dataloader
    assert report['anchor']['smallest_anchor'] == 16
    assert not findings(report, 'max_per_img')
    out = capsys.readouterr().out
    # nothing of pycocotools on the console (the checked loader indexes silently)
    assert 'loading annotations' not in out and 'index created' not in out
    assert (tmp_path / 'data_check.log').is_file()


def test_dense_scene_and_tiny_objects_warn_with_working_fixes(tmp_path):
    from mmext.demo import make_particle_dataset
    root = tmp_path / 'dense'
    make_particle_dataset(str(root), seed=0, num_train=1, num_val=1, num_test=0,
                          size=(128, 160), num_range=(300, 300))
    # one hand-made 3x3 px particle in val: below any anchor of the demo config
    val = _coco(root, 'val')
    val['annotations'].append(dict(id=10**6, image_id=val['images'][0]['id'], category_id=1,
                                   bbox=[5, 5, 3, 3], area=9.0, iscrowd=0,
                                   segmentation=[[5, 5, 8, 5, 8, 8, 5, 8]]))
    # and one zero-area box, dropped with a logged warning under on_invalid='warn'
    val['annotations'].append(dict(val['annotations'][-1], id=10**6 + 1, bbox=[9, 9, 0, 4]))
    (root / 'annotations' / 'val.json').write_text(json.dumps(val))
    warn = ['val_dataloader.dataset.on_invalid=warn', 'test_dataloader.dataset.on_invalid=warn']
    densest = max(max(Counter(a['image_id'] for a in _coco(root, s)['annotations']
                              if a['bbox'][2] > 0).values()) for s in ('train', 'val'))
    assert densest > 200  # the demo config keeps 200 detections and 300 proposals

    small_metric = 'val_evaluator.0.proposal_nums=(10,20,50)'
    status, report = check(tmp_path, DEMO_DET, '--data-root', str(root) + '/',
                           '--cfg-options', small_metric, *warn)
    assert status == 0  # warnings only
    (logged, ) = findings(report, 'dataset_log')
    assert logged['level'] == 'warning' and 'dropped 1 annotations' in logged['message']
    caps = {f['fix'][0].split('=')[0]: f for f in findings(report, 'max_per_img')}
    # rpn.nms_pre (1000 per level) holds 3 candidates per instance: no warning
    assert set(caps) == {'model.test_cfg.rpn.max_per_img', 'model.test_cfg.rcnn.max_per_img',
                         'val_evaluator.0.proposal_nums'}
    assert int(caps['model.test_cfg.rpn.max_per_img']['fix'][0].split('=')[1]) >= 3 * densest
    assert f"{densest} instances" in caps['model.test_cfg.rcnn.max_per_img']['message']
    new_det = int(caps['model.test_cfg.rcnn.max_per_img']['fix'][0].split('=')[1])
    assert new_det >= 1.1 * densest
    assert caps['val_evaluator.0.proposal_nums']['fix'] == [
        f'val_evaluator.0.proposal_nums=(10,20,{new_det})']

    # object sizes after the x2 resize, counted from the json
    sides = {s: 2 * np.sqrt([a['bbox'][2] * a['bbox'][3] for a in _coco(root, s)['annotations']
                             if a['bbox'][2] > 0]) for s in ('train', 'val')}
    expected = {s: int((v < DEMO_MIN_MATCHABLE).sum()) for s, v in sides.items()}
    (small, ) = findings(report, 'small_objects')
    assert expected['val'] >= 1
    assert small['items'] == [f'{s}: {n}' for s, n in expected.items() if n]
    assert report['splits']['val']['object_size_resized']['min'] == 6.0  # the 3x3 particle
    # the largest scale whose anchor still matches 6 px: 6 / (4 x sqrt(0.3)) = 2.7 -> 2
    assert small['fix'] == ['model.rpn_head.anchor_generator.scales=[2]']

    fixes = [opt for f in caps.values() for opt in f['fix']] + small['fix']
    status, fixed = check(tmp_path, DEMO_DET, '--data-root', str(root) + '/',
                          '--cfg-options', small_metric, *warn, *fixes, name='fixed.json')
    assert status == 0
    assert not findings(fixed, 'max_per_img') and not findings(fixed, 'small_objects')
    # the demo Mask R-CNN trains from scratch: check_data points to the CPU recipe
    (recipe, ) = findings(report, 'recipe')
    assert recipe['level'] == 'info' and 'mask-rcnn_r18-thin_fpn_1xb2-1200i' in recipe['message']
    # the bottom-up model has no anchors or proposal caps to outgrow, and gets the same hint
    status, bottom_up = check(tmp_path, ROOT / 'configs' / 'particles' / BOTTOM_UP, '--data-root',
                              str(root) + '/', '--cfg-options', *warn, name='bottom_up.json')
    assert status == 0
    assert findings(bottom_up, 'recipe') and not findings(bottom_up, 'small_objects')
    # the CPU recipe itself: no hint
    status, native = check(tmp_path, ROOT / 'configs' / 'particles' / CPU_RECIPE,
                           '--data-root', str(root) + '/', '--cfg-options', *warn,
                           name='native.json')
    assert status == 0 and not findings(native, 'recipe')
    assert not findings(bottom_up, 'max_per_img')


def test_resize_factor_matches_mmcv_rescale():
    step = ResizeStep(1, dict(type='Resize', scale=(1333, 800), keep_ratio=True))
    for w, h in ((640, 480), (300, 1000), (2000, 1500)):
        new_w, new_h = rescale_size((w, h), (1333, 800))
        assert step.factors(w, h)[0] == pytest.approx(new_w / w, rel=0.01)
        assert step.factors(w, h)[0] == pytest.approx(new_h / h, rel=0.01)
    crop = ResizeStep(1, dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.25, 1.)))
    assert crop.factors(128, 128) == pytest.approx((0.5, 1.0))


def test_demo_micrograph_config_checks_every_row_once(tmp_path, micrograph_root):
    status, report = check(tmp_path, DEMO_CLS, '--data-root', micrograph_root + '/')
    with open(os.path.join(micrograph_root, 'metadata.csv')) as f:
        rows = sum(1 for _ in f) - 1
    assert status == 0 and report['errors'] == 0
    assert sum(report['splits'][s]['images'] for s in ('train', 'val', 'test')) == rows
    assert report['imbalance']['train_sampler'].startswith('ClassBalancedSampler')
    assert not findings(report, 'imbalance', 'warning')


def test_particle_config_filter_cfg_and_scale(tmp_path, particle_root):
    """The R50 particle config: filter_cfg (min_size=32, filter_empty_gt) and its
    (1280, 1024) scale against 128x160 images."""
    root = tmp_path / 'particles'
    shutil.copytree(particle_root, root)
    train = _coco(root, 'train')
    Image.new('L', (40, 24), 128).save(root / 'images' / 'train' / 'tiny.png')
    Image.new('L', (160, 128), 128).save(root / 'images' / 'train' / 'empty.png')
    train['images'] += [dict(id=900, file_name='tiny.png', height=24, width=40),
                        dict(id=901, file_name='empty.png', height=128, width=160)]
    train['annotations'].append(dict(id=10**6, image_id=900, category_id=1, area=100.,
                                     bbox=[5, 5, 10, 10], iscrowd=0,
                                     segmentation=[[5, 5, 15, 5, 15, 15, 5, 15]]))
    (root / 'annotations' / 'train.json').write_text(json.dumps(train))
    config = ROOT / 'configs' / 'particles' / 'mask-rcnn_r50_fpn_1xb2-1x_particles.py'
    status, report = check(tmp_path, config, '--data-root', f'{root}/')
    assert status == 0
    assert report['splits']['train']['images'] == len(train['images']) - 2
    assert {d['path'].rsplit('/', 1)[1]: d['kind']
            for d in report['filtered_images']['train']} == {'tiny.png': 'min_size',
                                                             'empty.png': 'empty'}
    (filtered, ) = findings(report, 'filtered_images', 'warning')
    assert filtered['fix'] == ['train_dataloader.dataset.filter_cfg.min_size=0']
    # 128x160 -> 1280x1024 (keep_ratio): x8 in train and val
    upscaled = findings(report, 'upscaled')
    assert [f['fix'] for f in upscaled] == [
        ['train_dataloader.dataset.pipeline.2.scale=(160,128)'],
        ['val_dataloader.dataset.pipeline.1.scale=(160,128)']]
    assert report['splits']['val']['resize']['factor_min'] == 8.0
    assert not findings(report, 'max_per_img')  # 1000 detections, 3000 proposals
    assert not findings(report, 'recipe')  # fine-tuned from COCO (load_from)
    fixes = filtered['fix'] + [opt for f in upscaled for opt in f['fix']]
    status, fixed = check(tmp_path, config, '--data-root', f'{root}/', '--cfg-options', *fixes,
                          name='fixed.json')
    assert status == 0 and not findings(fixed, 'filtered_images', 'warning')
    assert fixed['splits']['train']['images'] == len(train['images']) - 1  # tiny.png kept
    # val is at its own size now; train's kept 40x24 image is enlarged x4, and at x1
    # the particles are smaller than the R50 config's 32 px anchors
    assert [f['message'].split(':')[0] for f in findings(fixed, 'upscaled')] == ['train']
    assert findings(fixed, 'small_objects')
