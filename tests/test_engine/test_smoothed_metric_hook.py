"""SmoothedMetricHook: the moving average reaches the scheduler and the early stopper."""
import os.path as osp

import torch
from mmengine.evaluator import BaseMetric
from mmengine.testing import RunnerTestCase

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.registry import METRICS
from mmext.utils import InputError

# one validation's accuracy per epoch: a single noisy dip at epoch 3
NOISY_ACC = [0.50, 0.70, 0.65, 0.90, 0.95, 0.96, 0.97, 0.98]


@METRICS.register_module()
class SequenceMetric(BaseMetric):
    """Reports ``NOISY_ACC[n]`` at its n-th evaluation."""
    calls = 0

    def process(self, data_batch, data_samples):
        self.results.append(0)

    def compute_metrics(self, results):
        value = NOISY_ACC[min(SequenceMetric.calls, len(NOISY_ACC) - 1)]
        SequenceMetric.calls += 1
        return dict(acc=value)


class TestSmoothedMetricHook(RunnerTestCase):

    def run_training(self, monitor, max_epochs=6, resume_from=None):
        SequenceMetric.calls = 0 if resume_from is None else SequenceMetric.calls
        cfg = self.epoch_based_cfg.copy()
        cfg.train_cfg.max_epochs = max_epochs
        cfg.val_evaluator = dict(type='SequenceMetric')
        cfg.custom_hooks = [
            dict(type='SmoothedMetricHook', monitor='acc', window=3),
            dict(type='EarlyStoppingHook', monitor=monitor, patience=1, min_delta=0.001),
        ]
        cfg.param_scheduler = dict(type='ReduceOnPlateauLR', monitor=monitor, rule='greater',
                                   factor=0.1, patience=0, by_epoch=True)
        if resume_from:
            cfg.resume, cfg.load_from = True, resume_from
        runner = self.build_runner(cfg)
        runner.train()
        return runner

    def lr(self, runner):
        return runner.optim_wrapper.get_lr()['lr'][0]

    def test_one_noisy_epoch_stops_raw_but_not_smoothed(self):
        raw = self.run_training('acc')
        assert raw.epoch == 3  # the dip at epoch 3 exhausts patience 1 ...
        base_lr = self.epoch_based_cfg.optim_wrapper.optimizer.lr
        assert abs(self.lr(raw) - base_lr * 0.1) < 1e-9  # ... and cuts the lr
        smooth = self.run_training('acc_smooth')
        assert smooth.epoch == 6  # 0.5, 0.6, 0.617, 0.75, 0.833, 0.937: always better
        assert abs(self.lr(smooth) - base_lr) < 1e-9
        hook = next(h for h in smooth.hooks if type(h).__name__ == 'SmoothedMetricHook')
        assert hook.history == [0.90, 0.95, 0.96]
        logged = smooth.message_hub.get_scalar('val/acc_smooth').current()
        assert abs(logged - (0.90 + 0.95 + 0.96) / 3) < 1e-9

    def test_history_restored_on_resume_only(self):
        self.run_training('acc_smooth', max_epochs=2)
        ckpt = osp.join(self.temp_dir.name, 'epoch_2.pth')
        meta = torch.load(ckpt, weights_only=False)['meta']['smoothed_metric']
        assert meta == dict(monitor='acc', window=3, history=[0.5])  # saved before val 2
        runner = self.run_training('acc_smooth', max_epochs=3, resume_from=ckpt)
        hook = next(h for h in runner.hooks if type(h).__name__ == 'SmoothedMetricHook')
        assert len(hook.history) == 2  # 0.5 from the checkpoint + this run's validation
        # loading weights without resume (fine-tuning) starts a fresh average
        cfg = self.epoch_based_cfg.copy()
        cfg.custom_hooks = [dict(type='SmoothedMetricHook', monitor='acc')]
        cfg.load_from = ckpt
        runner = self.build_runner(cfg)
        runner.load_or_resume()
        hook = next(h for h in runner.hooks if type(h).__name__ == 'SmoothedMetricHook')
        assert hook.history == []


@METRICS.register_module()
class PrefixedMetric(BaseMetric):
    """Reports ``accuracy/top1`` (a prefixed key, as mmpretrain's metrics do)."""
    default_prefix = 'accuracy'

    def process(self, data_batch, data_samples):
        self.results.append(0)

    def compute_metrics(self, results):
        return dict(top1=0.5)


class TestSmoothedMetricHookChecksEvaluator(RunnerTestCase):

    def build(self, monitor):
        cfg = self.epoch_based_cfg.copy()
        cfg.train_cfg.max_epochs = 1
        cfg.val_evaluator = dict(type='PrefixedMetric')
        cfg.custom_hooks = [dict(type='SmoothedMetricHook', monitor=monitor)]
        return self.build_runner(cfg)

    def test_monitor_without_its_metric_stops_before_training(self):
        runner = self.build('single-label/f1-score')
        with self.assertRaisesRegex(InputError, r"monitors 'single-label/f1-score', but "
                                    r"val_evaluator has no 'single-label' metric \(it has: "
                                    r"accuracy\)"):
            runner.train()
        assert runner.iter == 0  # no training step was spent before the error

    def test_monitor_with_its_metric_trains(self):
        runner = self.build('accuracy/top1')
        runner.train()
        assert runner.epoch == 1
        assert runner.message_hub.get_scalar('val/accuracy/top1_smooth').current() == 0.5
