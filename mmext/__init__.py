"""mmext: OpenMMLab extension for materials-science and medical image analysis.

Importing it registers every mmext module into the upstream registries and allows
mmengine's checkpoint types under ``torch.load(weights_only=True)``
(:func:`mmext.registry.register_all_modules`), unless ``MMEXT_LIGHT=1`` is set: the
tools that need no model set it so that they import neither torch, mmdet nor mmpretrain.
"""
import os

# albumentations (imported by mmdet) otherwise asks the network for updates at import
os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')

from .version import __version__  # noqa: E402

if os.environ.get('MMEXT_LIGHT') != '1':
    from .registry import register_all_modules
    register_all_modules()

__all__ = ['__version__']
