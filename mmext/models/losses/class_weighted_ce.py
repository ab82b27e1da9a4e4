"""Cross-entropy whose class weights come from the training set's class counts.

``head.loss = dict(type='ClassWeightedCrossEntropyLoss', weighting='inverse')``. The
weights are unknown when the model is built; ``ClassCountsHook`` (in the shared
classification runtime config) calls :meth:`set_class_counts` with the training counts
before the first iteration, also after ``--resume``.
"""
import numpy as np
from mmpretrain.models.losses import CrossEntropyLoss

from mmext.registry import CLS_MODELS

WEIGHTINGS = ('inverse', 'sqrt')


def class_weights_from_counts(counts, weighting='inverse'):
    """Per-class weights ``1/n`` or ``1/sqrt(n)`` scaled so the mean weight over the
    training samples is 1 (the loss keeps its scale). Absent classes get weight 0."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f'class weighting {weighting!r}: use one of {WEIGHTINGS}')
    counts = np.asarray(counts, dtype=float)
    weights = np.zeros_like(counts)
    present = counts > 0
    weights[present] = counts[present]**(-1.0 if weighting == 'inverse' else -0.5)
    return weights * counts.sum() / (weights * counts).sum()


@CLS_MODELS.register_module()
class ClassWeightedCrossEntropyLoss(CrossEntropyLoss):
    """mmpretrain's ``CrossEntropyLoss`` with ``class_weight`` set from class counts.

    Args:
        weighting (str): ``'inverse'`` (1/n) or ``'sqrt'`` (1/sqrt(n)).
        **kwargs: Other arguments of ``CrossEntropyLoss`` (not ``class_weight``).
    """

    def __init__(self, weighting='inverse', **kwargs):
        if 'class_weight' in kwargs:
            raise ValueError('ClassWeightedCrossEntropyLoss computes class_weight itself; '
                             "use mmpretrain's CrossEntropyLoss for fixed weights")
        if weighting not in WEIGHTINGS:
            raise ValueError(f'class weighting {weighting!r}: use one of {WEIGHTINGS}')
        super().__init__(**kwargs)
        self.weighting = weighting
        self.class_counts = None

    def set_class_counts(self, counts):
        """Set the weights from per-class training counts (one entry per class)."""
        self.class_counts = [int(c) for c in counts]
        self.class_weight = class_weights_from_counts(counts, self.weighting).tolist()

    def forward(self, cls_score, label, *args, **kwargs):
        if self.class_weight is None:
            raise RuntimeError(
                'ClassWeightedCrossEntropyLoss: class counts were never set; add '
                "dict(type='ClassCountsHook') to custom_hooks (configs/_base_/"
                'default_runtime_cls.py has it) or call set_class_counts(counts)')
        if len(self.class_weight) != cls_score.shape[-1]:
            raise RuntimeError(f'ClassWeightedCrossEntropyLoss: {len(self.class_weight)} '
                               f'class counts for {cls_score.shape[-1]} classes')
        return super().forward(cls_score, label, *args, **kwargs)
