"""Run a prepared test config (``tools/test.py``, ``tools/submit.py``): the config's
runner under mmext's calm console, then the summary table."""
from mmext.engine.console import Console, run_outputs
from mmext.engine.cpu_distributed import setup_cpu_distributed


def run_test(cfg, launcher='none', verbose=False, outputs=()):
    """``runner.test()`` of ``cfg`` (see :func:`mmext.utils.test_config.prepare_test_cfg`);
    prints the metrics and ``outputs`` (name, path) rows; returns the metrics."""
    setup_cpu_distributed(cfg, launcher)
    with Console(verbose) as console:
        runner = console.build(cfg)
        metrics = runner.test()
    console.summary('test', list(metrics.items()), list(outputs) + run_outputs(runner))
    return metrics
