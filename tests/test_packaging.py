"""The package ships its configs: ``_base_ = 'mmext::...'`` works outside the clone, with
the config that docs/install.md shows."""
import glob
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

from mmext.utils.config import load_config

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
with open(osp.join(REPO, 'docs', 'install.md'), encoding='utf-8') as f:
    CHILD, = re.findall(r"```python\n(.*?)```", f.read(), re.S)  # the doc's example config


def _scopes(node):
    """Every ``_scope_`` value in a nested config dict."""
    if isinstance(node, dict):
        own = [node['_scope_']] if '_scope_' in node else []
        return own + [s for v in node.values() for s in _scopes(v)]
    if isinstance(node, (list, tuple)):
        return [s for v in node for s in _scopes(v)]
    return []


def test_mmext_base_resolves_from_another_folder(tmp_path, monkeypatch):
    """An installed layout (``<pkg>/.mim/configs``) in a temporary folder: a child config
    there inherits a particle config and its own data root moves every path; the test
    pipeline read from the package base builds under the config's default scope."""
    pkg = tmp_path / 'site' / 'mmext'
    (pkg / '.mim').mkdir(parents=True)
    (pkg / '.mim' / 'model-index.yml').write_text('Import: []\n')
    os.symlink(osp.join(REPO, 'configs'), pkg / '.mim' / 'configs')
    import mmengine.config.config as config_module
    installed = config_module.get_installed_path
    monkeypatch.setattr(config_module, 'get_installed_path',
                        lambda name: str(pkg) if name == 'mmext' else installed(name))
    project = tmp_path / 'project'
    project.mkdir()
    (project / 'my_particles.py').write_text(CHILD)
    monkeypatch.chdir(project)

    cfg = load_config('my_particles.py')

    assert cfg.default_scope == 'mmdet'
    assert cfg.train_dataloader.dataset.data_root == 'data/my_particles/'
    assert cfg.val_evaluator[0].ann_file.startswith('data/my_particles/')
    assert 'mmext' not in _scopes(cfg.to_dict())
    from mmcv.transforms import Compose
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    names = [type(t).__name__ for t in Compose(cfg.test_pipeline).transforms]
    assert names[0] == 'CheckedLoadImageFromFile'


SCRIPT = '''
import json, mmext
from mmengine.config import Config
from mmext.utils.config import load_config
cfg = load_config('my_particles.py')
raw = Config.fromfile('my_particles.py')  # load_config made mmengine accept mmext::
print(json.dumps(dict(module=mmext.__file__, model=cfg.model.type,
                      root=cfg.train_dataloader.dataset.data_root,
                      base_root=raw.particle_data_root, base_iters=raw.train_cfg.max_iters)))
'''


@pytest.mark.slow
def test_wheel_ships_configs(tmp_path):
    """``pip wheel`` of a copy of the clone holds every config under ``mmext/.mim/``; the
    unpacked wheel alone (no clone on the path) resolves ``mmext::`` from another folder."""
    src = tmp_path / 'src'
    ignore = shutil.ignore_patterns('__pycache__', '*.pyc', '.mim', '*.egg-info')
    for name in ('mmext', 'configs'):
        shutil.copytree(osp.join(REPO, name), src / name, ignore=ignore)
    for name in ('setup.py', 'README.md'):
        shutil.copy(osp.join(REPO, name), src / name)
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
                    '--no-build-isolation', '-w', str(tmp_path / 'dist'), str(src)],
                   check=True, capture_output=True, timeout=600)
    wheel, = glob.glob(str(tmp_path / 'dist' / 'mmext-*.whl'))
    names = set(zipfile.ZipFile(wheel).namelist())
    configs = {osp.relpath(p, REPO) for p in
               glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)}
    assert len(configs) > 50
    assert {f'mmext/.mim/{c}' for c in configs} <= names
    assert 'mmext/.mim/model-index.yml' in names

    site, project = tmp_path / 'site', tmp_path / 'project'
    zipfile.ZipFile(wheel).extractall(site)
    project.mkdir()
    (project / 'my_particles.py').write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=str(site), OMP_NUM_THREADS='1',
               PYTHONWARNINGS='ignore')
    out = subprocess.run([sys.executable, '-c', SCRIPT], cwd=project, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got['module'].startswith(str(site))
    assert got['model'] == 'SlicedMaskRCNN'
    assert got['root'] == got['base_root'] == 'data/my_particles/'
    assert got['base_iters'] == 1200
