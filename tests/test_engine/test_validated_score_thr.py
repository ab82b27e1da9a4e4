"""The validated score threshold: saved with checkpoints, used by the tools."""
import torch
from mmengine.config import Config
from mmengine.testing import RunnerTestCase

from mmext.engine.hooks import ValidatedScoreThrHook
from mmext.engine.score_threshold import apply_checkpoint_score_thr, checkpoint_score_thr


def _save(path, meta):
    torch.save(dict(meta=meta, state_dict={'w': torch.zeros(1)}), path)
    return str(path)


def _cfg(test_cfg):
    return Config(dict(model=dict(type='X', test_cfg=test_cfg)))


def test_apply_sets_the_holder_of_two_stage_and_bottom_up_models(tmp_path):
    ckpt = _save(tmp_path / 'a.pth', {'score_thr': 0.55})
    two_stage = _cfg(dict(rpn=dict(nms_pre=10), rcnn=dict(score_thr=0.4)))
    assert apply_checkpoint_score_thr(two_stage, ckpt) == 0.55
    assert two_stage.model.test_cfg.rcnn.score_thr == 0.55
    bottom_up = _cfg(dict(score_thr=0.0, fg_thr=0.5))
    apply_checkpoint_score_thr(bottom_up, ckpt)
    assert bottom_up.model.test_cfg.score_thr == 0.55


def test_apply_leaves_user_choices_and_old_checkpoints(tmp_path):
    ckpt = _save(tmp_path / 'a.pth', {'score_thr': 0.55})
    cfg = _cfg(dict(rcnn=dict(score_thr=0.4)))
    assert apply_checkpoint_score_thr(
        cfg, ckpt, ['model.test_cfg.rcnn.score_thr=0.3']) is None
    assert cfg.model.test_cfg.rcnn.score_thr == 0.4  # --cfg-options already set it
    old = _save(tmp_path / 'old.pth', {'epoch': 3})  # saved before validation existed
    assert checkpoint_score_thr(old) is None
    assert apply_checkpoint_score_thr(cfg, old) is None
    assert cfg.model.test_cfg.rcnn.score_thr == 0.4
    no_thr = _cfg(dict(mask_thr=0.5))  # a model without a score threshold
    assert apply_checkpoint_score_thr(no_thr, ckpt) is None


def test_with_thresholded_metrics_the_model_keeps_its_ranking_for_coco_map(tmp_path):
    ckpt = _save(tmp_path / 'a.pth', {'score_thr': 0.55})
    metrics = [dict(type='CocoMetric'), dict(type='IoUWeightedF1Metric', score_thr=0.0)]
    cfg = Config(dict(model=dict(type='X', test_cfg=dict(rcnn=dict(score_thr=0.05))),
                      test_evaluator=metrics))
    assert apply_checkpoint_score_thr(cfg, ckpt) == 0.55
    assert cfg.model.test_cfg.rcnn.score_thr == 0.05  # every detection reaches COCO mAP
    assert cfg.test_evaluator[1].score_thr == 0.55  # the IoU-F1 scores at the validated one
    assert 'score_thr' not in cfg.test_evaluator[0]
    # a model that keeps less than the validated threshold would starve it: raised there
    strict = Config(dict(model=dict(type='X', test_cfg=dict(rcnn=dict(score_thr=0.7))),
                         test_evaluator=metrics))
    assert apply_checkpoint_score_thr(strict, ckpt) == 0.55
    assert strict.model.test_cfg.rcnn.score_thr == 0.55
    # a metric threshold the user set, or any --cfg-options score_thr, is kept
    own = Config(dict(model=dict(type='X', test_cfg=dict(score_thr=0.05)),
                      test_evaluator=dict(type='ParticleSubmissionMetric', score_thr=0.3)))
    assert apply_checkpoint_score_thr(own, ckpt) is None
    assert own.test_evaluator.score_thr == 0.3 and own.model.test_cfg.score_thr == 0.05
    assert apply_checkpoint_score_thr(cfg, ckpt, ['test_evaluator.1.score_thr=0.2']) is None


class TestValidatedScoreThrHook(RunnerTestCase):

    def test_best_threshold_is_saved_and_survives_resume(self):
        hook = ValidatedScoreThrHook()
        checkpoint = dict(meta={})
        hook.before_save_checkpoint(None, checkpoint)
        assert 'score_thr' not in checkpoint['meta']  # nothing validated yet
        hook.after_val_epoch(None, dict(iou_f1=0.7, best_score_thr=0.45))
        hook.before_save_checkpoint(None, checkpoint)
        assert checkpoint['meta']['score_thr'] == 0.45
        resumed = ValidatedScoreThrHook()
        resumed.after_load_checkpoint(None, checkpoint)
        later = {}
        resumed.before_save_checkpoint(None, later)
        assert later['meta']['score_thr'] == 0.45

    def test_runner_writes_it_into_the_best_checkpoint(self):
        """A real run: validation's metric reaches the checkpoint CheckpointHook saves."""
        from mmengine.evaluator import BaseMetric
        from mmengine.registry import METRICS

        @METRICS.register_module(name='FixedThrMetric', force=True)
        class FixedThrMetric(BaseMetric):
            def process(self, data_batch, data_samples):
                self.results.append(1)

            def compute_metrics(self, results):
                return dict(acc=1.0, best_score_thr=0.65)

        cfg = self.epoch_based_cfg.copy()
        cfg.val_evaluator = dict(type='FixedThrMetric')
        cfg.custom_hooks = [dict(type='ValidatedScoreThrHook')]
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1,
                                            save_best='acc', rule='greater')
        cfg.train_cfg.max_epochs = 1
        runner = self.build_runner(cfg)
        runner.train()
        import glob
        import os.path as osp
        best = glob.glob(osp.join(runner.work_dir, 'best_acc_*.pth'))
        assert best and checkpoint_score_thr(best[0]) == 0.65
