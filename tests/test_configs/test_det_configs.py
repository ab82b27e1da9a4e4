"""Particle detection configs: every one loads, builds its model and its datasets on
generated data; Mask R-CNN and SOLOv2 train two iterations and validate (both metrics),
Mask R-CNN also tests through --tta (MaskTTAModel)."""
import glob
import os.path as osp
import pickle
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from pycocotools.coco import COCO

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.demo import make_particle_dataset
from mmext.evaluation.functional import iou_weighted_f1
from mmext.utils.config import apply_tta, drop_pretrained_init

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'particles', '**', '*.py'),
                           recursive=True))
IDS = [osp.relpath(p, osp.join(ROOT, 'configs', 'particles')) for p in CONFIGS]
SMALL = (160, 128)
#: recipes trained from scratch on a CPU (no load_from; their lr is set for their batch)
SCRATCH_RECIPES = [osp.join(ROOT, 'configs', 'particles', name) for name in (
    'distance-watershed_unet-s8_1xb8-1500i_particles.py',
    'mask-rcnn_r18-thin_fpn_1xb2-1200i_particles-native.py',
    'ablations/mask-rcnn_r18-thin_fpn_imagenet-norm_1xb2-900i_particles-native.py')]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('particles')
    make_particle_dataset(str(root), seed=0, num_train=2, num_val=2, num_test=2,
                          size=(128, 160), num_range=(4, 8))
    return str(root) + '/'


def _point_to(dataset_cfg, root):
    """Set data_root on a dataset config, through wrappers (MultiImageMixDataset)."""
    if 'dataset' in dataset_cfg:
        _point_to(dataset_cfg.dataset, root)
    else:
        dataset_cfg.data_root = root


def _load(path, root):
    cfg = Config.fromfile(path)
    cfg.load_from = None
    drop_pretrained_init(cfg)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _point_to(cfg[name].dataset, root)
    for name in ('val_evaluator', 'test_evaluator'):
        for metric in cfg[name]:
            metric.ann_file = osp.join(root, 'annotations', 'val.json')
    return cfg


def test_all_configs_found():
    assert len(CONFIGS) >= 8 + 19


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_builds(path, data_root):
    from mmdet.registry import DATASETS, MODELS
    cfg = _load(path, data_root)
    assert cfg.default_scope == 'mmdet'
    assert cfg.custom_imports.imports == ['mmext.modules']
    # the batch is the one the name says (1xbN), and --auto-scale-lr scales from it
    batch = int(re.search(r'_1xb(\d+)-', osp.basename(path)).group(1))
    assert cfg.auto_scale_lr == dict(enable=False, base_batch_size=batch)
    assert cfg.train_dataloader.batch_size == batch
    if Config.fromfile(path).get('load_from'):  # fine-tuned: mmdet's lr for 16 images
        mmdet_lr = {'SGD': 0.02, 'AdamW': 1e-4, 'NAdam': 2e-4, 'RAdam': 2e-4, 'RMSprop': 1e-4,
                    'Adadelta': 1.0}[cfg.optim_wrapper.optimizer.type]
        if 'solov2' in path:
            mmdet_lr = 0.01
        if 'rsb-pre' in path:
            mmdet_lr = 2e-4
        assert cfg.optim_wrapper.optimizer.lr == pytest.approx(mmdet_lr * batch / 16)
    else:  # the CPU recipes trained from scratch: no pretrained weights anywhere
        assert path in SCRATCH_RECIPES
        assert cfg.model.backbone.get('init_cfg') is None
    assert cfg.tta_model.type == 'MaskTTAModel'
    metrics = [m.type for m in cfg.val_evaluator]
    assert metrics == ['CocoMetric', 'IoUWeightedF1Metric']
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    heads = [m for m in model.modules() if hasattr(m, 'num_classes')]
    if cfg.model.type != 'DistanceWatershed':  # bottom-up: one class by construction
        assert heads and all(h.num_classes == 1 for h in heads)
    test_cfg = cfg.model.test_cfg
    max_dets = test_cfg.rcnn.max_per_img if 'rcnn' in test_cfg else test_cfg.max_per_img
    assert max_dets >= 1000  # dense real scenes: up to ~600 particles
    assert not getattr(getattr(model, 'roi_head', None), 'with_semantic', False)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    item = train_set[0]
    assert item['inputs'].shape[0] == 3
    assert len(item['data_samples'].gt_instances) > 0
    val_set = DATASETS.build(cfg.val_dataloader.dataset)
    assert val_set.metainfo['classes'] == ('Normal',)


