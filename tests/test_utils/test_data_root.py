"""One data root per config: a child's root variable, ``--cfg-options`` or ``--data-root``
moves every dataloader and evaluator path of every config in configs/."""
import glob
import os.path as osp

import pytest

from mmext.utils import InputError
from mmext.utils.config import load_config
from mmext.utils.config_walk import iter_datasets, iter_evaluators
from mmext.utils.data_root import resolve_data_root, root_key

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


def cfg_id(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def data_paths(cfg):
    """Every dataset root and evaluator ann_file of the config."""
    roots = [ds['data_root'] for _, ds in iter_datasets(cfg) if 'data_root' in ds]
    anns = [m['ann_file'] for _, m in iter_evaluators(cfg) if m.get('ann_file')]
    return roots, anns


def under(path, root):
    path, root = osp.normpath(path), osp.normpath(root)
    return path == root or path.startswith(root + osp.sep)


def test_every_config_has_one_root():
    assert len(CONFIGS) >= 40
    for path in CONFIGS:
        cfg = load_config(path)
        roots, _ = data_paths(cfg)
        assert roots and {osp.normpath(r) for r in roots} == {osp.normpath(cfg[root_key(cfg)])}, \
            cfg_id(path)


@pytest.mark.parametrize('path', CONFIGS, ids=cfg_id)
def test_data_root_flag_moves_every_path(path, tmp_path):
    new_root = str(tmp_path / 'my data')
    (tmp_path / 'my data').mkdir()
    before = load_config(path)
    cfg = load_config(path, data_root=new_root)
    roots, anns = data_paths(cfg)
    assert len(roots) >= 3  # train, val, test
    assert all(osp.normpath(r) == osp.normpath(new_root) for r in roots)
    assert all(under(a, new_root) for a in anns)
    # the file names below the root are kept
    _, anns_before = data_paths(before)
    old = before[root_key(before)]
    assert [osp.relpath(a, new_root) for a in anns] == [osp.relpath(a, old) for a in anns_before]


@pytest.mark.parametrize('base, key', [
    ('particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py', 'particle_data_root'),
    ('particles/ablations/mask-rcnn_r50_fpn_copypaste_1xb2-1x_particles.py',
     'particle_data_root'),  # a wrapped dataset (MultiImageMixDataset)
    ('micrographs/resnet50-finetune_1xb16-adam-50e_micrographs-224px.py', 'data_root'),
    ('chest_xray/resnet50-bnhead_1xb16-adam-50e_chest-xray-256px.py', 'data_root'),
    ('demo/mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py', 'particle_data_root'),
])
def test_inheriting_config_sets_the_root_once(base, key, tmp_path):
    child = tmp_path / 'my_config.py'
    child.write_text(f"_base_ = '{osp.join(REPO, 'configs', base)}'\n{key} = 'data/mine/'\n")
    cfg = load_config(str(child))
    roots, anns = data_paths(cfg)
    assert roots and all(r == 'data/mine/' for r in roots)
    assert all(a.startswith('data/mine/') for a in anns)
    if 'copypaste' in base:  # the inner dataset of the wrapper moved too
        assert cfg.train_dataloader.dataset.dataset.data_root == 'data/mine/'


def test_cfg_options_root_and_single_overrides(tmp_path):
    path = osp.join(REPO, 'configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py')
    cfg = load_config(path, {'particle_data_root': 'data/x/'})
    assert data_paths(cfg)[0] == ['data/x/'] * 3
    # one dataloader moved on its own keeps its own root
    cfg = load_config(path, {'test_dataloader.dataset.data_root': 'data/y/'})
    assert cfg.test_dataloader.dataset.data_root == 'data/y/'
    assert cfg.train_dataloader.dataset.data_root == 'data/particles/'


def test_bad_data_root(tmp_path):
    path = osp.join(REPO, 'configs/demo/resnet18_1xb32-20e_demo-micrographs.py')
    with pytest.raises(InputError, match='--data-root nowhere/: folder not found'):
        load_config(path, data_root='nowhere/')
    rootless = tmp_path / 'rootless.py'
    rootless.write_text("default_scope = 'mmdet'\n")
    with pytest.raises(InputError, match='no data_root variable'):
        load_config(str(rootless), data_root=str(tmp_path))


def test_resolve_leaves_foreign_paths():
    from mmengine.config import Config
    cfg = Config(dict(
        data_root='new/',
        train_dataloader=dict(dataset=dict(data_root='old/', ann_file='a.json')),
        val_evaluator=[dict(ann_file='old/annotations/val.json'),
                       dict(ann_file='/elsewhere/val.json'), dict(type='Accuracy')]))
    assert resolve_data_root(cfg) == ['old/']
    assert cfg.train_dataloader.dataset.data_root == 'new/'
    assert [m.get('ann_file') for m in cfg.val_evaluator] == [
        'new/annotations/val.json', '/elsewhere/val.json', None]


def test_tools_take_data_root(run_tool, tmp_path):
    """``--data-root`` on the command line: a missing folder is one line, exit 2."""
    for tool in ('tools/train.py', 'tools/test.py'):
        args = [tool, 'configs/demo/resnet18_1xb32-20e_demo-micrographs.py']
        if tool.endswith('test.py'):
            ckpt = tmp_path / 'x.pth'
            ckpt.write_bytes(b'')
            args.append(str(ckpt))
        proc = run_tool(*args, '--data-root', 'no/such/dir', check=False)
        assert proc.returncode == 2
        assert proc.stderr.strip().splitlines()[-1] == \
            'error: --data-root no/such/dir: folder not found'


def test_evaluator_paths_of_every_form():
    cfg = dict(val_evaluator=dict(type='A', ann_file='v.json'),
               test_evaluator=dict(type='Evaluator', metrics=[dict(type='B'), 'skip',
                                                              dict(type='C', ann_file='t.json')]))
    assert [(path, m['type']) for path, m in iter_evaluators(cfg)] == [
        ('val_evaluator', 'A'), ('test_evaluator.metrics.0', 'B'),
        ('test_evaluator.metrics.2', 'C')]
    cfg['test_evaluator'] = [dict(type='D', ann_file='d.json')]
    assert [p for p, _ in iter_evaluators(cfg, ['test_evaluator'])] == ['test_evaluator.0']
