import argparse
import os
import warnings

import pytest
from mmengine.config import Config

from mmext.utils import InputError
from mmext.utils.config import (add_launcher_args, apply_tta, drop_pretrained_init, enable_amp,
                                get_scope, load_config, parse_launcher_args)

CLS_DEMO = 'configs/demo/resnet18_1xb32-20e_demo-micrographs.py'


def test_load_config_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match='config file not found: nope.py'):
        load_config('nope.py')
    bad = tmp_path / 'scope.py'
    bad.write_text("default_scope = 'mmseg'\n")
    with pytest.raises(InputError, match=r"scope.py has default_scope='mmseg'"):
        load_config(str(bad))


def test_load_config_merges_options():
    cfg = load_config(CLS_DEMO, {'train_dataloader.batch_size': 3})
    assert cfg.train_dataloader.batch_size == 3 and get_scope(cfg) == 'mmpretrain'


def test_launcher_args_export_the_legacy_local_rank_flag(monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    parser = argparse.ArgumentParser()
    add_launcher_args(parser, verbose=False)
    args = parse_launcher_args(parser, ['--launcher', 'pytorch', '--local-rank', '3'])
    assert (args.launcher, args.local_rank) == ('pytorch', 3)
    assert not hasattr(args, 'verbose')
    assert os.environ['LOCAL_RANK'] == '3'
    monkeypatch.setenv('LOCAL_RANK', '1')  # torchrun's own value wins over the default 0
    parse_launcher_args(parser, [])
    assert os.environ['LOCAL_RANK'] == '1'
    with pytest.raises(SystemExit):
        parse_launcher_args(parser, ['--launcher', 'torchrun'])


def test_drop_pretrained_init_only_removes_pretrained():
    cfg = Config(dict(model=dict(
        backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='https://x/y.pth')),
        head=dict(init_cfg=dict(type='Normal', std=0.01)),
        stages=[dict(init_cfg=[dict(type='Pretrained', checkpoint='a.pth')])])))
    assert sorted(drop_pretrained_init(cfg)) == ['model.backbone.init_cfg',
                                                  'model.stages[0].init_cfg']
    assert cfg.model.backbone.init_cfg is None
    assert cfg.model.head.init_cfg.type == 'Normal'


def test_amp_without_gpu_warns_and_keeps_fp32():
    cfg = load_config(CLS_DEMO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert enable_amp(cfg) is False
    assert 'no GPU' in str(caught[0].message)
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'


def test_cls_tta_defaults_to_flip_average():
    cfg = load_config(CLS_DEMO)
    apply_tta(cfg)
    assert cfg.model.type == 'mmpretrain.AverageClsScoreTTA'
    assert cfg.model.module.backbone.type == 'ResNet'
    pipeline = cfg.test_dataloader.dataset.pipeline
    assert pipeline[-1].type == 'TestTimeAug'
    assert [t.prob for t in pipeline[-1].transforms[0]] == [1., 0.]


def test_det_tta_requires_config_fields(tmp_path):
    cfg = Config(dict(default_scope='mmdet', model=dict(type='MaskRCNN'),
                      test_dataloader=dict(dataset=dict(pipeline=[]))))
    with pytest.raises(InputError, match='defines no tta_model'):
        apply_tta(cfg, 'x.py')


def _run_tta_pipeline(cfg, img):
    """The TTA pipeline of ``cfg`` on one image file: the list of packed views."""
    import cv2
    import tempfile
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    import mmext.modules  # noqa: F401  (registers mmext's modules)
    init_default_scope('mmpretrain')
    with tempfile.TemporaryDirectory() as tmp:
        path = f'{tmp}/img.png'
        cv2.imwrite(path, img)
        out = Compose(cfg.test_dataloader.dataset.pipeline)(dict(img_path=path))
    return [x.numpy().transpose(1, 2, 0) for x in out['inputs']]


def test_micrograph_tta_is_the_8_dihedral_views(tmp_path):
    import numpy as np
    cfg = load_config('configs/micrographs/resnet18-finetune_1xb16-adam-50e_micrographs-224px.py')
    apply_tta(cfg)
    img = np.random.default_rng(0).integers(0, 255, (224, 224, 3), dtype=np.uint8)
    views = _run_tta_pipeline(cfg, img)
    expected = [np.rot90(m, k) for m in (img, img[:, ::-1]) for k in range(4)]
    assert len(views) == 8
    for view in views:  # every view is one symmetry, and no symmetry is repeated
        assert sum(np.array_equal(view, e) for e in expected) == 1
    assert len({v.tobytes() for v in views}) == 8


def test_photo_tta_stays_flip():
    import numpy as np
    cfg = load_config('configs/flowers/resnet18_1xb32-adam-plateau-50e_flowers.py')
    apply_tta(cfg)
    img = np.random.default_rng(0).integers(0, 255, (224, 224, 3), dtype=np.uint8)
    views = _run_tta_pipeline(cfg, img)
    assert len(views) == 2 and np.array_equal(views[0][:, ::-1], views[1])


def test_unknown_tta_views_is_one_line():
    cfg = load_config(CLS_DEMO)
    cfg.tta_views = 'rotate'
    with pytest.raises(InputError, match="tta_views='rotate'"):
        apply_tta(cfg)


def test_tta_keeps_the_models_own_data_preprocessor():
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    import mmext.modules  # noqa: F401  (registers mmext's modules)
    cfg = load_config('configs/demo/resnet18-thin_1xb32-20e_demo-texture-micrographs-resized.py')
    assert cfg.data_preprocessor.mean != cfg.model.data_preprocessor.mean  # base vs model
    apply_tta(cfg)
    init_default_scope('mmpretrain')
    model_cfg = cfg.model.to_dict()
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)  # as the Runner does
    model = MODELS.build(model_cfg)
    assert model.module.data_preprocessor.mean.flatten().tolist() == [127.5] * 3


