"""mmdet's ``Albu`` wrapper for albumentations >= 1.4.18.

Those releases check the keys passed to ``Compose`` (``strict=True``) and refuse the
extra keys (``img_path``, ``img_id``, ...) that mmdet's ``Albu`` hands them; this
subclass only turns that check off.
"""
from mmdet.datasets.transforms import Albu

from mmext.registry import DET_TRANSFORMS


@DET_TRANSFORMS.register_module()
class LenientAlbu(Albu):
    """:class:`mmdet.datasets.transforms.Albu` that passes through non-albumentations keys."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if hasattr(self.aug, 'strict'):
            self.aug.strict = False
