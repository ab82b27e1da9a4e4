"""Peak memory of particle prediction on large images: sliced (tiled) vs whole-image.

Each run is a fresh subprocess (its peak RSS is its own, its address space capped at
``--mem-limit-gb``: a run over it is reported as such): a random-init model of a shipped
CPU recipe predicts one generated image of SIDE x SIDE px, once with the config's tiling
(``tile_size`` 1024) and once with tiling off (one pass over the whole image), side by
side at each size; the ratio says what tiling saves.
- ``--model distance-watershed``: a random-init network's maps are not particles:
  ``fg_thr`` is set so that the watershed sees a realistic share of foreground.
- ``--model mask-rcnn`` (``SlicedMaskRCNN``): the detections of a random-init head (up to
  ``max_per_img``), masks merged across tile seams.

    python bench/bench_tiled_inference.py [--model distance-watershed] [--sides 1024 2048 4096]
        [--threads 1] [--mem-limit-gb 16]
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = {
    'distance-watershed': 'distance-watershed_unet-s8_1xb8-1500i_particles.py',
    'mask-rcnn': 'mask-rcnn_r18-thin_fpn_1xb2-1200i_particles-native.py',
}


def run_one(model_name: str, side: int, tiled: bool) -> dict:
    """In this process: build, predict once, report time and peak RSS."""
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmext.modules  # noqa: F401  (registers mmext's modules)
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    init_default_scope('mmdet')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'particles', CONFIGS[model_name]))
    if not tiled:
        cfg.model.test_cfg.tile_size = 10**9
    model = MODELS.build(cfg.model).eval()
    rng = np.random.default_rng(0)
    img = torch.from_numpy(rng.integers(0, 255, (3, side, side), dtype=np.uint8))
    sample = DetDataSample(metainfo=dict(img_shape=(side, side), ori_shape=(side, side),
                                         scale_factor=(1.0, 1.0)))
    data = model.data_preprocessor(dict(inputs=[img], data_samples=[sample]))
    if model_name == 'distance-watershed':
        with torch.no_grad():
            fg = model.predict_maps(data['inputs'][:, :, :256, :256])[0, 0]
        model.test_cfg['fg_thr'] = float(fg.flatten().quantile(0.7))  # ~30 % foreground
    start = time.process_time()
    with torch.no_grad():
        out = model.predict(data['inputs'], data['data_samples'])[0].pred_instances
    return dict(side=side, tiled=tiled, cpu_s=round(time.process_time() - start, 1),
                instances=len(out),
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sides', type=int, nargs='+', default=[1024, 2048, 4096])
    parser.add_argument('--model', choices=sorted(CONFIGS), default='distance-watershed')
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--mem-limit-gb', type=float, default=16)
    parser.add_argument('--one', nargs=2, help=argparse.SUPPRESS)  # side tiled: child run
    args = parser.parse_args()
    if args.one:
        import torch
        limit = int(args.mem_limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        torch.set_num_threads(args.threads)
        print(json.dumps(run_one(args.model, int(args.one[0]), args.one[1] == '1')))
        return
    print(f'{args.model}, {args.threads} thread(s), address space capped at '
          f'{args.mem_limit_gb:g} GB')
    print('| side | tiled peak RSS MB | whole-image peak RSS MB | ratio | tiled CPU s | '
          'whole CPU s |')
    print('|---|---|---|---|---|---|')
    for side in args.sides:
        rows = {}
        for tiled in (True, False):
            proc = subprocess.run(
                [sys.executable, __file__, '--one', str(side), str(int(tiled)),
                 '--model', args.model, '--threads', str(args.threads),
                 '--mem-limit-gb', str(args.mem_limit_gb)], capture_output=True, text=True,
                env=dict(os.environ, PYTHONWARNINGS='ignore'))
            if proc.returncode:
                over = 'MemoryError' in proc.stderr or 'alloc' in proc.stderr
                rows[tiled] = dict(peak_rss_mb=f'> {args.mem_limit_gb:g} GB' if over
                                   else 'failed', cpu_s='-')
                if not over:
                    print(proc.stderr[-500:], file=sys.stderr)
                continue
            rows[tiled] = json.loads(proc.stdout.strip().splitlines()[-1])
        t, w = rows[True], rows[False]
        ratio = (f"{t['peak_rss_mb'] / w['peak_rss_mb']:.2f}"
                 if all(isinstance(r['peak_rss_mb'], int) for r in (t, w)) else '-')
        print(f"| {side} | {t['peak_rss_mb']} | {w['peak_rss_mb']} | {ratio} | "
              f"{t['cpu_s']} | {w['cpu_s']} |", flush=True)


if __name__ == '__main__':
    main()
