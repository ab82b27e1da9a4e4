
from . import classifiers, heads, losses  # noqa: F401
from . import tta  # noqa: F401
