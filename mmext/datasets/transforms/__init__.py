from .albu import LenientAlbu  # noqa: F401
from .loading import CheckedLoadImageFromFile, find_image_problem  # noqa: F401
from .random_transpose import RandomTranspose  # noqa: F401
from .distance_target import GenerateDistanceTarget  # noqa: F401
from .standardize import StandardizeImage  # noqa: F401
