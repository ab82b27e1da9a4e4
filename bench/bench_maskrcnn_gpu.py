"""Mask R-CNN R50-FPN throughput on a GPU: mmext's particle config vs the same plain mmdet config.

Two variants, same model, same generated particle photos, same process:

* ``mmext``  ``configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py`` as is (mmext's
             ParticleDataset and pipeline, its one-class heads and dense-scene test_cfg);
* ``mmdet``  ``mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py`` with only what the particle
             config changes in the model (one class, the same test_cfg), mmdet's CocoDataset
             and pipeline, no mmext import in the config.

For each input size (the images are generated at that size, so the Resize keeps it) and
precision (fp32; AMP: mmengine's AmpOptimWrapper for training, ``torch.autocast`` fp16
for inference), a training step is ``model.train_step`` (data preprocessor, forward, loss,
backward, optimizer step) and an inference step ``model.test_step``, both on batches the
config's dataloader made beforehand (loading is outside the timing), timed with CUDA
synchronisation. Variants run in interleaved rounds; images/s come from the median step, the ratio
from the median of the rounds' paired ratios.
Random init (no downloads), the same initial weights for both variants (inference is
timed before any training step changes them); the ratio is mmext's time over mmdet's (goal <= 1.02).

    python bench/bench_maskrcnn_gpu.py [--sizes 1333x800 1280x1024] [--batch 2]
        [--rounds 5] [--steps 6] [--warmup 3] [--out bench_maskrcnn_gpu.md]

``--device cpu`` runs the same code fp32-only on the CPU (no figures worth reporting; it
checks, on a machine without a GPU, that the bench is ready to run), e.g.
``--device cpu --sizes 320x256 --batch 1 --rounds 1 --steps 1 --warmup 0``.
"""
import argparse
import copy
import os.path as osp
import statistics
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MMEXT_CONFIG = osp.join(ROOT, 'configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py')
MMDET_CONFIG = 'mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'  # in mmdet's packaged configs


def set_scale(pipeline, scale):
    for t in pipeline:
        if t['type'] == 'Resize':
            t['scale'] = scale


def prepare_cfg(variant, data_root, scale, batch):
    from mmext.utils.config import drop_pretrained_init
    if variant == 'mmext':
        cfg = Config.fromfile(MMEXT_CONFIG)
    else:
        particle = Config.fromfile(MMEXT_CONFIG)
        from mmengine.utils import get_installed_path
        cfg = Config.fromfile(osp.join(get_installed_path('mmdet'), '.mim', 'configs',
                                       MMDET_CONFIG))
        cfg.model.roi_head.bbox_head.num_classes = 1
        cfg.model.roi_head.mask_head.num_classes = 1
        cfg.model.test_cfg = copy.deepcopy(particle.model.test_cfg)
        for split in ('train', 'val'):
            dataset = cfg[f'{split}_dataloader'].dataset
            dataset.metainfo = dict(classes=('Normal', ))
            dataset.ann_file = f'annotations/{split}.json'
            dataset.data_prefix = dict(img=f'images/{split}/')
        assert 'mmext' not in cfg.pretty_text, 'the mmdet variant must not use mmext'
    drop_pretrained_init(cfg)
    for split in ('train', 'val'):
        loader = cfg[f'{split}_dataloader']
        loader.batch_size, loader.num_workers, loader.persistent_workers = batch, 0, False
        loader.dataset.data_root = data_root
        set_scale(loader.dataset.pipeline, scale)
    return cfg


def collect_batches(cfg, split, count):
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(copy.deepcopy(cfg[f'{split}_dataloader']))
    batches = []
    while len(batches) < count:
        for batch in loader:
            batches.append(batch)
            if len(batches) == count:
                break
    return batches


