"""Stop training at the first NaN or infinite loss, naming the iteration.

mmdet's ``CheckInvalidLossHook`` only asserts every ``interval`` iterations (and is not
in mmpretrain's scope); this hook, in mmengine's root registry for both families,
checks the total loss of every iteration before anything (e.g. a checkpoint) is saved
from the broken weights, and raises :class:`~mmext.utils.InputError` (tools print one
line, exit 2).
"""
import math

from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmext.registry import HOOKS
from mmext.utils import InputError


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise on a non-finite ``loss`` in ``after_train_iter`` (runs before checkpoints)."""

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        loss = (outputs or {}).get('loss')
        if loss is None:
            return
        value = float(loss.detach().float().sum()) if hasattr(loss, 'detach') else float(loss)
        if math.isfinite(value):
            return
        where = f'iteration {runner.iter + 1}'
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            where += f' (epoch {runner.epoch + 1}, batch {batch_idx + 1})'
        raise InputError(f'training stopped: the loss is {value} at {where}; lower the '
                         'learning rate or check the data, then resume from an earlier '
                         'checkpoint')
