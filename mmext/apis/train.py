"""Train a config (``tools/train.py``, ``tools/cross_validate.py``): the train config as
upstream's tool builds it from its flags, then the runner under mmext's calm console."""
from mmengine.logging import print_log

from mmext.engine.checkpoint import trust_checkpoint as trust
from mmext.engine.console import Console, last_val_metrics, run_outputs
from mmext.engine.cpu_distributed import setup_cpu_distributed
from mmext.engine.resume import find_resumable_checkpoint
from mmext.utils.config import (add_checkpoint_fit_hook, drop_pretrained_init, enable_amp,
                                enable_auto_scale_lr, load_config, set_resume, set_work_dir)


def build_train_config(config, work_dir=None, cfg_options=None, data_root=None,
                       launcher='none', amp=False, auto_scale_lr=False, resume=None,
                       trust_checkpoint=False):
    """The config ``tools/train.py`` trains: its flags as keyword arguments (``resume``:
    a checkpoint path, ``'auto'`` for the latest in work_dir, or None)."""
    cfg = load_config(config, cfg_options, data_root)
    cfg.launcher = launcher
    set_work_dir(cfg, work_dir, config)
    if amp:
        enable_amp(cfg)
    if auto_scale_lr:
        enable_auto_scale_lr(cfg, config)
    set_resume(cfg, resume)
    add_checkpoint_fit_hook(cfg, finetune=True)  # a resume must fit; load_from may not
    checkpoint = cfg.get('load_from')
    if cfg.get('resume') and not checkpoint:
        checkpoint = cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
    if checkpoint:
        # every weight comes from the checkpoint: skip init_cfg downloads
        for path in drop_pretrained_init(cfg):
            print_log(f'{path}: Pretrained init skipped, weights come from the checkpoint',
                      logger='current')
        if trust_checkpoint:
            trust(checkpoint)
    return cfg


def train(cfg, launcher='none', verbose=False):
    """``runner.train()`` of a config from :func:`build_train_config`; prints the last
    validation metrics and the outputs; returns the runner."""
    setup_cpu_distributed(cfg, launcher)
    with Console(verbose) as console:
        runner = console.build(cfg)
        runner.train()
    console.summary('training finished', last_val_metrics(runner),
                    [('checkpoints', runner.work_dir)] + run_outputs(runner, report=False))
    return runner
