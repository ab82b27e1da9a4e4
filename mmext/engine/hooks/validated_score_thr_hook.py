"""Save the score threshold chosen on validation with every later checkpoint."""
from mmengine.hooks import Hook

from mmext.registry import HOOKS
from ..score_threshold import META_KEY


@HOOKS.register_module()
class ValidatedScoreThrHook(Hook):
    """After each validation, take the best threshold of the IoU-F1 sweep
    (``IoUWeightedF1Metric(sweep=True)``'s ``best_score_thr``) and write it into the
    ``meta`` of the checkpoints saved from then on (the best checkpoint, saved right after
    the validation, included). Tools that test or predict with the checkpoint use it
    (:func:`mmext.engine.score_threshold.apply_checkpoint_score_thr`).

    Args:
        metric (str): the validation metric holding the threshold.
    """
    priority = 'NORMAL'  # before CheckpointHook (VERY_LOW) saves the best checkpoint

    def __init__(self, metric: str = 'best_score_thr'):
        self.metric = metric
        self.score_thr = None

    def after_val_epoch(self, runner, metrics=None) -> None:
        if metrics and self.metric in metrics:
            self.score_thr = float(metrics[self.metric])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.score_thr is not None:
            checkpoint.setdefault('meta', {})[META_KEY] = self.score_thr

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        value = (checkpoint.get('meta') or {}).get(META_KEY)
        if value is not None:  # --resume: keep the threshold of the last validation
            self.score_thr = float(value)
