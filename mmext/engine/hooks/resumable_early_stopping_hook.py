"""mmengine's ``EarlyStoppingHook`` with its patience kept across ``--resume``.

Upstream keeps ``wait_count`` and ``best_score`` only in memory, so a resumed run
starts counting patience from zero. This subclass writes them into the checkpoint's
``meta`` and reads them back on ``resume`` only: a plain ``load_from`` (fine-tuning
from another run's checkpoint) starts with fresh patience. (mmengine saves an epoch's
checkpoint before that epoch's validation, so the state restored is the one the
checkpoint was saved with, as for the LR scheduler and the best-checkpoint score.) Its
``min_delta`` defaults to 0.001 (upstream: 0.1, too coarse for metrics in 0-1);
mmpretrain's ``accuracy/top1`` is in percent, where 0.1 percentage points is the same
0.001 of the 0-1 scale.
"""
from mmengine.hooks import EarlyStoppingHook

from mmext.registry import HOOKS

META_KEY = 'early_stopping'


@HOOKS.register_module()
class ResumableEarlyStoppingHook(EarlyStoppingHook):
    """``EarlyStoppingHook`` whose state survives ``resume`` (same arguments)."""

    def __init__(self, monitor, min_delta=0.001, **kwargs):
        super().__init__(monitor, min_delta=min_delta, **kwargs)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[META_KEY] = dict(
            monitor=self.monitor,
            wait_count=int(self.wait_count),
            best_score=float(self.best_score))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # mmengine calls this for resume and for load_from alike; only a resume sets
        # the loop's iteration to the checkpoint's, which ``before_train`` checks
        meta = checkpoint.get('meta', {})
        state = meta.get(META_KEY)
        self._loaded = None
        if state and state.get('monitor') == self.monitor:
            self._loaded = (state, meta.get('iter'))

    def before_train(self, runner) -> None:
        loaded, self._loaded = getattr(self, '_loaded', None), None
        if not loaded:
            return
        state, ckpt_iter = loaded
        if runner.iter == 0 or runner.iter != ckpt_iter:
            return  # load_from: weights only, fresh patience
        self.wait_count = state['wait_count']
        self.best_score = state['best_score']
        runner.logger.info(f'early stopping resumed: best {self.monitor} = '
                           f'{self.best_score:.4f}, {self.wait_count} validation(s) '
                           'without improvement')
