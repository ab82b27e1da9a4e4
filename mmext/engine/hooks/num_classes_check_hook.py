"""Stop before a run when the model's class count differs from the data's.

mmdet's ``NumClassCheckHook`` asserts per epoch and only for detectors; this hook checks
both families once, in ``before_run`` (after the loops built their datasets, before
weights are initialised or loaded), and ends with one line naming the module, the
counts and the classes.
"""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmext.registry import HOOKS
from mmext.utils import InputError

#: modules whose ``num_classes`` is not the dataset's (class-agnostic proposals)
SKIPPED_MODULES = ('rpn_head', )


def model_class_counts(model):
    """``{module name: num_classes}`` of every part of ``model`` that predicts classes
    (heads, the classification data preprocessor), the RPN excepted."""
    if is_model_wrapper(model):
        model = model.module
    counts = {}
    for name, module in model.named_modules():
        num = getattr(module, 'num_classes', None)
        if isinstance(num, int) and not isinstance(num, bool) and num > 0 and \
                not name.split('.')[-1] in SKIPPED_MODULES:
            counts[name or type(model).__name__] = num
    return counts


@HOOKS.register_module()
class NumClassesCheckHook(Hook):
    """Raise :class:`~mmext.utils.InputError` before the run on a class-count mismatch."""

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        counts = model_class_counts(runner.model)
        if not counts:
            return
        for split in ('train', 'val', 'test'):
            loop = getattr(runner, f'_{split}_loop', None)
            dataloader = getattr(loop, 'dataloader', None)
            if dataloader is None:
                continue
            classes = (getattr(dataloader.dataset, 'metainfo', None) or {}).get('classes')
            if not classes:
                continue
            for name, num in counts.items():
                if num != len(classes):
                    shown = ', '.join(classes) if len(classes) <= 10 else \
                        ', '.join(classes[:10]) + ', ...'
                    raise InputError(
                        f'{name}.num_classes is {num} but the {split} data has '
                        f'{len(classes)} classes ({shown}); set num_classes to '
                        f'{len(classes)} in the model (heads and data_preprocessor)')
