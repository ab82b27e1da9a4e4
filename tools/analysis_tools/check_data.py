"""Check a config's data before training: every split, every image.

    python tools/analysis_tools/check_data.py CONFIG [--data-root DIR] [--cfg-options k=v ...] \\
        [--work-dir DIR] [--out data_check.json]

Builds the train/val/test datasets of any mmext config (no model), decodes and hashes
every image, and prints a short table and the findings; the full report is written as
JSON (default ``<work_dir>/data_check.json``, dataset logs beside it in
``data_check.log``). Exit status: 0 when there are warnings at most (each printed with
the ``--cfg-options`` that fix it), 1 on errors (unreadable images, identical files
across splits, an empty split), 2 on bad input (config, data root, a dataset that
cannot be built).
"""
import argparse
import json
import os
import os.path as osp
import sys


from mmext.datasets.data_check import check_data
from mmext.datasets.data_check.report import print_report
from mmext.utils import atomic_write, exit_on_input_error
from mmext.utils.terminal import calm_warnings
from mmext.utils.config import add_config_args, load_config, set_work_dir
from mmext.utils.data_root import root_key


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    add_config_args(parser, checkpoint=False)
    parser.add_argument('--work-dir', help='where the report goes (default: the config\'s '
                        'work_dir or ./work_dirs/<config name>)')
    parser.add_argument('--out', help='the JSON report (default: <work_dir>/data_check.json)')
    parser.add_argument('--workers', type=int, default=min(4, os.cpu_count() or 1),
                        help='threads decoding and hashing images (default: up to 4)')
    return parser.parse_args(argv)


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    with exit_on_input_error():
        cfg = load_config(args.config, args.cfg_options, args.data_root)
        set_work_dir(cfg, args.work_dir, args.config)
        out = args.out or osp.join(cfg.work_dir, 'data_check.json')
        log_file = osp.join(osp.dirname(osp.abspath(out)), 'data_check.log')
        report = check_data(cfg, workers=args.workers, log_file=log_file)
    report = dict(config=args.config, data_root=cfg.get(root_key(cfg)) if root_key(cfg) else None,
                  log=log_file, **report)
    with atomic_write(out) as f:
        json.dump(report, f, indent=1)
    print_report(report, out)
    sys.exit(1 if report['errors'] else 0)


if __name__ == '__main__':
    main()
