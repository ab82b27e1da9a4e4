"""Crash-safe training with tools/train.py: a run SIGKILLed mid-epoch and resumed (past a
truncated latest checkpoint) ends with exactly the weights of an uninterrupted run; a
NaN loss stops training with one line naming the iteration."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import torch

from mmext.engine.resume import find_resumable_checkpoint

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MAX_ITERS, CKPT_INTERVAL, KILL_AFTER = 16, 4, 14  # 10 iterations per epoch: kill in epoch 2

# a 2-class ResNet-18 of 8 base channels (also used by the bad-input matrix)
TINY_MODEL = """
default_scope = 'mmpretrain'
custom_imports = dict(imports=['mmext.modules'], allow_failed_imports=False)
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(num_classes=2, mean=[127.5] * 3, std=[64.] * 3, to_rgb=True),
    backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=2, in_channels=64,
              loss=dict(type='CrossEntropyLoss')))
"""
TINY_CFG = TINY_MODEL + """train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_root={data!r}, with_label=True,
                 pipeline=[dict(type='CheckedLoadImageFromFile'), dict(type='PackInputs')]))
train_cfg = dict(type='IterBasedTrainLoop', max_iters={max_iters}, val_interval=1000)
optim_wrapper = dict(optimizer=dict(type='SGD', lr={lr}, momentum=0.9))
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, milestones=[6], gamma=0.5)]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval={interval},
                    max_keep_ckpts=10),
    invalid_loss=dict(type='FiniteLossHook'))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0, deterministic=True)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
"""

PAUSE_HOOK = """
import os, time
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class PauseAfterIterHook(Hook):
    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == {kill_after}:
            open({marker!r}, 'w').close()
            time.sleep(120)
"""


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp('crash')
    rng = np.random.RandomState(0)
    for c, label in enumerate(('a', 'b')):
        os.makedirs(root / 'data' / label)
        for i in range(20):  # 40 images, batch 4: 10 iterations per epoch
            img = np.full((24, 24, 3), 60 + 120 * c, np.uint8)
            img = np.clip(img + rng.randint(-40, 40, img.shape), 0, 255).astype(np.uint8)
            cv2.imwrite(str(root / 'data' / label / f'{i:02d}.png'), img)
    marker = str(root / 'paused')
    (root / 'pause_hook.py').write_text(PAUSE_HOOK.format(kill_after=KILL_AFTER, marker=marker))
    cfg = TINY_CFG.format(data=str(root / 'data'), max_iters=MAX_ITERS, interval=CKPT_INTERVAL,
                          lr=0.01)
    (root / 'tiny.py').write_text(cfg)
    (root / 'tiny_paused.py').write_text(
        cfg + "custom_imports = dict(imports=['mmext.modules', 'pause_hook'])\n"
        "custom_hooks = [dict(type='PauseAfterIterHook')]\n")
    return root, marker


def _train(root, config, work_dir, *args):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore',
               PYTHONPATH=os.pathsep.join([REPO, str(root)]))
    # --verbose: the run's own log lines (resumed at ...) on the console, as asserted below
    return subprocess.Popen([sys.executable, 'tools/train.py', str(root / config), '--work-dir',
                             str(work_dir), '--verbose', *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _weights(path):
    return torch.load(path, weights_only=True, map_location='cpu')['state_dict']


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tiny):
    root, marker = tiny
    full_dir, killed_dir = root / 'full', root / 'killed'
    full = _train(root, 'tiny.py', full_dir)
    killed = _train(root, 'tiny_paused.py', killed_dir)
    deadline = time.time() + 300
    while not osp.exists(marker) and killed.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert osp.exists(marker), killed.communicate()[0][-3000:]
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL
    log = full.communicate(timeout=300)[0]
    assert full.returncode == 0, log[-3000:]
    saved = sorted(os.listdir(killed_dir))
    assert [f for f in saved if f.endswith('.pth')] == ['iter_12.pth', 'iter_4.pth', 'iter_8.pth']
    assert not [f for f in saved if f.endswith('.tmp')]  # checkpoints are renamed into place
    # a latest checkpoint cut short (as a non-atomic writer killed while saving leaves it)
    ckpt = (killed_dir / 'iter_12.pth').read_bytes()
    (killed_dir / 'iter_14.pth').write_bytes(ckpt[:len(ckpt) // 3])
    (killed_dir / 'last_checkpoint').write_text(str(killed_dir / 'iter_14.pth'))
    resumed = _train(root, 'tiny.py', killed_dir, '--resume')
    log = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, log[-3000:]
    assert 'iter_14.pth: truncated or damaged checkpoint; resuming from the previous intact ' \
           f'one, {killed_dir / "iter_12.pth"}' in log
    assert 'resumed epoch: 0, iter: 12' in log  # iteration-based: epoch not counted
    expected, got = _weights(full_dir / 'iter_16.pth'), _weights(killed_dir / 'iter_16.pth')
    assert expected.keys() == got.keys()
    changed = [k for k in expected if not torch.equal(expected[k], got[k])]
    assert changed == []
    # and training did change the weights (the comparison is not between two inits)
    assert not torch.equal(_weights(full_dir / 'iter_4.pth')['head.fc.weight'],
                           expected['head.fc.weight'])


def test_no_intact_checkpoint_starts_afresh(tmp_path):
    (tmp_path / 'iter_4.pth').write_bytes(b'PK\x03\x04 cut')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_4.pth'))
    assert find_resumable_checkpoint(str(tmp_path)) is None
    assert find_resumable_checkpoint(str(tmp_path / 'empty')) is None


def test_nan_loss_stops_with_one_line(tiny, tmp_path):
    root, _ = tiny
    cfg = TINY_CFG.format(data=str(root / 'data'), max_iters=MAX_ITERS, interval=CKPT_INTERVAL,
                          lr=1e30)
    (tmp_path / 'diverge.py').write_text(cfg)
    proc = _train(tmp_path, 'diverge.py', tmp_path / 'work')
    out = proc.communicate(timeout=300)[0]
    assert proc.returncode == 2, out[-3000:]
    last = out.strip().splitlines()[-1]
    assert last.startswith('error: training stopped: the loss is ') and 'at iteration ' in last
    it = int(last.split('at iteration ')[1].split(';')[0])  # iteration-based: no epoch
    assert 1 < it <= MAX_ITERS
    # no checkpoint of the broken weights
    assert not [f for f in os.listdir(tmp_path / 'work') if f.endswith('.pth')
                and int(f[5:-4]) >= it]


def test_finite_loss_hook_names_epoch_and_batch():
    from types import SimpleNamespace

    from mmengine.runner import EpochBasedTrainLoop

    from mmext.engine.hooks import FiniteLossHook
    from mmext.utils import InputError
    runner = SimpleNamespace(iter=6, epoch=1, train_loop=object.__new__(EpochBasedTrainLoop))
    hook = FiniteLossHook()
    hook.after_train_iter(runner, 2, outputs={'loss': torch.tensor(0.5)})
    with pytest.raises(InputError, match=r'the loss is inf at iteration 7 \(epoch 2, batch 3\)'):
        hook.after_train_iter(runner, 2, outputs={'loss': torch.tensor(float('inf'))})
