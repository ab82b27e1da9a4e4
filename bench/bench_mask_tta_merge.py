"""Which way to merge flipped views of instance masks (MaskTTAModel's ``tta_cfg.method``)?

No trained particle model ships with mmext, so the views are simulated on the demo
particle val set (mmext.demo.make_particle_dataset): for each of 3 views (identity,
h-flip, v-flip, already un-flipped) a detector-like predictor finds each particle with
a probability that depends on a per-particle difficulty shared by the views, draws its
mask with independent boundary noise, and adds what real detectors add among touching
particles: partial masks (half a particle) and masks spanning two neighbours, plus
strays on the background. Every merge method then runs on the same views and is
scored with the competition's IoU-weighted F1 (mmext.evaluation.functional).

    python bench/bench_mask_tta_merge.py [--images 24] [--seed 0]

``--speed`` times the merge instead, at the particle photos' size (1024x1280, 3 views of
``--per-view`` particles each), side by side with the same merge on full-size masks
(:func:`mmext.testing.merge_instances_dense`), and checks both give the same result:

    python bench/bench_mask_tta_merge.py --speed [--per-view 100] [--repeats 3]
"""
import argparse
import time

import cv2
import numpy as np
import torch
from pycocotools import mask as mask_utils

from mmext.demo.particles import render_particle_image
from mmext.evaluation.functional.iou_weighted_f1 import image_counts, scores_from_counts
from mmext.evaluation.functional.iou_weighted_f1 import IoUCounts
from mmext.models.tta import merge_instances
from mmext.testing import merge_instances_dense

NUM_VIEWS = 3
SCORE_THR = 0.4  # the particle configs' test score_thr, applied per view


def _jitter(mask, rng, sigma=1.5, amp=0.35):
    """Boundary noise: blur the mask, add a smooth random field, threshold."""
    field = cv2.GaussianBlur(rng.normal(0, 1, mask.shape).astype(np.float32), (0, 0), 3)
    field *= amp / (field.std() + 1e-6)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma)
    band = (soft > 0.02) & (soft < 0.98)  # noise only along the outline
    return np.where(band, soft + field, soft) > 0.5


def _half(mask, rng):
    ys, xs = np.nonzero(mask)
    angle = rng.uniform(0, np.pi)
    proj = (xs - xs.mean()) * np.cos(angle) + (ys - ys.mean()) * np.sin(angle)
    out = np.zeros_like(mask)
    keep = proj > 0
    out[ys[keep], xs[keep]] = True
    return out


def simulate_views(gt_masks, rng):
    """Return per view (masks (N,H,W) bool, scores (N,)) above SCORE_THR."""
    n, (h, w) = len(gt_masks), gt_masks[0].shape
    difficulty = rng.beta(1.2, 3.0, n)
    centers = [np.argwhere(m).mean(0) for m in gt_masks]
    views = []
    for _ in range(NUM_VIEWS):
        masks, scores = [], []
        for i, gt in enumerate(gt_masks):
            if rng.random() < 0.97 - 0.6 * difficulty[i]:
                masks.append(_jitter(gt, rng))
                scores.append(0.95 - 0.5 * difficulty[i] + rng.normal(0, 0.08))
            if rng.random() < 0.12:  # partial mask (half a particle)
                masks.append(_jitter(_half(gt, rng), rng))
                scores.append(rng.uniform(0.3, 0.7))
            if rng.random() < 0.06:  # one mask over two touching neighbours
                d = [np.hypot(*(centers[i] - c)) if j != i else np.inf
                     for j, c in enumerate(centers)]
                j = int(np.argmin(d))
                if d[j] < 30:
                    masks.append(_jitter(gt | gt_masks[j], rng))
                    scores.append(rng.uniform(0.3, 0.7))
        for _ in range(rng.poisson(2)):  # strays on the background
            stray = np.zeros((h, w), np.uint8)
            cv2.circle(stray, (int(rng.uniform(0, w)), int(rng.uniform(0, h))),
                       int(rng.uniform(3, 8)), 1, -1)
            masks.append(stray > 0)
            scores.append(rng.uniform(0.3, 0.6))
        masks, scores = np.array(masks), np.clip(scores, 0, 1)
        keep = scores >= SCORE_THR
        views.append((torch.from_numpy(masks[keep]), torch.from_numpy(scores[keep]).float()))
    return views


def rles(masks):
    return mask_utils.encode(np.asfortranarray(np.asarray(masks, np.uint8).transpose(1, 2, 0)))


