"""Write a competition submission: COCO results json of a model on the test images.

    python tools/submit.py configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py \
        work_dirs/mask-rcnn/epoch_12.pth --ann data/particles/annotations/test.json \
        --img-dir data/particles/images/test --out submission.json --score-thr 0.4 --tta

``--ann`` keeps the test json's image ids (images looked up in ``--img-dir``, default:
the config's test image folder); ``--img-dir`` alone lists the folder sorted by file
name, numbers the images 1…N in that order and writes that list as
``<out>.images.json``. Each result: ``image_id, category_id, segmentation`` (RLE, string
counts), ``bbox`` [x, y, w, h], ``score``. Refuses to overwrite without ``--force``.
"""
import argparse

from mmengine.config import DictAction

from mmext.utils import exit_on_input_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--ann', help='images-only COCO json of the test set')
    parser.add_argument('--img-dir', help='folder of the test images')
    parser.add_argument('--out', required=True, help='results json to write')
    parser.add_argument('--score-thr', type=float, default=0.0,
                        help='drop predictions scoring below this (after the model\'s own '
                        'test_cfg threshold)')
    parser.add_argument('--max-per-img', type=int, help='keep at most this many per image')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation via cfg.tta_model / cfg.tta_pipeline')
    parser.add_argument('--force', action='store_true', help='overwrite --out')
    parser.add_argument('--device', help='cuda or cpu (default: cuda when available)')
    parser.add_argument('--num-workers', type=int, help='dataloader workers')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='load the checkpoint with full pickle (weights_only=False): '
                        'only for files you trust')
    parser.add_argument('--data-root', help='move every data path of the config under this '
                        'folder (the config\'s data_root / particle_data_root)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmext.apis.submission import run_submission
    from mmext.engine.checkpoint import trust_checkpoint
    if args.trust_checkpoint:
        trust_checkpoint(args.checkpoint)
    with exit_on_input_error():
        s = run_submission(args.config, args.checkpoint, args.out, ann_file=args.ann,
                           img_dir=args.img_dir, score_thr=args.score_thr,
                           max_per_img=args.max_per_img, tta=args.tta, force=args.force,
                           device=args.device, num_workers=args.num_workers,
                           cfg_options=args.cfg_options, data_root=args.data_root)
    print(f"{s['predictions']} predictions on {s['images']} images "
          f"({s['images_without_predictions']} without any) written to {s['out']}")
    if s['images_json']:
        print(f"image ids (sorted file names → 1…N) written to {s['images_json']}")
    return s


if __name__ == '__main__':
    main()
