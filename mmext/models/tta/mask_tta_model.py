"""Test-time augmentation for instance segmentation (mmdet's ``DetTTAModel`` refuses
masks): undo each view's flip on its masks, then merge the views' instances with
:func:`mmext.models.tta.mask_merge.merge_instances`.

Config (see ``configs/_base_/datasets/particles_instance.py``)::

    tta_model = dict(type='MaskTTAModel',
                     tta_cfg=dict(method='fusion', iou_thr=0.5, vote_thr=0.5,
                                  min_votes=2, keep_isolated=True, max_per_img=1000))
    tta_pipeline = [LoadImageFromFile, TestTimeAug([[Resize], [no flip, h flip, v flip],
                    [PackDetInputs with 'flip', 'flip_direction' in meta_keys]])]

The merge settings not in ``tta_cfg`` take :func:`merge_instances`' defaults; the
measured best (``bench/bench_mask_tta_merge.py``) is the config's ``tta_model``.
Predictions without masks fall back to ``DetTTAModel``'s box NMS (``tta_cfg.nms``,
default IoU 0.5).
"""
import inspect
from typing import List

from mmdet.models.test_time_augs import DetTTAModel
from mmdet.structures import DetDataSample
from mmdet.structures.mask import mask2bbox
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

from mmext.registry import DET_MODELS
from .mask_merge import merge_instances, unflip_masks

_MERGE_DEFAULTS = {name: p.default for name, p in
                   inspect.signature(merge_instances).parameters.items()
                   if p.default is not inspect.Parameter.empty}


@DET_MODELS.register_module()
class MaskTTAModel(DetTTAModel):
    """Merge flipped views of instance predictions (boxes recomputed from masks)."""

    def __init__(self, tta_cfg=None, **kwargs):
        tta_cfg = dict(tta_cfg or {})
        unknown = set(tta_cfg) - set(_MERGE_DEFAULTS) - {'nms'}
        if unknown:
            raise TypeError(f'MaskTTAModel: unknown tta_cfg keys {sorted(unknown)}')
        # the box fallback (DetTTAModel) reads nms and max_per_img
        super().__init__(tta_cfg=ConfigDict({
            'nms': dict(type='nms', iou_threshold=0.5),
            'max_per_img': _MERGE_DEFAULTS['max_per_img'], **tta_cfg}), **kwargs)
        self.merge_cfg = {k: v for k, v in tta_cfg.items() if k != 'nms'}

    def _merge_single_sample(self, data_samples: List[DetDataSample]) -> DetDataSample:
        if data_samples[0].pred_instances.get('masks', None) is None:
            return super()._merge_single_sample(data_samples)
        masks, scores, labels = [], [], []
        for sample in data_samples:
            pred = sample.pred_instances
            direction = sample.metainfo.get('flip_direction') \
                if sample.metainfo.get('flip', False) else None
            masks.append(unflip_masks(pred.masks, direction))
            scores.append(pred.scores)
            labels.append(pred.labels)
        masks, scores, labels = merge_instances(masks, scores, labels, **self.merge_cfg)
        merged = InstanceData(bboxes=mask2bbox(masks), scores=scores, labels=labels,
                              masks=masks)
        result = data_samples[0]
        result.set_metainfo(dict(flip=False, flip_direction=None))
        result.pred_instances = merged
        return result