METHODS = {
    'single view (no TTA)': None,
    'concat (no merging)': dict(method='concat'),
    'nms (best of group)': dict(method='nms'),
    'union of group': dict(method='union'),
    'fusion vote>=0.5': dict(method='fusion'),
    'nms, min_votes=2': dict(method='nms', min_votes=2),
    'union, min_votes=2': dict(method='union', min_votes=2),
    'fusion vote>=0.5, min_votes=2': dict(method='fusion', min_votes=2),
    'nms, min_votes=2 +isolated': dict(method='nms', min_votes=2, keep_isolated=True),
    'fusion, min_votes=2 +isolated': dict(method='fusion', min_votes=2, keep_isolated=True),
    'fusion iou0.3 min_votes=2 +isol': dict(method='fusion', iou_thr=0.3, min_votes=2,
                                            keep_isolated=True),
}


def photo_views(rng, per_view, size=(1024, 1280)):
    """3 views of ``per_view`` discs (radius 6-40 px, touching allowed) on a photo-sized
    frame, each view's outline shifted by up to 2 px; scores uniform in 0.4-1."""
    h, w = size
    centers = rng.uniform([20, 20], [h - 20, w - 20], (per_view, 2))
    radii = rng.uniform(6, 40, per_view)
    views = []
    for _ in range(NUM_VIEWS):
        masks = np.zeros((per_view, h, w), np.uint8)
        for m, (y, x), r in zip(masks, centers + rng.normal(0, 1, centers.shape), radii):
            cv2.circle(m, (int(x), int(y)), int(r), 1, -1)
        views.append((torch.from_numpy(masks.astype(bool)),
                      torch.from_numpy(rng.uniform(0.4, 1, per_view)).float(),
                      torch.zeros(per_view, dtype=torch.long)))
    return views


def speed(args):
    rng = np.random.default_rng(args.seed)
    views = photo_views(rng, args.per_view)
    inputs = [[v[i] for v in views] for i in range(3)]
    torch.set_num_threads(1)
    print(f'{NUM_VIEWS} views x {args.per_view} particles, 1024x1280, one torch thread, '
          f'CPU s per merge (best of {args.repeats}, interleaved)')
    print(f"{'merge':12s} {'full-size':>10s} {'crops':>8s} {'ratio':>7s} {'instances':>9s}")
    for method in ('fusion', 'union', 'nms'):
        best = {'full-size': np.inf, 'crops': np.inf}
        for _ in range(args.repeats):
            for name, fn in (('full-size', merge_instances_dense), ('crops', merge_instances)):
                t = time.process_time()
                out = fn(*inputs, method=method)
                best[name] = min(best[name], time.process_time() - t)
                if name == 'full-size':
                    want = out
        assert all(torch.equal(a, b) for a, b in zip(out, want)), method
        print(f"{method:12s} {best['full-size']:10.2f} {best['crops']:8.2f} "
              f"{best['crops'] / best['full-size']:7.3f} {len(out[0]):9d}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=24)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--speed', action='store_true',
                        help='time the merge at 1024x1280 against the full-size-mask merge')
    parser.add_argument('--per-view', type=int, default=100)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    if args.speed:
        return speed(args)
    rng = np.random.default_rng(args.seed)
    totals = {name: IoUCounts() for name in METHODS}
    times = {name: 0.0 for name in METHODS}
    for _ in range(args.images):
        _, gt = render_particle_image(rng, (256, 320), (40, 80))
        gt = [m.astype(bool) for m in gt]
        gt_rles = rles(np.array(gt))
        views = simulate_views(gt, rng)
        for name, kwargs in METHODS.items():
            t = time.perf_counter()
            if kwargs is None:
                masks = views[0][0]
            else:
                masks, _, _ = merge_instances(
                    [v[0] for v in views], [v[1] for v in views],
                    [torch.zeros(len(v[1]), dtype=torch.long) for v in views], **kwargs)
            times[name] += time.perf_counter() - t
            pred = rles(masks.numpy()) if len(masks) else []
            totals[name] = IoUCounts(*(a + b for a, b in zip(totals[name],
                                                            image_counts(gt_rles, pred))))
    print(f'{args.images} simulated images, {NUM_VIEWS} views, score_thr {SCORE_THR}')
    print(f"{'merge':32s} {'IoU-F1':>7s} {'prec':>6s} {'recall':>6s} {'FP':>5s} "
          f"{'FN':>5s} {'ms/img':>7s}")
    for name in METHODS:
        s = scores_from_counts(totals[name])
        c = totals[name]
        print(f"{name:32s} {s['iou_f1']:7.4f} {s['iou_precision']:6.4f} "
              f"{s['iou_recall']:6.4f} {c.fp:5d} {c.fn:5d} "
              f'{1000 * times[name] / args.images:7.1f}')


if __name__ == '__main__':
    main()
