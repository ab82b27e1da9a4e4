"""Shared fixtures: small generated demo datasets, made once per test session."""
import copy
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SMALL_MICROGRAPH_COUNTS = {
    'spheroidite': 30, 'network': 10, 'pearlite': 8, 'spheroidite+widmanstatten': 6,
    'martensite': 3,
}


@pytest.fixture(scope='session', autouse=True)
def _checkpoint_policy():
    """In-process tests load checkpoints as the tools do: under mmext's policy, which the
    tools install explicitly (``import mmext`` installs nothing)."""
    from mmext.engine.checkpoint import install_checkpoint_policy
    install_checkpoint_policy()


@pytest.fixture(autouse=True)
def _isolated_default_scope():
    """Undo the default scope a test leaves behind (a Runner or init_default_scope sets a
    process-wide one), as mmengine's own ``DefaultScope.overwrite_default_scope`` does."""
    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(scope='session')
def micrograph_root(tmp_path_factory):
    """A small UHCSDB-style micrograph set (10:1 imbalance, 64x64 images)."""
    from mmext.demo import make_micrograph_dataset
    root = str(tmp_path_factory.mktemp('micrographs'))
    make_micrograph_dataset(root, seed=0, counts=SMALL_MICROGRAPH_COUNTS, size=(64, 64))
    return root


@pytest.fixture(scope='session')
def particle_root(tmp_path_factory):
    """A small particle set: 4 train, 2 val, 2 test images of 128x160."""
    from mmext.demo import make_particle_dataset
    root = str(tmp_path_factory.mktemp('particles'))
    make_particle_dataset(root, seed=0, num_train=4, num_val=2, num_test=2, size=(128, 160),
                          num_range=(20, 30))
    return root


def _run_tool(*args, cwd=REPO, env=None, check=True, timeout=900):
    """Run ``python <args>`` (a tool of the repo) in a subprocess; return it."""
    full_env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore', **(env or {}))
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{args} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n'
                             f'{proc.stderr[-3000:]}')
    return proc


@pytest.fixture
def run_tool():
    """``run_tool('tools/train.py', cfg, ...)``: run a tool in a subprocess from the repo root."""
    return _run_tool
