"""Swap an image's rows and columns (transpose), the one dihedral view flips lack.

mmpretrain's ``Transpose`` permutes array axes always and leaves ``img_shape``
as it was; this one is random (``prob``) and keeps ``img_shape`` right.

With horizontal, vertical and diagonal flips, a transpose gives all 8 symmetries of
the square (rotations by 90 degrees and reflections) without interpolation, also on
non-square images (``img_shape`` becomes ``(w, h)``).
"""
import numpy as np
from mmcv.transforms import BaseTransform

from mmext.registry import CLS_TRANSFORMS


@CLS_TRANSFORMS.register_module()
class RandomTranspose(BaseTransform):
    """Transpose ``results['img']`` with probability ``prob`` (1 = always)."""

    def __init__(self, prob=0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomTranspose prob {prob}: must be in [0, 1]')
        self.prob = prob

    def transform(self, results):
        if self.prob >= 1 or (self.prob > 0 and np.random.rand() < self.prob):
            img = results['img']
            results['img'] = np.ascontiguousarray(np.swapaxes(img, 0, 1))
            results['img_shape'] = results['img'].shape[:2]
            results['transposed'] = True
        else:
            results.setdefault('transposed', False)
        return results

    def __repr__(self):
        return f'{type(self).__name__}(prob={self.prob})'
