"""Per-image caps of a detection config and its smallest anchor, read from the config.

Each cap comes with the ``--cfg-options`` key that sets it, so a warning can print its fix.
"""
import math
from dataclasses import dataclass
from typing import Any, List, Optional

from mmext.utils.config_walk import iter_evaluators
from .resize import short_type

#: mmdet's CocoMetric default (COCOeval maxDets; AP uses the last)
COCO_PROPOSAL_NUMS = (100, 300, 1000)
#: warn when a final-detection cap is below this many times the densest image's instances
DETECTION_MARGIN = 1.1
#: and suggest this many times
DETECTION_SUGGEST = 1.2
#: candidates before NMS (RPN proposals, SOLO's nms_pre): several per instance are needed
CANDIDATE_MARGIN = 3
CANDIDATE_SUGGEST = 5


@dataclass
class Limit:
    """A cap on instances per image: where it is (``key``) and its ``value``.

    ``margin``: the cap should hold at least ``margin`` x the densest image's instances;
    ``suggest``: the factor a fix raises it to (rounded up to 100).
    """
    name: str
    key: str
    value: int
    margin: float
    suggest: float
    prefix: tuple = ()  # proposal_nums: the entries kept before the last one

    def fix(self, max_instances: int) -> str:
        """``key=value`` that raises this cap enough for ``max_instances``."""
        new = max(self.value, int(math.ceil(self.suggest * max_instances / 100.0)) * 100)
        if self.prefix:
            nums = [n for n in self.prefix if n < new] + [new]
            return f'{self.key}=({",".join(str(n) for n in nums)})'
        return f'{self.key}={new}'


def _get(node, *keys):
    for key in keys:
        if not isinstance(node, dict) or node.get(key) is None:
            return None
        node = node[key]
    return node


def model_limits(cfg) -> List[Limit]:
    """Every cap on instances per image that a detection config sets at test time."""
    limits = []
    test_cfg = _get(cfg.get('model'), 'test_cfg') or {}
    two_stage = isinstance(test_cfg.get('rpn'), dict)
    stages = [('rpn', 'RPN'), ('rcnn', 'RoI head')] if two_stage else [(None, 'head')]
    for stage, label in stages:
        node = test_cfg.get(stage) if stage else test_cfg
        if not isinstance(node, dict):
            continue
        prefix = f'model.test_cfg.{stage}.' if stage else 'model.test_cfg.'
        final = stage != 'rpn'
        for field in ('nms_pre', 'max_per_img'):
            value = node.get(field)
            if not isinstance(value, int) or value <= 0:
                continue
            is_final = final and field == 'max_per_img'
            limits.append(Limit(
                f'{label} {"detections" if is_final else "candidates"} ({field})',
                prefix + field, value,
                DETECTION_MARGIN if is_final else CANDIDATE_MARGIN,
                DETECTION_SUGGEST if is_final else CANDIDATE_SUGGEST))
    tta_max = _get(cfg.get('tta_model'), 'tta_cfg', 'max_per_img')
    if isinstance(tta_max, int):
        limits.append(Limit('TTA detections (with --tta)', 'tta_model.tta_cfg.max_per_img',
                            tta_max, DETECTION_MARGIN, DETECTION_SUGGEST))
    for path, metric in iter_evaluators(cfg):
        if short_type(metric.get('type', '')) != 'CocoMetric':
            continue
        nums = tuple(metric.get('proposal_nums') or COCO_PROPOSAL_NUMS)
        limits.append(Limit(f'{path.split(".")[0]} CocoMetric max detections '
                            '(proposal_nums[-1])', f'{path}.proposal_nums', int(nums[-1]),
                            DETECTION_MARGIN, DETECTION_SUGGEST, prefix=nums[:-1]))
    return limits


@dataclass
class AnchorInfo:
    """The smallest anchor of a config's anchor generator.

    ``size``: its side for a square (sqrt of its area, the same for every ratio);
    ``min_pos_iou``: the assigner's IoU below which a ground truth gets no anchor;
    ``key``/``scales``: where its scales are set, for the fix.
    """
    head: str
    stride: float
    scales: list
    ratios: List[float]
    min_pos_iou: float
    key: Optional[str]

    @property
    def size(self):
        return self.stride * min(self.scales)

    @property
    def shortest_side(self):
        return self.size * min(min(math.sqrt(r), 1 / math.sqrt(r)) for r in self.ratios)

    @property
    def min_matchable(self):
        """Smallest object side (sqrt of box area) whose centred square still reaches
        ``min_pos_iou`` with the smallest anchor: size x sqrt(min_pos_iou)."""
        return self.size * math.sqrt(self.min_pos_iou)

    def fix(self, min_object: float) -> Optional[str]:
        """``key=value`` with the largest integer scale that matches ``min_object``."""
        if self.key is None or self.min_pos_iou <= 0:
            return None
        scale = int(min_object / (self.stride * math.sqrt(self.min_pos_iou)))
        if scale < 1:
            return None
        if self.key.endswith('octave_base_scale'):
            return f'{self.key}={scale}'
        others = sorted(s for s in self.scales if s > scale and s != min(self.scales))
        return f'{self.key}=[{",".join(str(s) for s in [scale] + others)}]'


def anchor_info(cfg) -> Optional[AnchorInfo]:
    """The config's smallest anchor (RPN or single-stage head), or None without one."""
    model: Any = cfg.get('model') or {}
    for head in ('rpn_head', 'bbox_head'):
        gen = _get(model, head, 'anchor_generator')
        if not isinstance(gen, dict) or not gen.get('strides'):
            continue
        base_sizes = gen.get('base_sizes')
        stride = base_sizes[0] if base_sizes else gen['strides'][0]
        stride = float(min(stride) if isinstance(stride, (list, tuple)) else stride)
        if gen.get('scales') is not None:
            scales, key = list(gen['scales']), f'model.{head}.anchor_generator.scales'
        elif gen.get('octave_base_scale') is not None:
            per = gen.get('scales_per_octave', 1)
            scales = [gen['octave_base_scale'] * 2**(i / per) for i in range(per)]
            key = f'model.{head}.anchor_generator.octave_base_scale'
        else:
            continue
        train_cfg = _get(model, 'train_cfg') or {}
        assigner = _get(train_cfg, 'rpn', 'assigner') if head == 'rpn_head' else _get(
            train_cfg, 'assigner')
        min_pos_iou = float((assigner or {}).get('min_pos_iou', 0.3))
        return AnchorInfo(head, stride, scales, list(gen.get('ratios', [1.0])), min_pos_iou,
                          key)
    return None
