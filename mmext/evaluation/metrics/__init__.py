"""Registered evaluators (mmdet scope)."""
from .iou_weighted_f1 import IoUWeightedF1Metric
from .submission import ParticleSubmissionMetric

__all__ = ['IoUWeightedF1Metric', 'ParticleSubmissionMetric']
