
from .class_balanced_sampler import ClassBalancedSampler  # noqa: F401
