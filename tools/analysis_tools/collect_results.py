"""Run a list of configs (train, then test) and collect their final metrics into one
table, written as CSV and Markdown.

    python tools/analysis_tools/collect_results.py configs/particles/ablations/*.py \
        --work-dir-root work_dirs --out results/ablations [--collect-only] [--tta]

``--collect-only`` skips training/testing and reads the existing work_dirs
(``<work-dir-root>/<config name>/``). Configs may also be listed in a text file
(``--list FILE``, one per line).
"""
import argparse
import os.path as osp

from mmengine.utils import track_iter_progress

from mmext.reports.ablation_table import (DEFAULT_METRICS, collect, config_name,
                                          run_config, write_tables)
from mmext.utils import InputError, exit_on_input_error
from mmext.utils.terminal import calm_warnings


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Run configs and tabulate their metrics')
    parser.add_argument('configs', nargs='*', help='config files')
    parser.add_argument('--list', help='text file listing config files, one per line')
    parser.add_argument('--work-dir-root', default='work_dirs',
                        help='each config runs in <root>/<config name>')
    parser.add_argument('--out', default='results',
                        help='output path without extension: writes .csv and .md')
    parser.add_argument('--metrics', nargs='+', default=list(DEFAULT_METRICS))
    parser.add_argument('--collect-only', action='store_true',
                        help='only read the existing work_dirs')
    parser.add_argument('--tta', action='store_true', help='test with --tta')
    return parser.parse_args(argv)


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    with exit_on_input_error():
        configs = list(args.configs)
        if args.list:
            with open(args.list) as f:
                configs += [line.strip() for line in f if line.strip()]
        if not configs:
            raise InputError('no configs given')
        missing = [c for c in configs if not osp.isfile(c)]
        if missing:
            raise InputError(f'config not found: {missing[0]}')
        if not args.collect_only:
            for config in track_iter_progress(configs):
                run_config(config, osp.join(args.work_dir_root, config_name(config)), args.tta)
        rows = collect(configs, args.work_dir_root, args.metrics)
        write_tables(rows, args.out + '.csv', args.out + '.md')
        print(f'wrote {args.out}.csv and {args.out}.md ({len(rows)} configs)')


if __name__ == '__main__':
    main()
