"""Split folder-per-class image data into reproducible train/val/test annotation files.

Example::

    python tools/split_dataset.py data/flowers/flower_photos --ratios 0.8 0.1 0.1 --seed 0

writes ``train.txt``, ``val.txt``, ``test.txt`` (``<class>/<file> <label_index>`` lines, read
by mmpretrain's ``CustomDataset`` with ``ann_file=...``) and ``classes.txt`` into the data
folder or ``--out-dir``. Every class is split in the given proportions; the same data and
seed always give the same files.
"""
import argparse

from mmext.datasets.split import write_split
from mmext.utils import exit_on_input_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='folder with one sub-folder of images per class')
    parser.add_argument('--ratios', type=float, nargs='+', default=[0.8, 0.1, 0.1],
                        help='2 (train val) or 3 (train val test) fractions summing to 1')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--out-dir', help='where to write the files (default: ROOT)')
    parser.add_argument('--names', nargs='+', help='split names (default: train val [test])')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with exit_on_input_error():
        summary = write_split(args.root, args.ratios, args.seed, args.out_dir, args.names)
    width = max(len(c) for c in summary['classes'])
    names = list(summary['counts'])
    print(f'{"class":<{width}}  ' + '  '.join(f'{n:>6}' for n in names))
    for i, name in enumerate(summary['classes']):
        print(f'{name:<{width}}  ' + '  '.join(f'{summary["counts"][n][i]:>6}' for n in names))
    print('wrote ' + ', '.join(summary['files']))


if __name__ == '__main__':
    main()
