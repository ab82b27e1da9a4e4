"""The resize a pipeline applies: which transform, and by what factor per image size.

Covers mmcv/mmdet ``Resize``, ``RandomResize``, ``RandomChoiceResize`` and mmpretrain's
``RandomResizedCrop`` and ``ResizeEdge``. Factors are linear (output length over input
length; for a crop, over the crop's side), as a range (lowest, highest) for random ones.
"""
import math
from dataclasses import dataclass
from typing import Optional, Tuple

RESIZE_TYPES = ('Resize', 'RandomResize', 'RandomChoiceResize', 'RandomResizedCrop',
                'ResizeEdge')


def short_type(t):
    """A registry type name without its scope: ``'mmdet.Resize'`` -> ``'Resize'``."""
    return str(t).split('.')[-1]


def _pair(scale):
    return tuple(scale) if isinstance(scale, (list, tuple)) else (scale, scale)


def _resize_factor(w, h, scale, keep_ratio):
    """mmcv ``Resize``: with keep_ratio the largest size that fits ``scale`` (mmcv's
    ``rescale_size``), else each side to its target (geometric mean of both factors)."""
    sw, sh = _pair(scale)
    if keep_ratio:
        return min(max(sw, sh) / max(w, h), min(sw, sh) / min(w, h))
    return math.sqrt(sw / w * sh / h)


@dataclass
class ResizeStep:
    """A pipeline's first resize-like transform (``index`` into the pipeline)."""
    index: int
    cfg: dict

    @property
    def type(self):
        return short_type(self.cfg['type'])

    def describe(self):
        keys = ('scale', 'scales', 'scale_factor', 'keep_ratio', 'ratio_range', 'edge',
                'crop_ratio_range')
        args = ', '.join(f'{k}={self.cfg[k]!r}' for k in keys if k in self.cfg)
        return f'{self.type}({args})'

    def _candidate_scales(self):
        cfg = self.cfg
        if self.type == 'RandomChoiceResize':
            return list(cfg['scales'])
        scale = cfg['scale']
        if (isinstance(scale, (list, tuple)) and scale and isinstance(scale[0], (list, tuple))):
            return list(scale)  # a (low, high) range of scales
        if cfg.get('ratio_range'):
            lo, hi = cfg['ratio_range']
            return [tuple(s * lo for s in _pair(scale)), tuple(s * hi for s in _pair(scale))]
        return [scale]

    def factors(self, w: int, h: int) -> Tuple[float, float]:
        """(lowest, highest) linear factor for an image of ``w`` x ``h`` pixels."""
        cfg = self.cfg
        if self.type == 'ResizeEdge':
            side = dict(short=min(w, h), long=max(w, h), width=w, height=h)[
                cfg.get('edge', 'short')]
            f = cfg['scale'] / side
            return f, f
        if self.type == 'RandomResizedCrop':
            out_w, out_h = _pair(cfg['scale'])
            lo, hi = cfg.get('crop_ratio_range', (0.08, 1.0))
            return (math.sqrt(out_w * out_h / (hi * w * h)),
                    math.sqrt(out_w * out_h / (lo * w * h)))
        if cfg.get('scale') is None and self.type == 'Resize':
            fx, fy = _pair(cfg.get('scale_factor', 1.0))
            f = math.sqrt(fx * fy)
            return f, f
        keep_ratio = cfg.get('keep_ratio', False)
        fs = [_resize_factor(w, h, s, keep_ratio) for s in self._candidate_scales()]
        return min(fs), max(fs)

    def scale_for(self, w: int, h: int):
        """A ``scale`` value of this transform that keeps a ``w`` x ``h`` image at
        about its own size (for the fix of an up- or down-scaling warning)."""
        scale = self.cfg.get('scale')
        if isinstance(scale, (list, tuple)) and len(scale) == 2 and not isinstance(
                scale[0], (list, tuple)):
            if self.type == 'RandomResizedCrop':  # (h, w)
                return (int(h), int(w))
            return (int(w), int(h))
        return int(min(w, h))


def find_resize(pipeline) -> Optional[ResizeStep]:
    """The first resize-like transform of ``pipeline``."""
    for i, t in enumerate(pipeline or []):
        if isinstance(t, dict) and short_type(t.get('type')) in RESIZE_TYPES:
            return ResizeStep(i, t)
    return None


def find_transform(pipeline, type_name):
    """``(index, cfg)`` of the first transform of ``type_name``, or None."""
    for i, t in enumerate(pipeline or []):
        if isinstance(t, dict) and short_type(t.get('type')) == type_name:
            return i, t
    return None
