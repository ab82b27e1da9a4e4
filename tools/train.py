"""Train any mmext config: classification (mmpretrain scope) or detection (mmdet scope).

Flags follow the upstream tools: ``--work-dir --cfg-options --resume [path] --amp
--auto-scale-lr --launcher {none,pytorch,slurm,mpi}``.
"""
import argparse

from mmengine.logging import print_log

from mmext.engine.checkpoint import trust_checkpoint
from mmext.engine.console import Console, last_val_metrics, run_outputs
from mmext.engine.cpu_distributed import setup_cpu_distributed
from mmext.engine.resume import find_resumable_checkpoint
from mmext.utils import exit_on_input_error
from mmext.utils.terminal import calm_warnings
from mmext.utils.config import (add_checkpoint_fit_hook, add_config_args, add_launcher_args,
                                drop_pretrained_init, enable_amp, enable_auto_scale_lr,
                                load_config, parse_launcher_args, set_resume, set_work_dir)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a classifier or a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (GPU only; ignored with a warning on CPU)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the LR by the actual batch size over auto_scale_lr.base_batch_size')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or (no value) from the latest in work_dir')
    add_config_args(parser)
    add_launcher_args(parser)
    return parse_launcher_args(parser, argv)


def build_train_config(args):
    cfg = load_config(args.config, args.cfg_options, args.data_root)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg, args.config)
    set_resume(cfg, args.resume)
    add_checkpoint_fit_hook(cfg, finetune=True)  # a resume must fit; load_from may not
    checkpoint = cfg.get('load_from')
    if cfg.get('resume') and not checkpoint:
        checkpoint = cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
    if checkpoint:
        # every weight comes from the checkpoint: skip init_cfg downloads
        for path in drop_pretrained_init(cfg):
            print_log(f'{path}: Pretrained init skipped, weights come from the checkpoint',
                      logger='current')
        if args.trust_checkpoint:
            trust_checkpoint(checkpoint)
    return cfg


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    with exit_on_input_error(config=args.config):
        cfg = build_train_config(args)
        setup_cpu_distributed(cfg, args.launcher)
        with Console(args.verbose) as console:
            runner = console.build(cfg)
            runner.train()
        console.summary('training finished', last_val_metrics(runner),
                        [('checkpoints', runner.work_dir)] + run_outputs(runner, report=False))


if __name__ == '__main__':
    main()
