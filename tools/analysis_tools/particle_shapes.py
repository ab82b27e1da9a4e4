"""Particle size and shape metrics (CSV + histograms) from a COCO gt or results json.

    # ground truth alone
    python tools/analysis_tools/particle_shapes.py data/particles/annotations/val.json --um-per-px 0.8 \
        --out-dir work_dirs/shapes_gt
    # predictions, side by side with the ground truth
    python tools/analysis_tools/particle_shapes.py results.json --compare val.json --score-thr 0.5 \
        --um-per-px 0.8 --out-dir work_dirs/shapes_pred

Per instance: area, equivalent diameter, perimeter, circularity, axes, aspect ratio,
solidity, Feret max/min, centroid (px, and µm with --um-per-px); per image and set:
count, mean, std, D10/D50/D90; with --compare, the differences of the distributions.
"""
import argparse

from mmext.utils import exit_on_input_error
from mmext.utils.score_range import score_thr_arg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('input', help='COCO ground-truth json or results json')
    parser.add_argument('--gt', help='ground-truth json giving image names/sizes for results')
    parser.add_argument('--compare', help='ground-truth json to compare predictions with')
    parser.add_argument('--um-per-px', type=float, help='micrometres per pixel')
    parser.add_argument('--score-thr', type=score_thr_arg, default=0.0,
                        help='drop predictions scoring below this')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--no-hist', action='store_true', help='skip the PNG histograms')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmext.reports.shape_report import column, shape_report
    with exit_on_input_error():
        out = shape_report(args.input, args.out_dir, gt_json=args.gt,
                           compare_json=args.compare, um_per_px=args.um_per_px,
                           score_thr=args.score_thr, histograms=not args.no_hist)
    d = column('equivalent_diameter', args.um_per_px)
    import numpy as np
    from mmext.evaluation.functional.shape_metrics import summarize
    for name in ('gt', 'pred'):
        if name in out:
            s = summarize(out[name]['table'][d])
            print(f"{name}: {s['count']} particles; {d} mean {s['mean']:.3g} std "
                  f"{s['std']:.3g} D10 {s['d10']:.3g} D50 {s['d50']:.3g} D90 {s['d90']:.3g}")
    if 'comparison' in out:
        row = next(r for r in out['comparison'] if r[0] == d)
        print(f'pred - gt {d}: mean {row[5]:+.3g}, median {row[8]:+.3g}, KS {row[9]:.3f}'
              if np.isfinite(row[5]) else 'no predictions to compare')
    print(f'written to {args.out_dir}')
    return out


if __name__ == '__main__':
    main()
