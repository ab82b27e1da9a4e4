"""The demo configs build their model and datasets on generated data; every config is
exercised by a config test."""
import glob
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmext.utils.config import register_scope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CASES = [
    ('resnet18_1xb32-20e_demo-micrographs.py', 'micrograph_root'),
    ('mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py', 'particle_root'),
    # the texture demo configs read the same layout and class names
    ('resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py', 'micrograph_root'),
    ('resnet18-thin_1xb32-20e_demo-texture-micrographs-resized.py', 'micrograph_root'),
    *[(f'texture-imbalance/{osp.basename(p)}', 'micrograph_root') for p in sorted(glob.glob(
        osp.join(REPO, 'configs', 'demo', 'texture-imbalance', '*.py')))],
]


def _tested_configs(test_file):
    """The ``CONFIGS`` a config test module parametrises over."""
    spec = importlib.util.spec_from_file_location(f'_{test_file}', osp.join(
        osp.dirname(osp.abspath(__file__)), f'{test_file}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {osp.abspath(p) for p in module.CONFIGS}


def test_every_config_is_tested():
    configs = {osp.abspath(p) for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                                                 recursive=True)
               if '_base_' not in osp.relpath(p, osp.join(REPO, 'configs')).split(osp.sep)}
    tested = (_tested_configs('test_cls_configs') | _tested_configs('test_det_configs')
              | {osp.join(REPO, 'configs', 'demo', name) for name, _ in DEMO_CASES})
    assert configs, 'no configs found'
    assert sorted(configs - tested) == []


@pytest.mark.parametrize('name, root_fixture', DEMO_CASES)
def test_demo_config_builds(name, root_fixture, request):
    root = request.getfixturevalue(root_fixture)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'demo', name))
    register_scope(cfg.default_scope)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        registry = __import__(f'{cfg.default_scope}.registry', fromlist=['MODELS', 'DATASETS'])
        model = registry.MODELS.build(cfg.model)
        assert sum(p.numel() for p in model.parameters()) > 0
        for split in ('train', 'val', 'test'):
            ds_cfg = cfg[f'{split}_dataloader'].dataset
            ds_cfg.data_root = root + '/'
            dataset = registry.DATASETS.build(ds_cfg)
            assert len(dataset) > 0
            sample = dataset[0]
            assert 'inputs' in sample and 'data_samples' in sample
        assert len(dataset.metainfo['classes']) == (1 if 'particles' in name else 5)
