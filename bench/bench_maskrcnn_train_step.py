"""Mask R-CNN training-step time: mmext's particle config against the same plain mmdet config.

* ``mmext``  ``configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py`` as is (ParticleDataset,
             mmext's hooks: FiniteLossHook, NumClassesCheckHook, ParticleReportHook);
* ``mmdet``  ``mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py`` with one class, CocoDataset,
             mmdet's hooks, the same lr.

Both: random init (seed 0: same weights, same batches in the same order), batch 2, the
generated particle photos at ``--size`` (512x640 by default, 60-150 particles),
num_workers=0, no validation or checkpoint. The two model dicts are checked equal. A step is timed from the first ``before_train_iter`` hook to the
last ``after_train_iter`` hook (data preprocessor, forward, losses, backward, optimizer
step, every hook's per-iteration work; data loading is outside), in CPU seconds of the
process (all threads: what a shared, loaded machine distorts least) and wall seconds.
Variants run in interleaved rounds; ratios compare medians of all timed steps.

    python bench/bench_maskrcnn_train_step.py [--size 512 640] [--rounds 2] [--steps 3]
        [--warmup 1] [--threads 1]
"""
import argparse
import copy
import os
import os.path as osp
import statistics
import sys
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from bench_cls_train_step import _StepEnd, _StepStart, _Stop  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PARTICLE_CFG = osp.join(ROOT, 'configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py')
PLAIN_CFG = """_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(roi_head=dict(bbox_head=dict(num_classes=1), mask_head=dict(num_classes=1)))
optim_wrapper = dict(optimizer=dict(lr={lr!r}))
train_dataloader = dict(dataset=dict(
    data_root={root!r}, ann_file='annotations/train.json', data_prefix=dict(img='images/train/'),
    metainfo=dict(classes=('Normal', ))))
"""


class _CpuStart(_StepStart):
    def before_train_iter(self, runner, batch_idx, data_batch=None):
        super().before_train_iter(runner, batch_idx, data_batch)
        self.clock['c0'] = time.process_time()


class _CpuEnd(_StepEnd):
    """Also records the CPU time of each timed step."""

    def __init__(self, clock, warmup, steps):
        super().__init__(clock, warmup, steps)
        self.cpu = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if self.seen >= self.warmup:
            self.cpu.append(time.process_time() - self.clock['c0'])
        super().after_train_iter(runner, batch_idx, data_batch, outputs)


def prepare(cfg, root, size, work_dir):
    from mmext.utils.config import drop_pretrained_init
    drop_pretrained_init(cfg)
    cfg.load_from, cfg.work_dir, cfg.log_level = None, work_dir, 'WARNING'
    cfg.randomness = dict(seed=0)  # same init, same batches in the same order
    loader = cfg.train_dataloader
    loader.num_workers, loader.persistent_workers, loader.batch_size = 0, False, 2
    loader.dataset.data_root = root
    for step in loader.dataset.pipeline:
        if step.type == 'Resize':
            step.scale = (size[1], size[0])
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None  # no validation
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**6)
    cfg.visualizer.vis_backends = []
    return cfg


def time_steps(cfg, warmup, steps):
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    clock = {}
    end = _CpuEnd(clock, warmup, steps)
    runner.register_hook(_CpuStart(clock))
    runner.register_hook(end)
    try:
        runner.train()
    except _Stop:
        pass
    return end.times, end.cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size', type=int, nargs=2, default=(512, 640), help='H W')
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--steps', type=int, default=3, help='timed steps per variant/round')
    parser.add_argument('--warmup', type=int, default=1, help='untimed steps per variant/round')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (1: idle threads spinning on a shared machine '
                        'inflate CPU time)')
    args = parser.parse_args()

    from mmext.demo import make_particle_dataset
    from mmext.utils.config import register_scope
    register_scope('mmdet')
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('mmengine', log_level='WARNING')
    tmp = tempfile.TemporaryDirectory()
    root = osp.join(tmp.name, 'data') + '/'
    make_particle_dataset(root, seed=0, num_train=2 * (args.warmup + args.steps), num_val=0,
                          num_test=0, size=tuple(args.size), num_range=(60, 150))
    particle = Config.fromfile(PARTICLE_CFG)
    plain_path = osp.join(tmp.name, 'plain.py')
    with open(plain_path, 'w') as f:
        f.write(PLAIN_CFG.format(lr=particle.optim_wrapper.optimizer.lr, root=root))
    cfgs = {'mmext': prepare(particle, root, args.size, osp.join(tmp.name, 'w_mmext')),
            'mmdet': prepare(Config.fromfile(plain_path), root, args.size,
                             osp.join(tmp.name, 'w_mmdet'))}
    models = {n: dict(c.model.to_dict(), test_cfg=None) for n, c in cfgs.items()}
    assert models['mmext'] == models['mmdet'], 'the model dicts differ'
    assert cfgs['mmext'].optim_wrapper == cfgs['mmdet'].optim_wrapper

    walls = {n: [] for n in cfgs}
    cpus = {n: [] for n in cfgs}
    load = os.getloadavg()
    for r in range(args.rounds):
        for name in (list(cfgs) if r % 2 == 0 else list(cfgs)[::-1]):
            wall, cpu = time_steps(cfgs[name], args.warmup, args.steps)
            walls[name] += wall
            cpus[name] += cpu
            print(f'round {r + 1}: {name:6s} CPU ' + ' '.join(f'{c:.2f}' for c in cpu) +
                  ' s, wall ' + ' '.join(f'{w:.2f}' for w in wall) + ' s', flush=True)
    load2 = os.getloadavg()
    print(f'\nMask R-CNN R50-FPN train step, batch 2, {args.size[0]}x{args.size[1]}, '
          f'{args.threads} threads, {args.rounds} rounds x {args.steps} steps '
          f'(+{args.warmup} warm-up); load average {load[0]:.2f} before, {load2[0]:.2f} after')
    print(f'  {"variant":8s} {"CPU s":>8s} {"x mmdet":>8s} {"wall s":>8s} {"x mmdet":>8s}')
    for name in cfgs:
        row = ''
        for runs in (cpus, walls):
            med = statistics.median(runs[name])
            row += f'{med:8.2f} {med / statistics.median(runs["mmdet"]):8.3f} '
        print(f'  {name:8s} {row}')
    # the same step of each round saw the same batch in both variants: paired ratios
    paired = [statistics.median(a / b for a, b in zip(runs['mmext'], runs['mmdet']))
              for runs in (cpus, walls)]
    print(f'  median of paired step ratios mmext / mmdet: CPU {paired[0]:.3f}x, '
          f'wall {paired[1]:.3f}x')
    print('  goal: mmext <= 1.02x mmdet')
    tmp.cleanup()


if __name__ == '__main__':
    main()
