"""IoU-weighted F1: vectorised per-image implementation vs the pair-by-pair reference.

Synthetic set shaped like the particle challenge: 350 images of 1024×1280, 60 ground
truths and 100 predictions per image (jittered copies of the ground truths, duplicates
and strays; masks are polygon ellipses rasterised straight to RLE). The fast metric
runs on the whole set; the pure-Python reference runs on ``--ref-images`` images and
its time is scaled to the set (printed as such). Values must match on that subset.

    python bench/bench_iou_f1.py [--images 350] [--ref-images 20]
"""
import argparse
import math
import time

import numpy as np
from pycocotools import mask as mask_utils

from mmext.evaluation.functional.iou_weighted_f1 import iou_weighted_f1
from mmext.testing import iou_weighted_f1_reference

H, W = 1024, 1280


def ellipse_rle(cx, cy, a, b, theta, n=32):
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x = cx + a * np.cos(t) * np.cos(theta) - b * np.sin(t) * np.sin(theta)
    y = cy + a * np.cos(t) * np.sin(theta) + b * np.sin(t) * np.cos(theta)
    poly = np.stack([x, y], 1).ravel().tolist()
    return mask_utils.merge(mask_utils.frPyObjects([poly], H, W))


def make_image(rng, num_gts=60, num_preds=100):
    g = np.column_stack([rng.uniform(40, W - 40, num_gts), rng.uniform(40, H - 40, num_gts),
                         rng.uniform(12, 35, num_gts), rng.uniform(10, 30, num_gts),
                         rng.uniform(0, np.pi, num_gts)])
    gts = [ellipse_rle(*row) for row in g]
    src = rng.integers(0, num_gts, num_preds)  # jittered copies; repeats are duplicates
    p = g[src] + rng.normal(0, 1, (num_preds, 5)) * [4, 4, 3, 3, 0.2]
    p[:, 2:4] = np.clip(p[:, 2:4], 4, None)
    strays = rng.random(num_preds) < 0.15
    p[strays, 0] = rng.uniform(40, W - 40, strays.sum())
    p[strays, 1] = rng.uniform(40, H - 40, strays.sum())
    return gts, [ellipse_rle(*row) for row in p]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=350)
    parser.add_argument('--ref-images', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    data = [make_image(rng) for _ in range(args.images)]
    gts, preds = [d[0] for d in data], [d[1] for d in data]

    t0 = time.perf_counter()
    fast = iou_weighted_f1(gts, preds)
    t_fast = time.perf_counter() - t0

    n_ref = min(args.ref_images, args.images)
    t0 = time.perf_counter()
    ref = iou_weighted_f1_reference(gts[:n_ref], preds[:n_ref])
    t_ref = (time.perf_counter() - t0) * args.images / n_ref
    fast_sub = iou_weighted_f1(gts[:n_ref], preds[:n_ref])
    # counts exactly; float sums to rounding (numpy and Python add in different orders)
    equal = all(fast_sub[k] == ref[k] for k in ('tp', 'fp', 'fn')) and all(
        math.isclose(fast_sub[k], ref[k], rel_tol=1e-12)
        for k in ('iou_f1', 'iou_precision', 'iou_recall', 'sum_iou'))

    print(f'{args.images} images × 60 gts × 100 predictions ({H}×{W})')
    print(f"vectorised:  {t_fast:8.3f} s  F1 {fast['iou_f1']:.6f}  TP {fast['tp']} "
          f"FP {fast['fp']} FN {fast['fn']}")
    print(f'pair-by-pair: {t_ref:8.3f} s  (measured on {n_ref} images, scaled ×'
          f'{args.images / n_ref:.1f})')
    print(f'values equal on the {n_ref}-image subset (counts exact, floats to 1e-12): {equal}  '
          f"(F1 {fast_sub['iou_f1']:.12f} vs {ref['iou_f1']:.12f})")
    print(f'speed-up: {t_ref / t_fast:.0f}x  (goal >= 100x)')
    if not equal:
        raise SystemExit('values differ')


if __name__ == '__main__':
    main()
