"""Split a classification set into reproducible train/val(/test) annotation files.

Folder per class (chest X-ray, flowers)::

    python tools/dataset_converters/split_dataset.py data/flowers/flower_photos --ratios 0.8 0.1 0.1 --seed 0

writes ``train.txt``, ``val.txt``, ``test.txt`` (``<class>/<file> <label_index>`` lines, read
by mmpretrain's ``CustomDataset``) and ``classes.txt``.

One annotation CSV over one image folder (UHCSDB's ``metadata.csv``)::

    python tools/dataset_converters/split_dataset.py data/uhcsdb/metadata.csv --group-column sample_key

writes ``train.csv``, ``val.csv``, ``test.csv`` (the CSV's rows, every column kept, read by
``CSVDataset``) and ``classes.txt``; with ``--group-column`` all rows of one group (a
physical sample, a processing condition) land in the same split. Every class is split in the
given proportions (with groups: as near as whole groups allow); the same data and seed
always give the same files.
"""
import argparse
import os.path as osp

from mmext.datasets.split import LABEL_COLUMN, write_csv_split, write_split
from mmext.utils import InputError, exit_on_input_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='folder with one sub-folder of images per class, '
                        'or an annotation CSV (one row per image)')
    parser.add_argument('--ratios', type=float, nargs='+', default=[0.8, 0.1, 0.1],
                        help='2 (train val) or 3 (train val test) fractions summing to 1')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--out-dir', help='where to write the files (default: ROOT or the '
                        'CSV\'s folder)')
    parser.add_argument('--names', nargs='+', help='split names (default: train val [test])')
    parser.add_argument('--label-column', default=LABEL_COLUMN,
                        help='CSV only: the column holding the class')
    parser.add_argument('--group-column',
                        help='CSV only: keep the rows of each group in one split '
                        '(e.g. sample_key)')
    return parser.parse_args(argv)


def print_summary(summary):
    width = max(len(c) for c in summary['classes'] + ['class', 'groups'])
    names = list(summary['counts'])
    print(f'{"class":<{width}}  ' + '  '.join(f'{n:>6}' for n in names))
    for i, name in enumerate(summary['classes']):
        print(f'{name:<{width}}  ' + '  '.join(f'{summary["counts"][n][i]:>6}' for n in names))
    if summary.get('groups'):
        print(f'{"groups":<{width}}  ' + '  '.join(f'{summary["groups"][n]:>6}' for n in names))
    for split, name in summary.get('missing', []):
        print(f'warning: class {name!r} has no image in {split} (too few groups to share)')
    print('wrote ' + ', '.join(summary['files']))


def main(argv=None):
    args = parse_args(argv)
    with exit_on_input_error():
        if osp.isfile(args.root):
            summary = write_csv_split(args.root, args.ratios, args.seed, args.out_dir,
                                      args.names, args.label_column, args.group_column)
        elif args.group_column:
            raise InputError(f'--group-column {args.group_column}: {args.root} is a folder '
                             'of class folders; groups need an annotation CSV')
        else:
            summary = write_split(args.root, args.ratios, args.seed, args.out_dir, args.names)
    print_summary(summary)


if __name__ == '__main__':
    main()
