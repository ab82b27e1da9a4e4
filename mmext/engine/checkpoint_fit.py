"""A checkpoint must fit its model: the one check every tool uses.

:func:`checkpoint_fit` compares a checkpoint's ``state_dict`` (its keys revised as
mmengine's loader revises them) with the model's: missing keys, unexpected keys, shape
mismatches. :func:`require_fit` turns a misfit into one :class:`~mmext.utils.InputError`
line (test, predict, Grad-CAM, the app, ``--resume``); :func:`fit_for_finetuning` lets
the misfitting keys keep the model's initial weights and logs them in one line
(``load_from`` when training). :class:`CheckpointFitHook` applies them in the Runner's
``after_load_checkpoint`` (just before mmengine loads the weights); :func:`load_checked`
is the loader of the inference tools.
"""
import logging
import re
from typing import NamedTuple

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner.checkpoint import _load_checkpoint, _load_checkpoint_to_model

from mmext.registry import HOOKS
from mmext.utils import InputError

#: mmengine's default ``revise_keys`` (``Runner.load_checkpoint``, ``load_checkpoint``)
REVISE_KEYS = ((r'^module\.', ''), )
_SHOWN = 3
#: where ``_load_from_state_dict`` only loads (torch), or only swaps a single-stage's
#: ``bbox_head`` and a two-stage's ``rpn_head`` when the other is absent (mmdet detectors)
_PLAIN_LOADERS = ('torch.', 'mmdet.models.detectors.')


class Fit(NamedTuple):
    """Keys of the model missing from the checkpoint, keys of the checkpoint the model
    lacks, and ``(key, checkpoint shape, model shape)`` of the keys whose shapes differ."""
    missing: list
    unexpected: list
    mismatched: list

    @property
    def ok(self):
        return not (self.missing or self.unexpected or self.mismatched)


