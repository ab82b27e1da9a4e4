"""Train any mmext config: classification (mmpretrain scope) or detection (mmdet scope).

Flags follow the upstream tools: ``--work-dir --cfg-options --resume [path] --amp
--auto-scale-lr --launcher {none,pytorch,slurm,mpi}``.
"""
import argparse

from mmext.apis.train import build_train_config, train
from mmext.engine.checkpoint import install_checkpoint_policy
from mmext.utils import exit_on_input_error
from mmext.utils.config import add_config_args, add_launcher_args, parse_launcher_args
from mmext.utils.terminal import calm_warnings


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


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    install_checkpoint_policy()
    with exit_on_input_error(config=args.config):
        cfg = build_train_config(args.config, args.work_dir, args.cfg_options, args.data_root,
                                 args.launcher, amp=args.amp, auto_scale_lr=args.auto_scale_lr,
                                 resume=args.resume, trust_checkpoint=args.trust_checkpoint)
        train(cfg, args.launcher, args.verbose)


if __name__ == '__main__':
    main()
