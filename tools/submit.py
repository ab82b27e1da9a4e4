"""Write a competition submission: COCO results json of a model on the test images.

    python tools/submit.py configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py \
        work_dirs/mask-rcnn/epoch_12.pth --img-dir data/particles/images/test \
        --out submission.json --score-thr 0.4 --tta

A shorthand for ``tools/test.py CONFIG CKPT --submission OUT [--ann] [--img-dir] ...``:
the same Runner test loop with ``ParticleSubmissionMetric`` as the test evaluator.
``--ann`` keeps the test json's image ids (images looked up in ``--img-dir``, default:
the config's test image folder); ``--img-dir`` alone lists the folder sorted by file
name, numbers the images 1…N in that order and writes that list as
``<out>.images.json``. Each result: ``image_id, category_id, segmentation`` (RLE, string
counts), ``bbox`` [x, y, w, h], ``score``. Refuses to overwrite without ``--force``.
"""
import argparse
import os


from mmext.utils import InputError, exit_on_input_error
from mmext.utils.config import add_config_args
from mmext.utils.terminal import calm_warnings
from mmext.utils.score_range import score_thr_arg


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--ann', help='images-only COCO json of the test set')
    parser.add_argument('--img-dir', help='folder of the test images')
    parser.add_argument('--out', required=True, help='results json to write')
    parser.add_argument('--score-thr', type=score_thr_arg, default=0.0,
                        help='drop predictions scoring below this (after the model\'s own '
                        'threshold: the one validated and saved with the checkpoint, else '
                        'test_cfg\'s; giving it keeps test_cfg\'s instead of the checkpoint\'s)')
    parser.add_argument('--max-per-img', type=int, help='keep at most this many per image')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation via cfg.tta_model / cfg.tta_pipeline')
    parser.add_argument('--force', action='store_true', help='overwrite --out')
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        help='cpu: run on the CPU even where a GPU is present '
                        '(default: the GPU when available)')
    parser.add_argument('--num-workers', type=int, help='dataloader workers')
    parser.add_argument('--work-dir', help='logs (default: ./work_dirs/<config name>)')
    add_config_args(parser)
    parser.add_argument('--verbose', action='store_true',
                        help='show mmengine\'s full logs on the console (always in the log file)')
    return parser.parse_args(argv)


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    with exit_on_input_error(config=args.config):
        from mmext.apis.run_test import build_test_config, run_test
        from mmext.engine.checkpoint import install_checkpoint_policy
        install_checkpoint_policy()
        if args.ann is None and args.img_dir is None:
            raise InputError('give the test set: --ann test.json and/or --img-dir folder')
        if args.device == 'cpu':
            os.environ['CUDA_VISIBLE_DEVICES'] = ''  # before torch first looks for a GPU
        cfg = build_test_config(
            args.config, args.checkpoint, args.cfg_options, args.data_root,
            trust_checkpoint=args.trust_checkpoint, work_dir=args.work_dir, tta=args.tta,
            submission=dict(outfile=args.out, ann_file=args.ann, img_dir=args.img_dir,
                            score_thr=args.score_thr, max_per_img=args.max_per_img,
                            overwrite=args.force, num_workers=args.num_workers))
        return run_test(cfg, verbose=args.verbose, outputs=[('submission', args.out)])


if __name__ == '__main__':
    main()