def bare_model(model):
    """``model`` without DDP-style wrappers and TTA wrappers (what the weights load into)."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def state_dict_of(checkpoint, filename='checkpoint'):
    """The weights of a loaded checkpoint, as mmengine picks them."""
    if not isinstance(checkpoint, dict):
        raise InputError(f'checkpoint {filename} holds no state_dict '
                         f'(a {type(checkpoint).__name__})')
    return checkpoint['state_dict'] if 'state_dict' in checkpoint else checkpoint


def _revised_names(state_dict, revise_keys):
    """``{key as loaded: key in the file}``."""
    names = {}
    for key in state_dict:
        new = key
        for pattern, repl in revise_keys:
            new = re.sub(pattern, repl, new)
        names[new] = key
    return names


def _shape(value):
    shape = getattr(value, 'shape', None)
    return None if shape is None else tuple(shape)


def checkpoint_fit(model, checkpoint, revise_keys=REVISE_KEYS, filename='checkpoint'):
    """The :class:`Fit` of a loaded ``checkpoint`` to ``model`` (nothing is loaded)."""
    own = bare_model(model).state_dict()
    state = state_dict_of(checkpoint, filename)
    names = _revised_names(state, revise_keys)
    missing = [k for k in own if k not in names and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in names if k not in own]
    mismatched = [(k, _shape(state[names[k]]), tuple(own[k].shape)) for k in own
                  if k in names and _shape(state[names[k]]) != tuple(own[k].shape)]
    return Fit(missing, unexpected, mismatched)


def _keys(keys):
    more = len(keys) - _SHOWN
    return ', '.join(keys[:_SHOWN]) + (f' (+{more} more)' if more > 0 else '')


def _dims(shape):
    return 'not a tensor' if shape is None else '[' + ', '.join(map(str, shape)) + ']'


def _class_count_hints(model, keys):
    """``{key: ' (head.num_classes=N)'}``: the config's class count of the head owning
    each key, said once per head."""
    from mmext.engine.hooks.num_classes_check_hook import model_class_counts
    counts = model_class_counts(bare_model(model))
    hints, said = {}, set()
    for key in keys:
        owners = [name for name in counts if key.startswith(name + '.')]
        name = max(owners, key=len) if owners else None
        if name is not None and name not in said:
            said.add(name)
            hints[key] = f' ({name}.num_classes={counts[name]})'
    return hints


def describe_fit(fit, model):
    """One line: the shape mismatches (checkpoint vs config), missing and unexpected keys."""
    parts = []
    if fit.mismatched:
        shown = fit.mismatched[:_SHOWN]
        hints = _class_count_hints(model, [k for k, _, _ in shown])
        text = '; '.join(f'{k} is {_dims(c)} in the checkpoint vs {_dims(m)} in the config'
                         f'{hints.get(k, "")}' for k, c, m in shown)
        more = len(fit.mismatched) - _SHOWN
        parts.append(f'shape mismatch: {text}' + (f' (+{more} more)' if more > 0 else ''))
    if fit.missing:
        parts.append(f'{len(fit.missing)} key(s) missing: {_keys(fit.missing)}')
    if fit.unexpected:
        parts.append(f'{len(fit.unexpected)} unexpected key(s): {_keys(fit.unexpected)}')
    return '; '.join(parts)


def require_fit(model, checkpoint, filename, revise_keys=REVISE_KEYS):
    """Raise :class:`InputError` (one line) unless ``checkpoint`` fits ``model`` exactly."""
    fit = checkpoint_fit(model, checkpoint, revise_keys, filename)
    if not fit.ok:
        raise InputError(f'checkpoint {filename} does not fit the model of the config '
                         f'({describe_fit(fit, model)}); use the checkpoint trained with '
                         'this config (to fine-tune, train with load_from)')
    return fit


def fit_for_finetuning(model, checkpoint, filename, revise_keys=REVISE_KEYS,
                       logger='current'):
    """Fine-tuning: keys that do not fit keep the model's initial weights, unexpected keys
    are dropped (``checkpoint`` is edited in place); one ``logger`` line names them."""
    fit = checkpoint_fit(model, checkpoint, revise_keys, filename)
    if fit.ok:
        return fit
    reinit = len(fit.missing) + len(fit.mismatched)
    if adapts_checkpoints(model):  # e.g. resizes a position embedding: leave it the file
        print_log(f'load_from {filename}: {reinit} key(s) do not fit, {len(fit.unexpected)} '
                  f'unexpected, left to the model\'s own loading, which may adapt them '
                  f'({describe_fit(fit, model)})', logger=logger, level=logging.WARNING)
        return fit
    own = bare_model(model).state_dict()
    state = state_dict_of(checkpoint, filename)
    names = _revised_names(state, revise_keys)
    for key in fit.unexpected:
        del state[names[key]]
    for key, _, _ in fit.mismatched:
        state[names[key]] = own[key].clone()
    for key in own:  # missing ones, num_batches_tracked included
        if key not in names:
            state[key] = own[key].clone()
    print_log(f'load_from {filename}: {reinit} key(s) re-initialised, '
              f'{len(fit.unexpected)} ignored ({describe_fit(fit, model)})',
              logger=logger, level=logging.WARNING)
    return fit


def adapts_checkpoints(model) -> bool:
    """Whether a module of ``model`` adapts the weights it loads (a load-state-dict
    pre-hook, or a ``_load_from_state_dict`` of its own beyond torch's and mmdet's
    detectors' bbox/rpn head swap, e.g. a Swin backbone's bias-table resize)."""
    for module in bare_model(model).modules():
        if getattr(module, '_load_state_dict_pre_hooks', None):
            return True
        owner = next(c for c in type(module).__mro__ if '_load_from_state_dict' in vars(c))
        if not owner.__module__.startswith(_PLAIN_LOADERS):
            return True
    return False


def load_checked(model, filename, map_location='cpu'):
    """Load ``filename`` into ``model`` through mmengine's loader after
    :func:`require_fit`; return the checkpoint (for its ``meta``)."""
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    require_fit(model, checkpoint, filename)
    return _load_checkpoint_to_model(bare_model(model), checkpoint)


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Check the Runner's checkpoint against its model before mmengine loads it.

    Testing and resuming need an exact fit (:func:`require_fit`); with
    ``finetune=True``, a ``load_from`` that is no resume may re-initialise keys
    (:func:`fit_for_finetuning`)."""

    priority = 'LOWEST'  # after hooks that edit the checkpoint (e.g. EMAHook)

    def __init__(self, finetune=False):
        self.finetune = finetune

    def after_load_checkpoint(self, runner, checkpoint) -> None:
        filename = getattr(runner, '_load_from', None) or 'being loaded'
        if self.finetune and not runner._resume:
            fit_for_finetuning(runner.model, checkpoint, filename, logger=runner.logger)
        else:
            require_fit(runner.model, checkpoint, filename)
