"""Helpers for mmext's tests and benches: loading the repository's tools, and the slow
reference implementations (oracles) the fast code is checked against."""
from .oracles import (encode_masks_dense, iou_weighted_f1_reference, merge_instances_dense,
                      shape_metrics_from_masks)
from .tools import load_tool, tool_path

__all__ = ['encode_masks_dense', 'iou_weighted_f1_reference', 'load_tool',
           'merge_instances_dense', 'shape_metrics_from_masks', 'tool_path']
