"""The score threshold validated during training, saved with the checkpoint and used by
the tools that predict with it (test, submission, app) unless the user sets one.

``ValidatedScoreThrHook`` writes ``checkpoint['meta']['score_thr']`` (the best threshold
of the validation's IoU-F1 sweep); :func:`apply_checkpoint_score_thr` puts it where the
threshold decides the result: into the test evaluator's thresholded metrics (the IoU-F1
and the submission), so that a model keeping more detections (``score_thr`` 0.05, as
mmdet's) still gives COCO mAP its whole ranking; without such metrics (or when the model
already keeps less), into the model's test-time threshold (``model.test_cfg.rcnn.score_thr``
of two-stage models, ``model.test_cfg.score_thr`` of single-stage and bottom-up ones).
"""
from typing import Iterable, Optional

from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from mmext.utils.errors import InputError

#: the ``checkpoint['meta']`` key of the validated threshold
META_KEY = 'score_thr'
#: metrics whose result depends on a score threshold of their own
THRESHOLDED_METRICS = ('IoUWeightedF1Metric', 'ParticleSubmissionMetric')


def score_thr_holder(model_cfg) -> Optional[dict]:
    """The dict of a model config that holds its test-time ``score_thr`` (or None)."""
    test_cfg = (model_cfg or {}).get('test_cfg') or {}
    for holder in (test_cfg.get('rcnn'), test_cfg):
        if isinstance(holder, dict) and 'score_thr' in holder:
            return holder
    return None


def thresholded_metrics(cfg) -> list:
    """The test evaluator's metric dicts that take a ``score_thr`` of their own."""
    evaluator = cfg.get('test_evaluator') or []
    metrics = evaluator.get('metrics', [evaluator]) if isinstance(evaluator, dict) else evaluator
    return [m for m in metrics or [] if isinstance(m, dict)
            and m.get('type') in THRESHOLDED_METRICS]


def checkpoint_score_thr(checkpoint: str) -> Optional[float]:
    """The validated threshold saved in ``checkpoint``'s meta, or None."""
    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    value = (ckpt.get('meta') or {}).get(META_KEY) if isinstance(ckpt, dict) else None
    return None if value is None else float(value)


def apply_checkpoint_score_thr(cfg, checkpoint: str,
                               cfg_options: Optional[Iterable] = None) -> Optional[float]:
    """Apply the checkpoint's validated threshold (module docstring), unless
    ``cfg_options`` (``--cfg-options`` keys) set a ``score_thr``, a thresholded metric has
    its own (above 0), or the model has none. Returns the threshold applied, or None."""
    holder = score_thr_holder(cfg.get('model'))
    keys = [str(k).split('=')[0] for k in cfg_options or ()]  # a dict's keys or 'k=v's
    if holder is None or any(k.endswith('score_thr') for k in keys):
        return None
    try:
        value = checkpoint_score_thr(checkpoint)
    except InputError:  # not loadable here: the Runner's load says why, in one line
        return None
    if value is None:
        return None
    metrics = thresholded_metrics(cfg)
    if any(m.get('score_thr') for m in metrics):  # the user's own threshold
        return None
    if metrics and holder['score_thr'] <= value:
        for metric in metrics:
            metric['score_thr'] = value
        where = (f'{", ".join(m["type"] for m in metrics)} score at it; the model keeps '
                 f'detections from {holder["score_thr"]:g} for COCO mAP')
    else:
        where = f'the model predicts at it (the config says {holder["score_thr"]:g})'
        holder['score_thr'] = value
    print_log(f'score threshold {value:g}, validated in training and saved with '
              f'{checkpoint}: {where} (override: --cfg-options ...score_thr=...)',
              logger='current')
    return value
