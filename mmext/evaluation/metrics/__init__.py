
from .iou_weighted_f1 import IoUWeightedF1Metric  # noqa: F401
from .submission import ParticleSubmissionMetric  # noqa: F401
