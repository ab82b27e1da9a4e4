"""mmext: OpenMMLab extension for materials-science and medical image analysis.

Importing it registers every mmext module into the upstream registries
(see :mod:`mmext.registry`) and allows mmengine's checkpoint types under
``torch.load(weights_only=True)`` (see :mod:`mmext.engine.checkpoint`).
"""
import os

# albumentations (imported by mmdet) otherwise asks the network for updates at import
os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')

from .version import __version__  # noqa: E402
from . import datasets, engine, evaluation, models  # noqa: F401,E402  (registration)

__all__ = ['__version__']
