"""Dense training target of the bottom-up particle models: each instance's normalised
distance to its own edge.

For every ground-truth mask, the Euclidean distance of its pixels to the nearest pixel
outside it, divided by the instance's largest distance: 1 on the instance's medial core,
falling to ~0 at its edge, whatever its size (a 5 px and a 400 px particle look alike).
Instances are combined by the maximum, so touching particles meet in a valley of low
values that the watershed of :class:`~mmext.models.detectors.DistanceWatershed` cuts
along. The map is stored as ``gt_seg_map`` (uint8, ``round(d * DISTANCE_SCALE)``, 0 =
background) so that mmdet's crops, flips and resizes and ``PackDetInputs`` carry it
like a semantic map, and it is computed before any crop: a particle cut by a crop keeps
the target it has in the whole image.
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.mask import BitmapMasks

from mmext.registry import DET_TRANSFORMS

#: uint8 value of a normalised distance of 1 (255 is left free as the padding value)
DISTANCE_SCALE = 200


def instance_distance_map(masks, shape, boxes=None) -> np.ndarray:
    """Normalised per-instance distance in [0, 1], float32 of ``shape``, from boolean
    ``(N, H, W)`` masks; ``boxes`` (``(N, 4)`` x1 y1 x2 y2, optional) only narrow where
    each mask is looked for."""
    out = np.zeros(shape, np.float32)
    height, width = shape
    for i, mask in enumerate(masks):
        if boxes is not None:  # a margin of 2 px for boxes rounded inwards
            bx0, by0 = (max(int(v) - 2, 0) for v in boxes[i][:2])
            bx1, by1 = int(boxes[i][2]) + 3, int(boxes[i][3]) + 3
        else:
            bx0, by0, bx1, by1 = 0, 0, width, height
        ys, xs = np.nonzero(mask[by0:by1, bx0:bx1])
        if ys.size == 0:
            continue
        y0, y1 = by0 + ys.min(), by0 + ys.max() + 1
        x0, x1 = bx0 + xs.min(), bx0 + xs.max() + 1
        crop = np.zeros((y1 - y0 + 2, x1 - x0 + 2), np.uint8)  # 1 px of background around
        crop[1:-1, 1:-1] = mask[y0:y1, x0:x1]
        dist = cv2.distanceTransform(crop, cv2.DIST_L2, 5)[1:-1, 1:-1]
        dist /= dist.max()
        region = out[y0:y1, x0:x1]
        np.maximum(region, dist, out=region)
    return out


@DET_TRANSFORMS.register_module()
class GenerateDistanceTarget(BaseTransform):
    """Write ``gt_seg_map``: the normalised distance map of ``gt_masks`` (see module doc).

    Place it after ``LoadAnnotations(with_mask=True)`` and before any crop or flip.
    """

    def transform(self, results):
        masks = results.get('gt_masks')
        if masks is None:
            raise KeyError('GenerateDistanceTarget needs gt_masks: put it after '
                           "LoadAnnotations(with_mask=True) in the pipeline")
        shape = results['img'].shape[:2]
        boxes = results.get('gt_bboxes')
        boxes = None if boxes is None else np.asarray(boxes.numpy() if hasattr(
            boxes, 'numpy') else boxes).reshape(-1, 4)
        arrays = masks.masks if isinstance(masks, BitmapMasks) else masks.to_ndarray()
        dist = instance_distance_map(arrays, shape, boxes)
        results['gt_seg_map'] = np.rint(dist * DISTANCE_SCALE).astype(np.uint8)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results
