"""Split a COCO json by image into train/val, or into k folds, deterministically.

    python tools/dataset_converters/split_coco.py data/particles/annotations/train.json --val-ratio 0.2 \
        --seed 0 --out-dir data/particles/annotations/split
    python tools/dataset_converters/split_coco.py train.json --folds 5 --out-dir data/particles/annotations/folds

Writes ``train.json``/``val.json`` (or ``fold_{k}/train.json``/``fold_{k}/val.json``);
annotations follow their images; categories and info are kept.
"""
import argparse

from mmext.utils import exit_on_input_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='COCO json to split')
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--val-ratio', type=float, default=0.2,
                       help='share of images in val (default 0.2)')
    group.add_argument('--folds', type=int, default=0, help='write k folds instead')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out-dir', required=True)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from mmext.datasets.coco_split import write_splits
    with exit_on_input_error():
        written = write_splits(args.ann_file, args.out_dir, val_ratio=args.val_ratio,
                               seed=args.seed, folds=args.folds)
    for path, part in written.items():
        print(f"{path}: {len(part['images'])} images, "
              f"{len(part.get('annotations', []))} annotations")
    return written


if __name__ == '__main__':
    main()
