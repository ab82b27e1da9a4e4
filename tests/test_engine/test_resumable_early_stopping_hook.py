import os.path as osp

import torch
from mmengine.testing import RunnerTestCase

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.engine.hooks import ResumableEarlyStoppingHook


class TestResumableEarlyStoppingHook(RunnerTestCase):
    """ToyMetric reports acc=1 every epoch: after the first validation, patience runs."""

    def run_training(self, hook_type, max_epochs, resume_from=None, load_from=None):
        cfg = self.epoch_based_cfg.copy()
        cfg.train_cfg.max_epochs = max_epochs
        cfg.custom_hooks = [dict(type=hook_type, monitor='acc', patience=3)]
        if resume_from:
            cfg.resume, cfg.load_from = True, resume_from
        elif load_from:
            cfg.load_from = load_from
        runner = self.build_runner(cfg)
        runner.train()
        hook = next(h for h in runner.hooks if type(h).__name__ == hook_type)
        return runner, hook

    def test_patience_survives_resume(self):
        runner, hook = self.run_training('ResumableEarlyStoppingHook', 2)
        assert (hook.wait_count, hook.best_score, hook.min_delta) == (1, 1, 0.001)
        ckpt = osp.join(self.temp_dir.name, 'epoch_2.pth')
        # mmengine saves epoch 2 before validating it: the state of the epoch-1 validation
        meta = torch.load(ckpt, weights_only=False)['meta']
        assert meta['early_stopping'] == dict(monitor='acc', wait_count=0, best_score=1.0)
        runner, hook = self.run_training('ResumableEarlyStoppingHook', 10, ckpt)
        # epochs 3, 4, 5 without improvement complete the patience of 3
        assert runner.epoch == 5 and hook.wait_count == 3

    def test_load_from_starts_fresh(self):
        """Fine-tuning from another run's checkpoint does not inherit its patience."""
        self.run_training('ResumableEarlyStoppingHook', 2)
        ckpt = osp.join(self.temp_dir.name, 'epoch_2.pth')
        meta = torch.load(ckpt, weights_only=False)['meta']
        meta['early_stopping'] = dict(monitor='acc', wait_count=2, best_score=1.0)
        ckpt = osp.join(self.temp_dir.name, 'other_run.pth')  # the runs below write epoch_*
        torch.save(dict(torch.load(osp.join(self.temp_dir.name, 'epoch_2.pth'),
                                   weights_only=False), meta=meta), ckpt)
        runner, hook = self.run_training('ResumableEarlyStoppingHook', 10, load_from=ckpt)
        # fresh: epoch 1 sets the best, epochs 2-4 exhaust the patience of 3
        assert runner.epoch == 4 and hook.wait_count == 3
        runner, hook = self.run_training('ResumableEarlyStoppingHook', 10, resume_from=ckpt)
        # resumed at epoch 2 with 2 of 3 used: epoch 3 stops it
        assert runner.epoch == 3 and hook.wait_count == 3

    def test_upstream_hook_restarts_patience(self):
        self.run_training('EarlyStoppingHook', 2)
        ckpt = osp.join(self.temp_dir.name, 'epoch_2.pth')
        runner, _ = self.run_training('EarlyStoppingHook', 10, ckpt)
        assert runner.epoch == 6  # patience counted from zero again: what ResumableEarlyStoppingHook fixes

    def test_other_monitor_is_not_restored(self):
        hook = ResumableEarlyStoppingHook(monitor='acc')
        checkpoint = {}
        hook.wait_count, hook.best_score = 2, 0.5
        hook.before_save_checkpoint(None, checkpoint)
        assert checkpoint['meta']['early_stopping'] == dict(
            monitor='acc', wait_count=2, best_score=0.5)
        other = ResumableEarlyStoppingHook(monitor='auc')
        other.after_load_checkpoint(None, checkpoint)
        assert other.wait_count == 0
