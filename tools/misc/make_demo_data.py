"""Generate the demo datasets (deterministic from --seed) into a git-ignored folder.

    python tools/misc/make_demo_data.py                 # data/demo/{micrographs,particles}
    python tools/misc/make_demo_data.py --out-dir /tmp/demo --seed 1
    python tools/misc/make_demo_data.py --only texture-micrographs   # data/demo/texture-micrographs
"""
import argparse
import os.path as osp

from mmext.demo import (make_micrograph_dataset, make_particle_dataset,
                        make_texture_micrograph_dataset)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Generate the mmext demo datasets')
    parser.add_argument('--out-dir', default='data/demo', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument('--only', choices=['micrographs', 'particles', 'texture-micrographs'],
                        help='generate one set (texture-micrographs: the harder set whose '
                        'classes differ only in fine texture, written only on request)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.only in (None, 'micrographs'):
        root = osp.join(args.out_dir, 'micrographs')
        splits = make_micrograph_dataset(root, seed=args.seed)
        print(f'micrographs: {root} ({", ".join(f"{k} {v}" for k, v in splits.items())} images)')
    if args.only in (None, 'particles'):
        root = osp.join(args.out_dir, 'particles')
        counts = make_particle_dataset(root, seed=args.seed)
        print(f'particles:   {root} ({", ".join(f"{k} {v}" for k, v in counts.items())} particles)')

    if args.only == 'texture-micrographs':
        root = osp.join(args.out_dir, 'texture-micrographs')
        splits = make_texture_micrograph_dataset(root, seed=args.seed)
        print(f'texture micrographs: {root} '
              f'({", ".join(f"{k} {v}" for k, v in splits.items())} images)')


if __name__ == '__main__':
    main()
