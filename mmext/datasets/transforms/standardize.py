"""Standardise each image by its own statistics, before any crop."""
import numpy as np
from mmcv.transforms import BaseTransform

from mmext.registry import DET_TRANSFORMS


@DET_TRANSFORMS.register_module()
class StandardizeImage(BaseTransform):
    """``img`` to float32 with zero mean and unit variance over the whole image (all
    channels together, so colour balance is kept).

    Micrographs from different instruments differ far more in brightness and contrast
    than within one image; placed before the crop, every training crop and every test tile
    sees the statistics of its whole image. Pair it with a data preprocessor whose mean is
    0 and std 1.
    """

    def transform(self, results):
        img = results['img'].astype(np.float32)
        std = float(img.std())
        results['img'] = (img - float(img.mean())) / (std if std > 1e-6 else 1.0)
        return results
