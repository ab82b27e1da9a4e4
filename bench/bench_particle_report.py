"""Time of the particle test report (tools/test.py's ParticleReportHook) for 100 test
images, against the IoU-weighted F1 of the same masks run side by side (the part of
the report the metric evaluator already pays for).

    python bench/bench_particle_report.py [--images 100] [--size 512 640]
"""
import argparse
import os.path as osp
import tempfile
import time

import numpy as np

from mmext.demo.particles import make_particle_dataset, simulated_predictions
from mmext.structures.rle import gt_rles_by_image
from mmext.structures.coco_io import load_coco_gt
from mmext.evaluation.functional import iou_weighted_f1
from mmext.reports.particle_report import write_particle_report


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--images', type=int, default=100)
    parser.add_argument('--size', type=int, nargs=2, default=(512, 640))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        make_particle_dataset(root, seed=0, num_train=0, num_val=args.images, num_test=0,
                              size=tuple(args.size), num_range=(40, 80))
        coco = load_coco_gt(osp.join(root, 'annotations', 'val.json'))
        rng = np.random.default_rng(0)
        images = []
        for img_id, rles in sorted(gt_rles_by_image(coco).items()):
            preds, scores = simulated_predictions(rles, rng, false=2)
            images.append(dict(image_id=img_id, gt_rles=rles, pred_rles=preds, scores=scores,
                               img_path=osp.join(root, 'images', 'val',
                                                 coco.imgs[img_id]['file_name'])))
        n_gt = sum(len(i['gt_rles']) for i in images)
        t0 = time.perf_counter()
        iou_weighted_f1([i['gt_rles'] for i in images], [i['pred_rles'] for i in images])
        t_metric = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_particle_report(osp.join(root, 'report'), images, um_per_px=0.5,
                              log=lambda *_: None)
        t_report = time.perf_counter() - t0
    print(f'{args.images} images {args.size[0]}x{args.size[1]}, {n_gt} particles: '
          f'report {t_report:.1f} s, IoU-F1 alone {t_metric:.2f} s, '
          f'ratio {t_report / t_metric:.1f}x')


if __name__ == '__main__':
    main()
