"""Evaluate the model once before training, so the starting accuracy is on record.

It runs the validation loop's dataloader, ``model.val_step`` and evaluator directly,
not ``ValLoop.run()``, so no validation hook fires: no "best" checkpoint of the
untrained model, no early-stopping or reduce-on-plateau step, no epoch-0 progress. The metrics go to the log
("before training: accuracy/top1: ...") and to the visualizer's scalars and the JSON
log at step 0. Skipped when training resumes from a checkpoint.
"""
import torch
from mmengine.hooks import Hook
from mmengine.runner.amp import autocast

from mmext.registry import HOOKS


@HOOKS.register_module()
class EvalBeforeTrainHook(Hook):
    """Run validation once in ``before_train`` (not after ``--resume``)."""

    priority = 'LOWEST'

    def before_train(self, runner) -> None:
        if runner.iter > 0:
            runner.logger.info('evaluation before training skipped: resumed at '
                               f'epoch {runner.epoch}, iteration {runner.iter}')
            return
        loop = getattr(runner, '_val_loop', None)
        if loop is None or not hasattr(loop, 'dataloader'):
            runner.logger.info('evaluation before training skipped: no validation set')
            return
        metrics = self.evaluate(runner, loop)
        runner.logger.info('before training: ' +
                           '  '.join(f'{k}: {_fmt(v)}' for k, v in metrics.items()))
        scalars = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        runner.visualizer.add_scalars(scalars, step=0, file_path=f'{runner.timestamp}.json')

    @staticmethod
    def evaluate(runner, loop) -> dict:
        model = runner.model
        was_training = model.training
        model.eval()
        with torch.no_grad(), autocast(enabled=getattr(loop, 'fp16', False)):
            for data_batch in loop.dataloader:
                outputs = model.val_step(data_batch)
                loop.evaluator.process(data_samples=outputs, data_batch=data_batch)
        metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
        model.train(was_training)
        return metrics


def _fmt(value):
    return f'{value:.4f}' if isinstance(value, float) else str(value)