def test_config_modules_import_neither_torch_nor_the_package():
    """Config preparation is light: the package root (whatever it imports) stays a bare
    namespace here, and neither torch nor a family's package is loaded."""
    import os.path as osp
    import subprocess
    import sys
    package = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'mmext')
    code = ('import sys, types; root = types.ModuleType("mmext"); '
            f'root.__path__ = [{package!r}]; sys.modules["mmext"] = root; '
            'import mmext.utils.config, mmext.utils.test_config; '
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'mmdet', 'mmpretrain') or m.startswith(('mmext.models', 'mmext.apis', "
            "'mmext.engine', 'mmext.datasets', 'mmext.evaluation'))))")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'


DET_DEMO = 'configs/demo/mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py'


def test_prepare_test_cfg_mirrors_the_upstream_test_tools(tmp_path):
    from mmext.utils.test_config import prepare_test_cfg
    ckpt = tmp_path / 'm.pth'
    ckpt.write_bytes(b'x')
    with pytest.raises(InputError, match='checkpoint not found: nope.pth'):
        prepare_test_cfg(load_config(CLS_DEMO), 'nope.pth', CLS_DEMO)
    cls = prepare_test_cfg(load_config(CLS_DEMO), str(ckpt), CLS_DEMO, show_dir='vis',
                           out='p.pkl')
    assert cls.load_from == str(ckpt) and cls.work_dir.endswith('resnet18_1xb32-20e_demo-micrographs')
    vis = cls.default_hooks.visualization
    assert vis.enable is True and vis.out_dir == 'vis'  # mmpretrain's switch
    assert cls.test_evaluator[-1] == dict(type='DumpResults', out_file_path='p.pkl')
    det = prepare_test_cfg(load_config(DET_DEMO), str(ckpt), DET_DEMO, work_dir='w',
                           show_dir='vis', tta=True, out='p.pkl')
    vis = det.default_hooks.visualization
    assert vis.draw is True and vis.test_out_dir == 'vis'  # mmdet's trigger_visualization_hook
    assert det.model.type == 'MaskTTAModel' and det.model.module.type == 'MaskRCNN'
    assert det.test_dataloader.dataset.pipeline[-1].type == 'TestTimeAug'
    assert [m['type'] for m in det.test_evaluator] == ['CocoMetric', 'IoUWeightedF1Metric',
                                                       'DumpDetResults']
    with pytest.raises(InputError, match='must end in .pkl'):
        prepare_test_cfg(load_config(DET_DEMO), str(ckpt), DET_DEMO, out='p.json')


def test_submission_points_the_test_set_at_a_folder(tmp_path):
    from mmext.utils.test_config import prepare_test_cfg
    ckpt = tmp_path / 'm.pth'
    ckpt.write_bytes(b'x')
    cfg = prepare_test_cfg(load_config(DET_DEMO), str(ckpt), DET_DEMO, submission=dict(
        outfile='s.json', img_dir='imgs', score_thr=0.4, max_per_img=5, num_workers=0))
    ds = cfg.test_dataloader.dataset
    assert (ds.ann_file, ds.data_root, ds.data_prefix.img) == ('', '', 'imgs')
    assert cfg.test_dataloader.num_workers == 0 and not cfg.test_dataloader.persistent_workers
    assert cfg.test_evaluator == dict(type='ParticleSubmissionMetric', outfile='s.json',
                                      ann_file=None, score_thr=0.4, max_per_img=5,
                                      overwrite=False)
    assert 'ParticleReportHook' not in [h['type'] for h in cfg.custom_hooks]
    # the config's own (labelled) test json: its ids are kept
    cfg = prepare_test_cfg(load_config(DET_DEMO), str(ckpt), DET_DEMO,
                           submission=dict(outfile='s.json'))
    assert cfg.test_evaluator.ann_file == 'data/demo/particles/annotations/val.json'
    with pytest.raises(InputError, match='needs a particle'):
        prepare_test_cfg(load_config(CLS_DEMO), str(ckpt), CLS_DEMO,
                         submission=dict(outfile='s.json'))
