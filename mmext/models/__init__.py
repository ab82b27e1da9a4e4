
from . import classifiers, heads, losses  # noqa: F401
from . import tta  # noqa: F401
from . import backbones, detectors  # noqa: F401