class Variant:
    """A model of one config with its optimizer and ready batches, for timed steps."""

    def __init__(self, cfg, amp, steps, device):
        from mmdet.registry import MODELS
        torch.manual_seed(0)
        self.model = MODELS.build(cfg.model).to(device)
        self.model.init_weights()
        optim_cfg = copy.deepcopy(cfg.optim_wrapper)
        if amp:
            optim_cfg.type = 'AmpOptimWrapper'
            optim_cfg.loss_scale = 'dynamic'
        self.optim_wrapper = build_optim_wrapper(self.model, optim_cfg)
        self.amp, self.device = amp, torch.device(device)
        self.train_batches = collect_batches(cfg, 'train', steps)
        self.test_batches = collect_batches(cfg, 'val', steps)

    def step(self, phase, i):
        if phase == 'train':
            self.model.train()
            self.model.train_step(self.train_batches[i % len(self.train_batches)],
                                  self.optim_wrapper)
        else:
            self.model.eval()
            with torch.no_grad(), torch.autocast(self.device.type, dtype=torch.float16,
                                                 enabled=self.amp):
                self.model.test_step(self.test_batches[i % len(self.test_batches)])

    def sync(self):
        if self.device.type == 'cuda':
            torch.cuda.synchronize()

    def time(self, phase, warmup, steps):
        times = []
        for i in range(warmup + steps):
            self.sync()
            t0 = time.perf_counter()
            self.step(phase, i)
            self.sync()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
        return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', nargs='+', default=['1333x800', '1280x1024'],
                        help='input sizes WxH')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--steps', type=int, default=6, help='timed steps per variant/round')
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps per variant/round')
    parser.add_argument('--particles', type=int, nargs=2, default=(60, 120),
                        help='particles per generated image (min max)')
    parser.add_argument('--out', help='also write the table (Markdown) to this file')
    parser.add_argument('--device', choices=('cuda', 'cpu'), default='cuda',
                        help='cpu: fp32 only, a readiness check without a GPU')
    args = parser.parse_args()
    if args.device == 'cuda' and not torch.cuda.is_available():
        print('bench_maskrcnn_gpu: skipped, torch sees no GPU (--device cpu checks the bench)')
        return

    import mmext.modules  # noqa: F401  (registers mmext's modules)
    from mmdet.utils import register_all_modules
    from mmext.demo import make_particle_dataset
    register_all_modules(init_default_scope=False)
    init_default_scope('mmdet')
    MMLogger.get_instance('mmengine', log_level='WARNING')
    torch.backends.cudnn.benchmark = False

    if args.device == 'cuda':
        card = (f'{torch.cuda.get_device_name(0)}, torch {torch.__version__}, '
                f'CUDA {torch.version.cuda}')
    else:
        import platform
        card = (f'CPU ({platform.machine()}, readiness check only), '
                f'torch {torch.__version__}')
    precisions = (False, True) if args.device == 'cuda' else (False, )
    header = (f'{card}, batch {args.batch}, '
              f'{args.rounds} rounds x {args.steps} steps (+{args.warmup} warm-up), random init')
    print(header, flush=True)
    rows = []
    tmp = tempfile.TemporaryDirectory()
    for size in args.sizes:
        w, h = map(int, size.lower().split('x'))
        data_root = osp.join(tmp.name, size)
        make_particle_dataset(data_root, seed=0, num_train=args.batch * 2,
                              num_val=args.batch * 2, num_test=1, size=(h, w),
                              num_range=tuple(args.particles))
        cfgs = {v: prepare_cfg(v, data_root, (w, h), args.batch) for v in ('mmext', 'mmdet')}
        for amp in precisions:
            variants = {v: Variant(cfg, amp, args.batch * 2, args.device)
                        for v, cfg in cfgs.items()}
            first, second = (variants[v].model.state_dict() for v in ('mmext', 'mmdet'))
            assert all(torch.equal(first[k], second[k]) for k in first), 'models differ'
            # inference first, on the identical initial weights: after training steps on
            # differently flipped batches the random models keep different numbers of
            # detections, and mask-head/paste time follows that count
            for phase in ('infer', 'train'):
                times = {v: [] for v in variants}
                paired = []  # per-round ratio of medians: robust to drifting clocks and load
                for r in range(args.rounds):
                    order = list(variants) if r % 2 == 0 else list(reversed(variants))
                    this = {v: variants[v].time(phase, args.warmup, args.steps) for v in order}
                    for v, t in this.items():
                        times[v] += t
                    paired.append(statistics.median(this['mmext']) /
                                  statistics.median(this['mmdet']))
                med = {v: statistics.median(t) for v, t in times.items()}
                row = dict(size=size, precision='amp' if amp else 'fp32', phase=phase,
                           mmext=args.batch / med['mmext'], mmdet=args.batch / med['mmdet'],
                           ratio=statistics.median(paired), spread=(min(paired), max(paired)))
                rows.append(row)
                print(f"{size:>9} {row['precision']:>4} {phase:>5}: mmext {row['mmext']:6.3g} img/s"
                      f"  mmdet {row['mmdet']:6.3g} img/s  time ratio {row['ratio']:.3f}"
                      f" (rounds {row['spread'][0]:.3f}-{row['spread'][1]:.3f})",
                      flush=True)
            del variants
            if args.device == 'cuda':
                torch.cuda.empty_cache()
    table = [f'{header}\n', '| size | precision | phase | mmext img/s | mmdet img/s | '
             'time mmext/mmdet | per-round range |', '| --- | --- | --- | --- | --- | --- | --- |']
    table += [f"| {r['size']} | {r['precision']} | {r['phase']} | {r['mmext']:.3g} | "
              f"{r['mmdet']:.3g} | {r['ratio']:.3f} | {r['spread'][0]:.3f}-{r['spread'][1]:.3f} |"
              for r in rows]
    speedup = {(r['size'], r['phase']): r for r in rows if r['precision'] == 'fp32'}
    table.append('')
    for r in rows:
        if r['precision'] == 'amp':
            base = speedup[(r['size'], r['phase'])]
            gains = {v: r[v] / base[v] for v in ('mmext', 'mmdet')}
            table.append(f"AMP speed-up {r['size']} {r['phase']}: mmext {gains['mmext']:.2f}x, "
                         f"mmdet {gains['mmdet']:.2f}x")
    text = '\n'.join(table)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text + '\n')
    worst = max(r['ratio'] for r in rows)
    print(f'worst time ratio mmext/mmdet: {worst:.3f} (goal <= 1.02)')


if __name__ == '__main__':
    main()