def _small_run_cfg(path, data_root, work_dir):
    cfg = _load(path, data_root)
    cfg.work_dir = str(work_dir)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dl = cfg[name]
        dl.num_workers, dl.persistent_workers = 0, False
        for step in dl.dataset.pipeline:
            if step.type == 'Resize' and 'scale' in step:  # not the native-scale recipes
                step.scale = SMALL
    cfg.train_dataloader.batch_size = 2
    cfg.train_dataloader.dataset.filter_cfg = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, end=2)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100, by_epoch=False)
    cfg.default_hooks.logger.interval = 1
    cfg.log_processor = dict(by_epoch=False)
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.visualizer.name = f'vis_{osp.basename(str(work_dir))}'  # a singleton per name
    return cfg


@pytest.mark.parametrize('name', ['mask-rcnn_r50_fpn_1xb2-1x_particles.py',
                                  'solov2_r50_fpn_1xb2-1x_particles.py',
                                  'distance-watershed_unet-s8_1xb8-1500i_particles.py',
                                  'mask-rcnn_r18-thin_fpn_1xb2-1200i_particles-native.py'])
def test_fast_models_train_and_validate(name, data_root, tmp_path):
    torch.manual_seed(0)
    cfg = _small_run_cfg(osp.join(ROOT, 'configs', 'particles', name), data_root, tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    metrics = runner.val_loop.evaluator.metrics
    assert [type(m).__name__ for m in metrics] == ['CocoMetric', 'IoUWeightedF1Metric']
    scalars = open(glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))[0]).read()
    assert 'iou_f1' in scalars and '"loss"' in scalars


def test_mask_rcnn_tta_test(data_root, tmp_path):
    torch.manual_seed(0)
    cfg = _small_run_cfg(osp.join(ROOT, 'configs', 'particles',
                                  'mask-rcnn_r50_fpn_1xb2-1x_particles.py'), data_root, tmp_path)
    cfg.model.test_cfg.rcnn.score_thr = 0.0  # an untrained model: keep its masks
    cfg.tta_pipeline[1].transforms[0][0].scale = SMALL
    apply_tta(cfg)
    dump = str(tmp_path / 'tta_preds.pkl')
    cfg.test_evaluator = list(cfg.test_evaluator) + [dict(type='DumpDetResults',
                                                          out_file_path=dump)]
    runner = Runner.from_cfg(cfg)
    assert type(runner.model).__name__ == 'MaskTTAModel'
    metrics = runner.test()
    preds = pickle.load(open(dump, 'rb'))
    gt = COCO(osp.join(data_root, 'annotations', 'val.json'))
    gts, dts = [], []
    for p in preds:
        inst = p['pred_instances']
        scores = inst['scores'].numpy()
        assert len(scores) > 0 and scores.min() >= 0 and scores.max() <= 1  # merged views
        assert all(rle['size'] == list(p['ori_shape']) for rle in inst['masks'])
        dts.append(list(inst['masks']))
        gts.append([gt.annToRLE(a) for a in gt.loadAnns(gt.getAnnIds(imgIds=p['img_id']))])
    expected = iou_weighted_f1(gts, dts)
    assert metrics['iou_f1'] == pytest.approx(expected['iou_f1'])
    assert metrics['iou_f1'] > 0  # random masks over dense particles overlap some


X101 = [p for p in CONFIGS if '_x101-' in osp.basename(p)]


@pytest.mark.parametrize('path', X101, ids=[osp.basename(p) for p in X101])
def test_x101_variant_is_its_r50_config_plus_a_backbone(path):
    """As mmdet's x101 configs: the R50 particle config with another backbone and weights."""
    r50_name = osp.basename(path).split('_x101-')[0] + '_r50_fpn_1xb2-1x_particles.py'
    r50 = Config.fromfile(osp.join(ROOT, 'configs', 'particles', r50_name)).to_dict()
    x101 = Config.fromfile(path).to_dict()
    assert {k for k in r50.keys() | x101.keys() if r50.get(k) != x101.get(k)} == \
        {'model', 'load_from'}
    assert {k for k in r50['model'] if r50['model'][k] != x101['model'][k]} == {'backbone'}
    assert x101['model']['backbone']['type'] == 'ResNeXt'
    assert x101['model']['backbone']['depth'] == 101


def test_two_stage_test_cfg_has_one_home():
    """Every two-stage particle config takes the dense-scene limits of particle_test_cfg.py."""
    limits = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'particle_test_cfg.py'))
    two_stage = [p for p in CONFIGS if 'rcnn' in (Config.fromfile(p).model.test_cfg or {})]
    assert len(two_stage) >= 26
    for path in two_stage:
        test_cfg = Config.fromfile(path).model.test_cfg
        assert test_cfg.rpn == limits.particle_rpn_test_cfg, path
        # a recipe may keep more detections for COCO mAP (the validated threshold scores
        # the IoU-F1); every other limit is the shared one
        own = dict(test_cfg.rcnn)
        assert own.pop('score_thr') in (limits.particle_rcnn_test_cfg.score_thr, 0.05), path
        shared = dict(limits.particle_rcnn_test_cfg)
        shared.pop('score_thr')
        assert own == shared, path
        assert test_cfg.rcnn.max_per_img == limits.particle_max_per_img == 1000
