"""Test a checkpoint (``tools/test.py``, ``tools/submit.py``, ``tools/cross_validate.py``):
the test config as upstream's tool builds it from its flags, then the config's runner under
mmext's calm console and the summary table."""
from mmext.engine.checkpoint import trust_checkpoint as trust
from mmext.engine.console import Console, run_outputs
from mmext.engine.cpu_distributed import setup_cpu_distributed
from mmext.utils.config import load_config
from mmext.utils.test_config import prepare_test_cfg


def build_test_config(config, checkpoint, cfg_options=None, data_root=None,
                      trust_checkpoint=False, um_per_px=None, **kwargs):
    """The config ``tools/test.py`` tests: ``kwargs`` are those of
    :func:`~mmext.utils.test_config.prepare_test_cfg` (work_dir, launcher, tta, out, ...)."""
    cfg = load_config(config, cfg_options, data_root)
    if trust_checkpoint:  # before prepare_test_cfg reads the checkpoint's meta
        trust(checkpoint)
    prepare_test_cfg(cfg, checkpoint, config, cfg_options=cfg_options, **kwargs)
    if um_per_px:
        cfg.um_per_px = um_per_px
    return cfg


def run_test(cfg, launcher='none', verbose=False, outputs=()):
    """``runner.test()`` of ``cfg`` (see :func:`mmext.utils.test_config.prepare_test_cfg`);
    prints the metrics and ``outputs`` (name, path) rows; returns the metrics."""
    setup_cpu_distributed(cfg, launcher)
    with Console(verbose) as console:
        runner = console.build(cfg)
        metrics = runner.test()
    console.summary('test', list(metrics.items()), list(outputs) + run_outputs(runner))
    return metrics
