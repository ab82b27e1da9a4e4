"""The score threshold validated during training, saved with the checkpoint and used by
the tools that predict with it (test, submission, app) unless the user sets one.

``ValidatedScoreThrHook`` writes ``checkpoint['meta']['score_thr']`` (the best threshold
of the validation's IoU-F1 sweep); :func:`apply_checkpoint_score_thr` puts it into the
model's test-time threshold (``model.test_cfg.rcnn.score_thr`` of two-stage models,
``model.test_cfg.score_thr`` of single-stage and bottom-up ones).
"""
from typing import Iterable, Optional

from mmengine.logging import print_log
from mmengine.runner.checkpoint import CheckpointLoader

from mmext.utils.errors import InputError

#: the ``checkpoint['meta']`` key of the validated threshold
META_KEY = 'score_thr'


def score_thr_holder(model_cfg) -> Optional[dict]:
    """The dict of a model config that holds its test-time ``score_thr`` (or None)."""
    test_cfg = (model_cfg or {}).get('test_cfg') or {}
    for holder in (test_cfg.get('rcnn'), test_cfg):
        if isinstance(holder, dict) and 'score_thr' in holder:
            return holder
    return None


def checkpoint_score_thr(checkpoint: str) -> Optional[float]:
    """The validated threshold saved in ``checkpoint``'s meta, or None."""
    ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    value = (ckpt.get('meta') or {}).get(META_KEY) if isinstance(ckpt, dict) else None
    return None if value is None else float(value)


def apply_checkpoint_score_thr(cfg, checkpoint: str,
                               cfg_options: Optional[Iterable] = None) -> Optional[float]:
    """Set the model's test-time threshold to the checkpoint's validated one, unless
    ``cfg_options`` (``--cfg-options`` keys) set a ``score_thr`` of the model or the model
    has none. Returns the threshold applied, or None."""
    holder = score_thr_holder(cfg.get('model'))
    keys = [str(k).split('=')[0] for k in cfg_options or ()]  # a dict's keys or 'k=v's
    if holder is None or any(k.startswith('model.') and k.endswith('score_thr')
                             for k in keys):
        return None
    try:
        value = checkpoint_score_thr(checkpoint)
    except InputError:  # not loadable here: the Runner's load says why, in one line
        return None
    if value is None:
        return None
    if value != holder['score_thr']:
        print_log(f'score threshold {value:g}: validated in training and saved with '
                  f'{checkpoint} (the config says {holder["score_thr"]:g}; set '
                  'model.test_cfg...score_thr with --cfg-options to override)',
                  logger='current')
    holder['score_thr'] = value
    return value
