"""Classify an image at its own pixel scale from a grid of patches.

Trained on random patches (the train pipeline crops them, no resizing), the model
predicts on the whole image: it cuts a grid of ``patch_size`` patches that covers the
image (the last row and column aligned with its edges), classifies every patch and
averages their class probabilities, as mmpretrain's ``AverageClsScoreTTA`` averages
augmented views. Fine structure (lamellae, carbide spacing) keeps its pixel scale.
"""
import math

import numpy as np
import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from mmext.registry import CLS_MODELS


def grid_starts(length, patch, stride):
    """Start offsets of patches of size ``patch`` covering ``[0, length)``.

    Evenly spread, the first at 0 and the last at ``length - patch``, no farther apart
    than ``stride``; one patch (offset 0) when the image is not larger than ``patch``.
    """
    if length <= patch:
        return [0]
    n = math.ceil((length - patch) / stride) + 1
    return sorted({int(round(x)) for x in np.linspace(0, length - patch, n)})


@CLS_MODELS.register_module()
class PatchGridClassifier(ImageClassifier):
    """``ImageClassifier`` that predicts by averaging a grid of patches.

    Args:
        patch_size (int): Side of the square patches (pixels at the image's own scale).
        stride (int, optional): Largest step between patches; default ``patch_size``
            (patches touch or overlap, none is left out).
        patches_per_batch (int): Patches run through the network at once.
        **kwargs: Arguments of ``ImageClassifier``.
    """

    def __init__(self, *args, patch_size=224, stride=None, patches_per_batch=64, **kwargs):
        super().__init__(*args, **kwargs)
        self.patch_size = int(patch_size)
        self.stride = int(stride or patch_size)
        self.patches_per_batch = int(patches_per_batch)

    def patches(self, img, shape=None):
        """(P, C, p, p) patches of one (C, H, W) image; ``shape`` = its unpadded size."""
        h, w = shape if shape is not None else img.shape[-2:]
        p = self.patch_size
        return torch.stack([
            img[:, y:y + min(p, h), x:x + min(p, w)]
            for y in grid_starts(h, p, self.stride) for x in grid_starts(w, p, self.stride)
        ])

    def predict(self, inputs, data_samples=None, **kwargs):
        if data_samples is None:
            data_samples = [DataSample() for _ in range(len(inputs))]
        patches = [self.patches(img, sample.get('img_shape'))
                   for img, sample in zip(inputs, data_samples)]
        if len({p.shape for p in patches}) == 1:
            # patch-major order (all images' first patch, then their second, ...), the
            # order of TTA views, so hooks reading per-forward features can average them
            flat = torch.stack(patches, 1).flatten(0, 1)
            probs = self._probs(flat).unflatten(0, (-1, len(inputs))).mean(0)
        else:
            probs = torch.stack([self._probs(p).mean(0) for p in patches])
        return [sample.set_pred_score(score).set_pred_label(score.argmax())
                for sample, score in zip(data_samples, probs)]

    def _probs(self, patches):
        return torch.cat([
            self.head(self.extract_feat(chunk)).softmax(dim=1)
            for chunk in patches.split(self.patches_per_batch)
        ])
