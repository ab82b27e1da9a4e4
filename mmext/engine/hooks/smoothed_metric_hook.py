"""Moving average of a validation metric, for early stopping and reduce-on-plateau.

On a small validation set one epoch's accuracy swings by several points; a stopper or
an LR scheduler watching it reacts to noise. This hook adds ``<monitor>_smooth``, the
mean of the last ``window`` values, to every validation's metrics (before the
scheduler, checkpoint and early-stopping hooks read them) and to the logs, so they can
monitor it instead. The recent values go into the checkpoint's ``meta`` and are read
back on ``--resume`` only (not when a checkpoint is loaded to fine-tune or test).
Before training it checks that the validation evaluator has a metric of the monitored
key's prefix (``single-label`` for ``single-label/f1-score``), so a config without it stops
at once with one line instead of failing after the first training epoch.
"""
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop

from mmext.registry import HOOKS
from mmext.utils import InputError

META_KEY = 'smoothed_metric'


@HOOKS.register_module()
class SmoothedMetricHook(Hook):
    """Add the moving average of ``monitor`` as ``monitor + suffix``.

    Args:
        monitor (str): Validation metric to smooth. Defaults to ``'accuracy/top1'``.
        window (int): Number of recent validations averaged. Defaults to 3.
        suffix (str): Appended to ``monitor`` for the smoothed key.
    """
    # after RuntimeInfoHook (VERY_HIGH), before LoggerHook (BELOW_NORMAL), the
    # ParamSchedulerHook (LOW), CheckpointHook (VERY_LOW) and EarlyStoppingHook (LOWEST)
    priority = 'NORMAL'

    def __init__(self, monitor='accuracy/top1', window=3, suffix='_smooth'):
        if window < 1:
            raise ValueError(f'SmoothedMetricHook window {window}: must be >= 1')
        self.monitor = monitor
        self.window = int(window)
        self.key = monitor + suffix
        self.history = []

    def before_run(self, runner):
        loop = getattr(runner, '_val_loop', None)
        if not isinstance(loop, BaseLoop) or '/' not in self.monitor:
            return
        metrics = getattr(loop.evaluator, 'metrics', [])
        prefixes = {getattr(m, 'prefix', None) for m in metrics}
        if not metrics or prefixes & {None, ''}:
            return  # some metric names its keys without a prefix: cannot tell beforehand
        prefix = self.monitor.split('/')[0]
        if prefix not in prefixes:
            raise InputError(
                f'SmoothedMetricHook monitors {self.monitor!r}, but val_evaluator has no '
                f"'{prefix}' metric (it has: {', '.join(sorted(prefixes))}): add it to "
                "val_evaluator (macro-F1: dict(type='SingleLabelMetric', average='macro')) "
                'or set the monitor, save_best and the schedulers\' monitors to one it has')

    def after_val_epoch(self, runner, metrics=None):
        if not metrics or self.monitor not in metrics:
            return
        self.history = (self.history + [float(metrics[self.monitor])])[-self.window:]
        value = sum(self.history) / len(self.history)
        metrics[self.key] = value
        runner.message_hub.update_scalar(f'val/{self.key}', value)

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint.setdefault('meta', {})[META_KEY] = dict(
            monitor=self.monitor, window=self.window, history=list(self.history))

    def after_load_checkpoint(self, runner, checkpoint):
        state = checkpoint.get('meta', {}).get(META_KEY)
        if not getattr(runner, '_resume', False) or not state:
            return
        if state.get('monitor') == self.monitor:
            self.history = [float(v) for v in state['history']][-self.window:]
