"""Test (evaluate) a checkpoint of any mmext config, classification or detection.

Flags follow the upstream tools: ``checkpoint --work-dir --out --show-dir --cfg-options
--tta --launcher``.
"""
import argparse
import os

from mmengine.config import DictAction

from mmext.engine.checkpoint import trust_checkpoint
from mmext.engine.console import Console, run_outputs
from mmext.engine.cpu_distributed import setup_cpu_distributed
from mmext.utils import InputError, exit_on_input_error
from mmext.utils.config import (apply_tta, drop_pretrained_init, get_scope, load_config,
                                register_scope, set_work_dir)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a classifier or a detector')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save evaluation results and reports')
    parser.add_argument('--out', help='dump the predictions to this pickle file')
    parser.add_argument('--show-dir', help='save images with drawn predictions here '
                        '(relative paths are inside work_dir/timestamp)')
    parser.add_argument('--show', action='store_true', help='show predictions in a window')
    parser.add_argument('--wait-time', type=float, default=2, help='interval of --show (s)')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation from the config\'s tta_model / tta_pipeline')
    parser.add_argument('--um-per-px', type=float,
                        help='particle report: microns per pixel (sizes in µm)')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='load the checkpoint with full pickle (weights_only=False): '
                        'only for files you trust')
    parser.add_argument('--data-root', help='move every data path of the config under this '
                        'folder (the config\'s data_root / particle_data_root)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher')
    parser.add_argument('--verbose', action='store_true',
                        help='show mmengine\'s full logs on the console (always in the log file)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(cfg, args):
    """Draw predictions the way each family's own test tool does."""
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise InputError(f'--show/--show-dir: config {args.config} has no '
                         'default_hooks.visualization')
    vis = hooks.visualization
    if get_scope(cfg) == 'mmdet':
        vis.draw = True
        vis.show = args.show
        vis.wait_time = args.wait_time
        if args.show_dir:
            vis.test_out_dir = args.show_dir
    else:
        vis.enable = True
        vis.show = args.show
        vis.wait_time = args.wait_time
        vis.out_dir = args.show_dir


def dump_metric(scope, out):
    """The upstream metric that pickles the predictions for ``--out``."""
    if scope == 'mmdet':
        from mmdet.evaluation import DumpDetResults
        if not out.endswith(('.pkl', '.pickle')):
            raise InputError(f'--out {out}: the dump file must end in .pkl or .pickle')
        return DumpDetResults(out_file_path=out)
    from mmengine.evaluator import DumpResults
    return DumpResults(out_file_path=out)


def build_test_config(args):
    cfg = load_config(args.config, args.cfg_options, args.data_root)
    if not os.path.isfile(args.checkpoint):
        raise InputError(f'checkpoint not found: {args.checkpoint}')
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint
    drop_pretrained_init(cfg)  # the checkpoint holds every weight
    if args.trust_checkpoint:
        trust_checkpoint(args.checkpoint)
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.tta:
        apply_tta(cfg, args.config)
    if args.um_per_px:
        cfg.um_per_px = args.um_per_px
    return cfg


def main(argv=None):
    args = parse_args(argv)
    with exit_on_input_error(config=args.config):
        cfg = build_test_config(args)
        scope = get_scope(cfg)
        register_scope(scope)
        setup_cpu_distributed(cfg, args.launcher)
        with Console(args.verbose) as console:
            runner = console.build(cfg)
            if args.out:
                runner.test_evaluator.metrics.append(dump_metric(scope, args.out))
            metrics = runner.test()
        console.summary('test', list(metrics.items()), run_outputs(runner))


if __name__ == '__main__':
    main()
