"""Test (evaluate) a checkpoint of any mmext config, classification or detection.

Flags follow the upstream tools: ``checkpoint --work-dir --out --show-dir --cfg-options
--tta --launcher``. ``--submission OUT.json [--img-dir DIR | --ann test.json]`` writes the
competition's results json of a particle model (mmext's ``ParticleSubmissionMetric`` as
the test evaluator, as mmdet's ``CocoMetric(format_only=True)``) instead of scoring.
"""
import argparse

from mmext.apis.run_test import build_test_config, run_test
from mmext.engine.checkpoint import install_checkpoint_policy
from mmext.utils import InputError, exit_on_input_error
from mmext.utils.config import add_config_args, add_launcher_args, parse_launcher_args
from mmext.utils.terminal import calm_warnings
from mmext.utils.score_range import score_thr_arg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a classifier or a detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save evaluation results and reports')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    sub = parser.add_argument_group(
        'submission (particle configs): write the COCO results json of the test set '
        'instead of scoring it')
    sub.add_argument('--submission', metavar='OUT.json', help='results json to write')
    sub.add_argument('--ann', help='images-only COCO json of the test set (its image ids)')
    sub.add_argument('--img-dir', help='folder of the test images (alone: every image, '
                     'ids 1..N by sorted name, listed in OUT.images.json)')
    sub.add_argument('--score-thr', type=score_thr_arg, help='drop predictions scoring below this '
                     '(after the model\'s own test_cfg threshold)')
    sub.add_argument('--max-per-img', type=int, help='keep at most this many per image')
    sub.add_argument('--force', action='store_true', help='overwrite OUT.json')
    parser.add_argument('--show-dir', help='save images with drawn predictions here '
                        '(relative paths are inside work_dir/timestamp)')
    parser.add_argument('--show', action='store_true', help='show predictions in a window')
    parser.add_argument('--wait-time', type=float, default=2, help='interval of --show (s)')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation from the config\'s tta_model / tta_pipeline')
    parser.add_argument('--um-per-px', type=float,
                        help='particle report: microns per pixel (sizes in µm)')
    add_config_args(parser)
    add_launcher_args(parser)
    return parse_launcher_args(parser, argv)


def submission_args(args):
    """``--submission``: the :func:`~mmext.utils.test_config.use_submission` arguments."""
    if not args.submission:
        for flag in ('ann', 'img_dir', 'score_thr', 'max_per_img'):
            if getattr(args, flag) is not None:
                raise InputError(f"--{flag.replace('_', '-')} goes with --submission")
        return None
    return dict(outfile=args.submission, ann_file=args.ann, img_dir=args.img_dir,
                score_thr=args.score_thr or 0.0, max_per_img=args.max_per_img,
                overwrite=args.force)


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    install_checkpoint_policy()
    with exit_on_input_error(config=args.config):
        cfg = build_test_config(
            args.config, args.checkpoint, args.cfg_options, args.data_root,
            trust_checkpoint=args.trust_checkpoint, um_per_px=args.um_per_px,
            work_dir=args.work_dir, launcher=args.launcher, show=args.show,
            show_dir=args.show_dir, wait_time=args.wait_time, tta=args.tta, out=args.out,
            submission=submission_args(args))
        outputs = [('submission', args.submission)] if args.submission else []
        return run_test(cfg, args.launcher, args.verbose, outputs)


if __name__ == '__main__':
    main()
