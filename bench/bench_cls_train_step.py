"""Training-step time of a micrograph config: mmext vs plain mmpretrain vs plain torchvision.

Three variants, same model (ResNet-18), batch and input size, on the same process:

* ``mmext``       the config as is (mmext's sampler and hooks, the config's loss/head),
                  trained by mmengine's Runner;
* ``mmpretrain``  the same config with mmext's parts replaced by upstream defaults
                  (``DefaultSampler``, no custom hooks, mmpretrain's CrossEntropyLoss /
                  LinearClsHead), same Runner;
* ``torchvision`` a hand-written loop: ``torchvision.models.resnet18``, normalise,
                  forward, ``CrossEntropyLoss``, backward, optimizer step (same optimizer
                  type and lr as the config; ``--tv-optimizer sgd`` for SGD).

A step of a Runner variant is timed from the first ``before_train_iter`` hook to the
last ``after_train_iter`` hook, i.e. data preprocessor, forward, loss, backward,
optimizer step and every hook's per-iteration work; data loading is outside (the
torchvision loop reuses one in-memory batch). ``EvalBeforeTrainHook`` (one validation
before training, no per-step work) is left out to save time. The variants run in interleaved rounds
(each round: warm-up steps, then timed steps, per variant); the ratios compare the
medians of all timed steps. Data: the generated demo micrographs (``mmext.demo``).

    python bench/bench_cls_train_step.py [--config configs/micrographs/...py]
        [--batch 8] [--img-size 224] [--rounds 5] [--steps 4] [--warmup 2] [--threads 1]
"""
import argparse
import copy
import os.path as osp
import statistics
import sys
import tempfile
import time

import torch
import torchvision
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.runner import Runner

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(ROOT, 'configs/micrographs/'
                          'resnet18-finetune_1xb16-adam-50e_micrographs-224px.py')
MMEXT_TYPES = ('ClassBalancedSampler', 'ClassWeightedCrossEntropyLoss', 'StackedBNDropoutClsHead')


class _Stop(Exception):
    pass


class _StepStart(Hook):
    priority = 'HIGHEST'

    def __init__(self, clock):
        self.clock = clock

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.clock['t0'] = time.perf_counter()


class _StepEnd(Hook):
    priority = 'LOWEST'

    def __init__(self, clock, warmup, steps):
        self.clock, self.warmup, self.steps = clock, warmup, steps
        self.times = []
        self.seen = 0

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        dt = time.perf_counter() - self.clock['t0']
        self.seen += 1
        if self.seen > self.warmup:
            self.times.append(dt)
        if len(self.times) >= self.steps:
            raise _Stop


def prepare_cfg(path, data_root, batch, img_size, work_dir, upstream):
    from mmext.utils.config import drop_pretrained_init
    cfg = Config.fromfile(path)
    drop_pretrained_init(cfg)
    cfg.load_from = None
    cfg.work_dir = work_dir
    classes = ('martensite', 'network', 'pearlite', 'spheroidite', 'spheroidite+widmanstatten')
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.num_workers, loader.persistent_workers = 0, False
        loader.dataset.data_root = data_root
        loader.dataset.metainfo = dict(classes=classes)
        for t in loader.dataset.pipeline:  # the config's crop/resize at --img-size
            for key in ('scale', 'crop_size'):
                if key in t:
                    t[key] = img_size
    cfg.train_dataloader.batch_size = batch
    cfg.model.head.num_classes = len(classes)
    cfg.model.data_preprocessor = dict(cfg.get('data_preprocessor', {}),
                                       num_classes=len(classes))
    cfg.pop('data_preprocessor', None)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**6)
    cfg.train_cfg.val_interval = 10**6
    cfg.visualizer = dict(type='UniversalVisualizer', vis_backends=[])
    cfg.log_level = 'WARNING'
    # EvalBeforeTrainHook runs once in before_train, outside every timed step: skip it
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h.get('type') != 'EvalBeforeTrainHook']
    if upstream:  # upstream defaults in place of mmext's parts
        cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=True)
        cfg.custom_hooks = []
        head = cfg.model.head
        cfg.model.head = dict(type='LinearClsHead', num_classes=len(classes),
                              in_channels=head.get('in_channels', 512),
                              loss=dict(type='CrossEntropyLoss'), topk=(1, ))
    text = cfg.pretty_text
    left = [t for t in MMEXT_TYPES if t in text] if upstream else []
    assert not left, f'mmext parts left in the upstream variant: {left}'
    return cfg


def time_runner(cfg, warmup, steps, threads, name):
    torch.set_num_threads(threads)
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    clock = {}
    end = _StepEnd(clock, warmup, steps)
    runner.register_hook(_StepStart(clock))
    runner.register_hook(end)
    torch.set_num_threads(threads)
    try:
        runner.train()
    except _Stop:
        pass
    if len(end.times) < steps:
        sys.exit(f'{name}: the epoch ended after {end.seen} steps; use fewer --steps')
    return end.times


