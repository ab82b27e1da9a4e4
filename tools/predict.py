"""Classify one image or every image in a folder with a config and a checkpoint.

Prints ``path<TAB>class<TAB>score`` per image; ``--out file.csv`` also writes the
results.csv columns (path, predicted class and score, top-k classes and scores).

    python tools/predict.py CONFIG CHECKPOINT IMAGE_OR_FOLDER [...] [--out preds.csv] [--topk 3]
"""
import argparse
import contextlib
import sys


from mmext.utils import InputError, check_outputs, exit_on_input_error
from mmext.utils.terminal import calm_warnings
from mmext.utils.config import add_config_args, load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Predict image classes')
    parser.add_argument('config', help='classification config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('inputs', nargs='+', help='image files or folders (searched recursively)')
    parser.add_argument('--out', help='write the predictions to this CSV file')
    parser.add_argument('--force', action='store_true', help='overwrite an existing --out')
    parser.add_argument('--topk', type=int, default=3, help='classes per image in --out')
    parser.add_argument('--batch-size', type=int, default=1, help='images per forward pass')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    add_config_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    with exit_on_input_error():
        from mmext.apis.cls_inference import build_predictor, list_images, predict_images
        from mmext.engine.checkpoint import install_checkpoint_policy, trust_checkpoint
        from mmext.reports.classification_report import write_results_csv
        install_checkpoint_policy()
        check_outputs([args.out], args.force)  # before the model runs
        if args.topk < 1:
            raise InputError(f'--topk {args.topk}: must be at least 1')
        images = list_images(args.inputs)
        if args.trust_checkpoint:
            trust_checkpoint(args.checkpoint)
        with contextlib.redirect_stdout(sys.stderr):  # logs and progress bar off stdout
            predictor = build_predictor(load_config(args.config, args.cfg_options, args.data_root),
                                        args.checkpoint, device=args.device)
            results, classes = predict_images(predictor, images, args.topk, args.batch_size)
        for r in results:
            print(f'{r["img_path"]}\t{r["pred_class"]}\t{r["pred_score"]:.4f}')
        if args.out:
            import numpy as np
            write_results_csv(args.out, images, np.stack([r['scores'] for r in results]),
                              classes, topk=args.topk, overwrite=args.force)
            print(f'predictions written to {args.out}', file=sys.stderr)


if __name__ == '__main__':
    main()
