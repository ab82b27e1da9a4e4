"""``import mmext`` has no side effects, so tools that need no model import neither torch,
mmdet nor mmpretrain; ``custom_imports = dict(imports=['mmext.modules'])`` registers
everything."""
import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from mmext.testing import tool_path

HEAVY = ('torch', 'mmdet', 'mmpretrain', 'mmcv')
# runs a tool as a script (run_name='__main__'), then lists what it imported
RUN_AS_SCRIPT = f"""
import runpy, sys
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
print('heavy:', sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))
"""


def _python(*args, code=RUN_AS_SCRIPT):
    proc = subprocess.run([sys.executable, '-c', code, *args], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def _run_light(tool, *args):
    out = _python(str(tool_path(tool)), *map(str, args))
    assert 'heavy: []' in out, out
    return out


@pytest.fixture(scope='module')
def coco(tmp_path_factory):
    """A tiny particle set; results = the ground truth with scores (F1 exactly 1)."""
    from mmext.demo import make_particle_dataset
    root = tmp_path_factory.mktemp('light')
    make_particle_dataset(str(root), seed=3, num_train=4, num_val=1, num_test=1,
                          size=(64, 80), num_range=(2, 4))
    gt = root / 'annotations' / 'train.json'
    anns = json.loads(gt.read_text())['annotations']
    results = root / 'results.json'
    results.write_text(json.dumps([dict(image_id=a['image_id'], category_id=1, score=0.9,
                                        segmentation=a['segmentation']) for a in anns]))
    return root, gt, results, len(anns)


def test_eval_iou_f1_is_light(coco, tmp_path):
    _, gt, results, num = coco
    _run_light('eval_iou_f1', gt, results, '--coco-map', '--out', tmp_path / 'm.json')
    m = json.loads((tmp_path / 'm.json').read_text())
    assert (m['iou_f1'], m['tp'], m['fp'], m['fn']) == (1.0, num, 0, 0)
    assert m['segm_mAP'] == pytest.approx(1.0)


def test_particle_shapes_is_light(coco, tmp_path):
    _, gt, _, num = coco
    _run_light('particle_shapes', gt, '--out-dir', tmp_path, '--no-hist')
    with open(tmp_path / 'instances_gt.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == num and all(float(r['area_px2']) > 0 for r in rows)


def test_split_coco_is_light(coco, tmp_path):
    _, gt, _, _ = coco
    _run_light('split_coco', gt, '--val-ratio', 0.5, '--out-dir', tmp_path)
    parts = [json.loads((tmp_path / f'{s}.json').read_text()) for s in ('train', 'val')]
    assert sorted(len(p['images']) for p in parts) == [2, 2]


def test_split_dataset_is_light(tmp_path):
    import cv2
    for cls in ('a', 'b'):
        (tmp_path / cls).mkdir()
        for i in range(5):
            cv2.imwrite(str(tmp_path / cls / f'{i}.png'), np.full((4, 4), i, np.uint8))
    _run_light('split_dataset', tmp_path, '--ratios', 0.6, 0.4)
    lines = [(tmp_path / f'{s}.txt').read_text().splitlines() for s in ('train', 'val')]
    assert [len(x) for x in lines] == [6, 4]


def test_collect_only_is_light(tmp_path):
    cfg = tmp_path / 'a_particles.py'
    cfg.write_text('')
    log = tmp_path / 'wd' / 'a_particles' / '20240101_000000' / 'vis_data' / 'scalars.json'
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps({'iou_f1': 0.25, 'step': 1}) + '\n')
    _run_light('collect_results', cfg, '--collect-only', '--work-dir-root', tmp_path / 'wd',
               '--out', tmp_path / 'table', '--metrics', 'iou_f1')
    assert '| a_particles | 0.25 |' in (tmp_path / 'table.md').read_text()


def test_import_mmext_imports_and_patches_nothing():
    """A fresh process: ``import mmext`` (and the light tools' modules) load no torch, mmdet,
    mmpretrain or mmcv; registering every module leaves mmengine's checkpoint schemes and
    torch's safe globals as they were; ``install_checkpoint_policy`` changes both."""
    code = f"""
import sys
import mmext, mmext.datasets.split, mmext.datasets.coco_split, mmext.evaluation.functional
print('heavy:', sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))
import torch
from mmengine.runner.checkpoint import CheckpointLoader
def ours():  # safe globals of mmext's policy (torch adds its own as its modules load)
    return [g for g in torch.serialization.get_safe_globals() if 'numpy' in str(g)
            or 'mmext' in str(g) or 'HistoryBuffer' in str(g)]
schemes = dict(CheckpointLoader._schemes)
from mmext.registry import DET_DATASETS, register_all_modules
register_all_modules()
print('registered:', 'ParticleDataset' in DET_DATASETS.module_dict)
print('changed:', CheckpointLoader._schemes != schemes, len(ours()))
from mmext.engine.checkpoint import install_checkpoint_policy
install_checkpoint_policy()
print('installed:', CheckpointLoader._schemes[''].__name__, len(ours()) > 0)
"""
    out = _python(code=code)
    assert 'heavy: []' in out and 'registered: True' in out, out
    assert 'changed: False 0' in out, out
    assert 'installed: load_from_local_safe True' in out, out


def test_custom_imports_register_everything(coco, tmp_path):
    """A fresh process: a config's custom_imports registers mmext's datasets in their
    family's registry, and a ParticleDataset builds from it."""
    root = coco[0]
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("custom_imports = dict(imports=['mmext.modules'], allow_failed_imports=False)\n"
                   f"dataset = dict(type='ParticleDataset', data_root={str(root)!r}, "
                   "ann_file='annotations/train.json', data_prefix=dict(img='images/train/'),"
                   " pipeline=[])\n")
    code = f"""
from mmengine.config import Config
cfg = Config.fromfile({str(cfg)!r})
from mmdet.registry import DATASETS as DET
from mmpretrain.registry import DATASETS as CLS
print('registered:', 'ParticleDataset' in DET.module_dict, 'CSVDataset' in CLS.module_dict)
print('images:', len(DET.build(cfg.dataset)))
"""
    out = _python(code=code)
    assert 'registered: True True' in out and 'images: 4' in out, out
