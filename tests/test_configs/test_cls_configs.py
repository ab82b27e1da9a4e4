"""Every classification job config loads, builds its model (no download) and its datasets
on generated data."""
import copy
import glob
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmext  # noqa: F401  (registers mmext's modules)
import mmpretrain  # noqa: F401
from mmext.datasets.split import write_split
from mmext.demo import make_micrograph_dataset
from mmpretrain.registry import DATASETS, HOOKS, MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
JOBS = ('micrographs', 'chest_xray', 'flowers')
CONFIGS = sorted(p for job in JOBS for p in glob.glob(osp.join(REPO, 'configs', job, '*.py')))
MODEL_BASES = sorted(glob.glob(osp.join(REPO, 'configs', '_base_', 'models', '*.py')))
METAFILES = glob.glob(osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs', '*',
                               'metafile.yml'))


def cfg_id(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def without_pretrained(model_cfg):
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg['backbone']['init_cfg'] = None
    return model_cfg


def build_model(cfg):
    model_cfg = without_pretrained(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """Demo micrographs plus tiny folder-per-class sets, split by the split tool."""
    root = tmp_path_factory.mktemp('cls_data')
    make_micrograph_dataset(str(root / 'micrographs'), seed=0,
                            counts={'pearlite': 6, 'network': 4, 'martensite': 4}, size=(24, 32))
    for job in ('chest_xray', 'flowers'):
        classes = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                           f'{job}.py')).classes
        for i, name in enumerate(classes):
            os.makedirs(root / job / name)
            for k in range(4):
                img = np.full((20, 28), 40 * i + 10 * k, np.uint8)
                cv2.imwrite(str(root / job / name / f'{k}.jpg'), img)
        summary = write_split(str(root / job), (0.5, 0.25, 0.25), seed=0)
        assert tuple(summary['classes']) == tuple(classes)
    return root


def test_configs_found():
    names = [cfg_id(p) for p in CONFIGS]
    for depth in (18, 50, 152):
        for mode in ('probe', 'finetune'):
            for size in (224, 400):
                assert any(n.startswith(f'micrographs/resnet{depth}-{mode}_') and
                           n.endswith(f'-{size}px.py') for n in names)
    assert sum(n.startswith('chest_xray/') for n in names) == 2
    assert sum(n.startswith('flowers/') for n in names) == 3


