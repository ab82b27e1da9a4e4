"""Particle shape metrics: mmext (pycocotools + OpenCV on crops) vs scikit-image regionprops.

Synthetic images of 1024×1280 with 60 particle masks each (polygon ellipses as RLEs).
Both sides start from the same RLEs; the baseline decodes each mask and asks
``skimage.measure.regionprops`` for the comparable properties (area, equivalent
diameter, perimeter, axes, orientation, solidity, max Feret, centroid).

    python bench/bench_shape_metrics.py [--images 10]
"""
import argparse
import time

import numpy as np
from pycocotools import mask as mask_utils
from skimage.measure import regionprops

from mmext.evaluation.functional.shape_metrics import shape_metrics_from_rles

H, W = 1024, 1280
PROPS = ('area', 'equivalent_diameter_area', 'perimeter', 'axis_major_length',
         'axis_minor_length', 'orientation', 'solidity', 'feret_diameter_max', 'centroid')


def make_image(rng, n=60):
    rles = []
    for _ in range(n):
        cx, cy = rng.uniform(50, W - 50), rng.uniform(50, H - 50)
        a, b, th = rng.uniform(10, 40), rng.uniform(8, 30), rng.uniform(0, np.pi)
        t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        r = 1 + 0.08 * np.sin(3 * t + rng.uniform(0, 6))  # not quite elliptic
        x = cx + r * (a * np.cos(t) * np.cos(th) - b * np.sin(t) * np.sin(th))
        y = cy + r * (a * np.cos(t) * np.sin(th) + b * np.sin(t) * np.cos(th))
        poly = np.stack([x, y], 1).ravel().tolist()
        rles.append(mask_utils.merge(mask_utils.frPyObjects([poly], H, W)))
    return rles


def baseline(rles):
    out = []
    for rle in rles:
        props = regionprops(mask_utils.decode(rle))[0]
        out.append([np.ravel(getattr(props, p)) for p in PROPS])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=10)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    images = [make_image(rng) for _ in range(args.images)]
    n = sum(len(r) for r in images)
    shape_metrics_from_rles(images[0][:5])  # warm-up (lazy imports, first-call costs)
    baseline(images[0][:5])

    t0 = time.perf_counter()
    ours = [shape_metrics_from_rles(r) for r in images]
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = [baseline(r) for r in images]
    t_ref = time.perf_counter() - t0

    area = np.concatenate([o['area'] for o in ours])
    ref_area = np.array([row[0][0] for img in ref for row in img])
    major = np.concatenate([o['major_axis'] for o in ours])
    ref_major = np.array([row[3][0] for img in ref for row in img])
    print(f'{args.images} images × 60 particles ({H}×{W}), {n} instances')
    print(f'mmext shape metrics:    {t_ours:7.3f} s  ({1e3 * t_ours / n:.3f} ms/instance)')
    print(f'skimage regionprops:    {t_ref:7.3f} s  ({1e3 * t_ref / n:.3f} ms/instance)')
    print(f'areas equal: {np.array_equal(area, ref_area)}; major axis max rel. diff '
          f'{np.max(np.abs(major - ref_major) / ref_major):.1e}')
    print(f'speed-up: {t_ref / t_ours:.1f}x  (goal >= 10x)')


if __name__ == '__main__':
    main()