def time_torchvision(batch, img_size, num_classes, optimizer, lr, warmup, steps, threads,
                     state):
    torch.set_num_threads(threads)
    if 'model' not in state:
        torch.manual_seed(0)
        model = torchvision.models.resnet18(num_classes=num_classes)
        opt_cls = dict(sgd=torch.optim.SGD, adam=torch.optim.Adam, adamw=torch.optim.AdamW)
        kwargs = dict(momentum=0.9) if optimizer == 'sgd' else {}
        state.update(
            model=model.train(), opt=opt_cls[optimizer](model.parameters(), lr=lr, **kwargs),
            x=torch.randint(0, 256, (batch, 3, img_size, img_size), dtype=torch.uint8),
            y=torch.randint(0, num_classes, (batch, )),
            mean=torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1),
            std=torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1))
    s = state
    criterion = torch.nn.CrossEntropyLoss()
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        x = (s['x'].flip(1).float() - s['mean']) / s['std']  # BGR->RGB, normalise
        loss = criterion(s['model'](x), s['y'])
        s['opt'].zero_grad()
        loss.backward()
        s['opt'].step()
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--steps', type=int, default=4, help='timed steps per variant/round')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps per variant/round')
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    parser.add_argument('--tv-optimizer', choices=['config', 'sgd', 'adam', 'adamw'],
                        default='config')
    args = parser.parse_args()

    import mmext.modules  # noqa: F401  (registers mmext's modules)
    from mmext.demo import make_micrograph_dataset
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    MMLogger.get_instance('mmengine', log_level='WARNING')

    tmp = tempfile.TemporaryDirectory()
    data_root = osp.join(tmp.name, 'micrographs')
    make_micrograph_dataset(data_root, seed=0, size=(96, 96))
    cfgs = {
        'mmext': prepare_cfg(args.config, data_root, args.batch, args.img_size,
                             osp.join(tmp.name, 'w_mmext'), upstream=False),
        'mmpretrain': prepare_cfg(args.config, data_root, args.batch, args.img_size,
                                  osp.join(tmp.name, 'w_up'), upstream=True),
    }
    opt_type = cfgs['mmext'].optim_wrapper.optimizer.type.lower()
    tv_opt = opt_type if args.tv_optimizer == 'config' else args.tv_optimizer
    lr = cfgs['mmext'].optim_wrapper.optimizer.lr
    times = {'mmext': [], 'mmpretrain': [], 'torchvision': []}
    rounds = []  # per-round medians, for paired ratios under changing machine load
    tv_state = {}
    for r in range(args.rounds):
        order = list(times) if r % 2 == 0 else list(reversed(times))
        for name in order:
            if name == 'torchvision':
                t = time_torchvision(args.batch, args.img_size, 5, tv_opt, lr, args.warmup,
                                     args.steps, args.threads, tv_state)
            else:
                t = time_runner(cfgs[name], args.warmup, args.steps, args.threads, name)
            times[name] += t
        rounds.append({k: statistics.median(v[-args.steps:]) for k, v in times.items()})
        print(f'round {r + 1}/{args.rounds}: ' + ', '.join(
            f'{k} {statistics.median(v[-args.steps:]) * 1e3:.1f} ms' for k, v in times.items()
            if v), flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    print(f'\nconfig: {osp.relpath(args.config, ROOT)}')
    print(f'ResNet-18, batch {args.batch}, {args.img_size}x{args.img_size}, '
          f'{args.threads} thread(s), optimizer {opt_type} (torchvision loop: {tv_opt}), '
          f'{args.rounds} rounds x {args.steps} timed steps (+{args.warmup} warm-up)')
    for k, v in med.items():
        print(f'  {k:12s} median step {v * 1e3:8.1f} ms  (min {min(times[k]) * 1e3:.1f}, '
              f'max {max(times[k]) * 1e3:.1f})')
    print('ratios: median of all steps | median of per-round ratios | ratio of fastest steps')
    for a, b, goal in (('mmext', 'torchvision', 1.05), ('mmext', 'mmpretrain', 1.02),
                       ('mmpretrain', 'torchvision', None)):
        paired = statistics.median(r[a] / r[b] for r in rounds)
        best = min(times[a]) / min(times[b])
        goal = f'  (goal <= {goal:.2f}x)' if goal else ''
        print(f'  {a} / {b}: {med[a] / med[b]:.3f}x | {paired:.3f}x | {best:.3f}x{goal}')
    tmp.cleanup()


if __name__ == '__main__':
    main()