@pytest.mark.parametrize('path', CONFIGS, ids=cfg_id)
def test_config(path, data):
    cfg = Config.fromfile(path)
    job = cfg_id(path).split('/')[0]
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.custom_imports['imports'] == ['mmext']
    classes = cfg.classes
    assert cfg.model.head.num_classes == cfg.data_preprocessor.num_classes == len(classes)
    ckpt = cfg.model.backbone.get('init_cfg')
    if '-scratch_' in path:  # random init (the CPU-sized texture recipe)
        assert ckpt is None
    else:
        assert ckpt['type'] == 'Pretrained' and ckpt['prefix'] == 'backbone'
        assert ckpt['checkpoint'].startswith('https://download.openmmlab.com/mmclassification/')
    hook_types = [h['type'] for h in cfg.custom_hooks]
    assert hook_types[:3] == ['NumClassesCheckHook', 'ClassCountsHook', 'EvalBeforeTrainHook']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for hook in cfg.custom_hooks:
            HOOKS.build(copy.deepcopy(hook))
    # selection by macro-F1: the evaluator computes it, and the checkpoint, the smoothing hook,
    # the plateau scheduler and any early stopper all watch it
    assert dict(type='SingleLabelMetric', average='macro') in cfg.val_evaluator
    assert cfg.default_hooks.checkpoint.save_best == 'single-label/f1-score'
    smooth = [h for h in cfg.custom_hooks if h['type'] == 'SmoothedMetricHook']
    assert [h['monitor'] for h in smooth] == ['single-label/f1-score']
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler, list) else [
        cfg.param_scheduler]
    watchers = [s['monitor'] for s in schedulers if 'monitor' in s] + [
        h['monitor'] for h in cfg.custom_hooks if 'EarlyStopping' in h['type']]
    assert set(watchers) <= {'single-label/f1-score_smooth'}

    # datasets on generated data; one training sample through the pipeline
    size = cfg.img_size
    for split in ('train', 'val', 'test'):
        ds_cfg = copy.deepcopy(cfg[f'{split}_dataloader'].dataset)
        ds_cfg.data_root = str(data / job)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(ds_cfg)
        assert dataset.metainfo['classes'] == tuple(classes) and len(dataset) > 0
        if split != 'test':
            sample = dataset[0]
            if cfg.model.get('type') == 'PatchGridClassifier':  # native-resolution texture
                # recipe: train on patches, validate on the whole image at its own size
                patch = cfg.model.patch_size
                img = cv2.imread(dataset.get_data_info(0)['img_path'])
                assert tuple(sample['inputs'].shape) == (
                    (3, patch, patch) if split == 'train' else (3, *img.shape[:2]))
            else:
                assert tuple(sample['inputs'].shape) == (3, size, size)
    if job == 'chest_xray':
        assert size == 256
    if job == 'flowers':
        assert cfg.optim_wrapper.optimizer.type == 'Adam'
        assert cfg.optim_wrapper.optimizer.lr == 1e-3
        sched = cfg.param_scheduler
        assert (sched.type, sched.factor, sched.patience) == ('ReduceOnPlateauLR', 0.1, 3)
        train_types = [t['type'] for t in cfg.train_pipeline]
        assert {'RandomFlip', 'Rotate', 'ColorJitter'} <= set(train_types)
        assert cfg.train_pipeline[train_types.index('Rotate')]['magnitude_range'] == (0, 15)


MODEL_CASES = {}
for _path in CONFIGS:
    _cfg = Config.fromfile(_path)
    MODEL_CASES.setdefault(repr(without_pretrained(_cfg.model)), _path)


@pytest.mark.parametrize('path', sorted(MODEL_CASES.values()), ids=cfg_id)
def test_model_builds_and_mode(path):
    cfg = Config.fromfile(path)
    model = build_model(cfg)
    model.train()
    backbone_params = list(model.backbone.parameters())
    bns = [m for m in model.backbone.modules() if 'BatchNorm' in type(m).__name__]
    if '-probe_' in osp.basename(path):
        # linear probe: no backbone weight trains, BN statistics stay fixed
        assert not any(p.requires_grad for p in backbone_params)
        assert bns and not any(m.training for m in bns)
    else:
        assert all(p.requires_grad for p in backbone_params)
        assert all(m.training for m in bns)
    assert all(p.requires_grad for p in model.head.parameters())
    if 'chest_xray' in path:
        assert type(model.head).__name__ == 'StackedBNDropoutClsHead'
        assert type(model.head.loss_module).__name__ == 'ClassWeightedCrossEntropyLoss'
        stop = [h for h in cfg.custom_hooks if h['type'] == 'ResumableEarlyStoppingHook']
        assert stop and stop[0]['patience'] == 10 and stop[0]['min_delta'] == 0.1


@pytest.mark.parametrize('path', MODEL_BASES, ids=cfg_id)
def test_model_bases_pretrained_urls(path):
    """ResNet-18/34/50/152 and EfficientNet-B0..B7 bases name official checkpoints."""
    cfg = Config.fromfile(path)
    url = cfg.model.backbone.init_cfg['checkpoint']
    assert any(url in open(m).read() for m in METAFILES), url


@pytest.mark.parametrize('arch', ['b1', 'b3', 'b6'])
def test_efficientnet_bases_build(arch):
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'models',
                                   f'efficientnet_{arch}_in1k-pre.py'))
    model_cfg = without_pretrained(cfg.model)
    model_cfg['backbone'].update(frozen_stages=7, norm_eval=True)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    model.train()
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert model.head.fc.in_features == cfg.model.head.in_channels
