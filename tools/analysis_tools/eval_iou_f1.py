"""Score a COCO results json against a ground-truth json.

Prints the particle challenge's IoU-weighted F1 (precision, recall, ΣIoU, TP/FP/FN) and,
with ``--coco-map``, COCO bbox and segm mAP beside it (pycocotools COCOeval: its per-image
Python loops take minutes on a competition-sized set, where the F1 takes seconds).

    python tools/analysis_tools/eval_iou_f1.py data/particles/annotations/val.json work_dirs/val_results.json
"""
import argparse
import json

from mmext.utils import exit_on_input_error
from mmext.utils.score_range import score_thr_arg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('gt', help='COCO ground-truth json')
    parser.add_argument('results', help='COCO results json (list of detections)')
    parser.add_argument('--score-thr', type=score_thr_arg, default=0.0,
                        help='drop detections scoring below this first')
    parser.add_argument('--coco-map', action='store_true',
                        help='also COCO bbox and segm mAP (COCOeval; slow on large sets)')
    parser.add_argument('--out', help='also write the numbers to this json')
    parser.add_argument('--force', action='store_true', help='overwrite an existing --out')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmext.reports.score_results import evaluate_results_file
    from mmext.utils import atomic_write, check_outputs
    with exit_on_input_error():
        check_outputs([args.out], args.force)  # before the (minutes of) COCO evaluation
        m = evaluate_results_file(args.gt, args.results, score_thr=args.score_thr,
                                  with_coco_map=args.coco_map)
    print(f"images {m['num_images']}  predictions {m['num_predictions']}")
    num = {k: 'undefined' if m[k] is None else f'{m[k]:.4f}'
           for k in ('iou_f1', 'iou_precision', 'iou_recall')}
    print(f"IoU-weighted F1 {num['iou_f1']}  precision {num['iou_precision']}  "
          f"recall {num['iou_recall']}  (ΣIoU {m['sum_iou']:.2f}, TP {m['tp']}, "
          f"FP {m['fp']}, FN {m['fn']})")
    if m['iou_f1'] is None:
        print('the ground truth has no annotations: F1 and recall are undefined')
    for iou_type in ('bbox', 'segm'):
        if f'{iou_type}_mAP' in m:
            print(f"COCO {iou_type:4s} mAP {m[f'{iou_type}_mAP']:.4f}  "
                  f"mAP_50 {m[f'{iou_type}_mAP_50']:.4f}  mAP_75 {m[f'{iou_type}_mAP_75']:.4f}")
    if args.out:
        with exit_on_input_error(), atomic_write(args.out, overwrite=args.force) as f:
            json.dump(m, f, indent=2)
    return m


if __name__ == '__main__':
    main()
