from .albu import LenientAlbu  # noqa: F401
