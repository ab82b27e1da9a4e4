"""Peak memory of DistanceWatershed prediction on large images: tiled vs whole-image.

Each run is a fresh subprocess (its peak RSS is its own): a random-init model of the
shipped bottom-up config predicts one generated particle image of SIDE x SIDE px, once with
the config's tiling (``tile_size`` 1024) and once with tiling off (one pass over the whole
image), side by side at each size; the ratio says what tiling saves. A random-init network's
maps are not particles: ``fg_thr`` is set so that the watershed sees a realistic share of
foreground.

    python bench/bench_tiled_inference.py [--sides 1024 2048 4096] [--threads 1]
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
CONFIG = osp.join(ROOT, 'configs', 'particles',
                  'distance-watershed_unet-s8_1xb8-1500i_particles.py')


def run_one(side: int, tiled: bool) -> dict:
    """In this process: build, predict once, report time and peak RSS."""
    import numpy as np
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmext.modules  # noqa: F401  (registers mmext's modules)
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    init_default_scope('mmdet')
    cfg = Config.fromfile(CONFIG)
    if not tiled:
        cfg.model.test_cfg.tile_size = 10**9
    model = MODELS.build(cfg.model).eval()
    rng = np.random.default_rng(0)
    img = torch.from_numpy(rng.integers(0, 255, (3, side, side), dtype=np.uint8))
    sample = DetDataSample(metainfo=dict(img_shape=(side, side), ori_shape=(side, side),
                                         scale_factor=(1.0, 1.0)))
    data = model.data_preprocessor(dict(inputs=[img], data_samples=[sample]))
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
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--one', nargs=2, help=argparse.SUPPRESS)  # side tiled: child run
    args = parser.parse_args()
    if args.one:
        import torch
        torch.set_num_threads(args.threads)
        print(json.dumps(run_one(int(args.one[0]), args.one[1] == '1')))
        return
    print('| side | tiled peak RSS MB | whole-image peak RSS MB | ratio | tiled CPU s | '
          'whole CPU s |')
    print('|---|---|---|---|---|---|')
    for side in args.sides:
        rows = {}
        for tiled in (True, False):
            proc = subprocess.run(
                [sys.executable, __file__, '--one', str(side), str(int(tiled)),
                 '--threads', str(args.threads)], capture_output=True, text=True,
                env=dict(os.environ, PYTHONWARNINGS='ignore'))
            if proc.returncode:
                rows[tiled] = dict(peak_rss_mb=float('nan'), cpu_s=float('nan'))
                print(proc.stderr[-500:], file=sys.stderr)
                continue
            rows[tiled] = json.loads(proc.stdout.strip().splitlines()[-1])
        t, w = rows[True], rows[False]
        print(f"| {side} | {t['peak_rss_mb']} | {w['peak_rss_mb']} | "
              f"{t['peak_rss_mb'] / w['peak_rss_mb']:.2f} | {t['cpu_s']} | {w['cpu_s']} |",
              flush=True)


if __name__ == '__main__':
    main()
