"""Registered evaluators (mmdet scope)."""
from .iou_weighted_f1 import IoUWeightedF1Metric

__all__ = ['IoUWeightedF1Metric']
