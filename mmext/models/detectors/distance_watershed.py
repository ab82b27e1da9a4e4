"""Bottom-up dense-particle instance segmentation: a per-pixel network predicts the
foreground and each particle's normalised distance to its edge, and a marker watershed
turns the two maps into instances (:mod:`mmext.models.utils.watershed_instances`).

No anchors, proposals or NMS: every pixel belongs to at most one instance, so hundreds
of touching particles cost no more than one, and duplicates (the false positives of
the IoU-weighted F1) cannot arise. Training needs ``GenerateDistanceTarget`` in the
pipeline (its ``gt_seg_map``); prediction returns mmdet's ``pred_instances`` (masks,
boxes, scores, labels 0) at the original image size, so test, submission, report and
app paths take it like a Mask R-CNN.
"""
from typing import Optional

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.detectors.base import BaseDetector
from mmengine.structures import InstanceData

from mmext.datasets.transforms.distance_target import DISTANCE_SCALE
from mmext.structures.rle import encode_label_map
from mmext.registry import DET_MODELS
from mmext.models.utils import instances_from_maps, tiled_forward

#: gt_seg_map value of padding (DetDataPreprocessor's seg_pad_value): ignored in the loss
IGNORE_VALUE = 255


def soft_dice_loss(logits, target, eps=1.0):
    """1 - Dice of sigmoid(logits) and a {0, 1} target, over the whole batch."""
    prob = logits.sigmoid()
    inter = (prob * target).sum()
    return 1 - (2 * inter + eps) / (prob.sum() + target.sum() + eps)


@DET_MODELS.register_module()
class DistanceWatershed(BaseDetector):
    """Foreground + normalised-distance maps from ``backbone`` (2 output channels),
    instances by watershed.

    Args:
        backbone (dict): a network whose output has 2 channels (foreground, distance
            logits) at the input's resolution, e.g. ``ParticleUNet``.
        test_cfg (dict): ``fg_thr`` (foreground probability), ``core_thr`` (distance
            probability of an instance's core, the watershed markers), ``min_area`` (px),
            ``score_thr``, ``max_per_img``, and ``tile_size`` / ``tile_overlap`` (px):
            images larger than a tile are predicted in overlapping tiles stitched at
            the middle of each overlap (bounded activation memory; the maps and the
            watershed are whole-image, so no instance is cut at a seam);
            ``max_bitmap_pixels``: above this N x H x W, masks are returned as RLEs.
        loss_weights (dict): ``fg`` (BCE + Dice on the foreground), ``dist`` (BCE on the
            distance, soft targets).
    """

    def __init__(self, backbone: dict, data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, loss_weights: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = DET_MODELS.build(backbone)
        self.test_cfg = dict(fg_thr=0.5, core_thr=0.5, min_area=4, score_thr=0.0,
                             max_per_img=1000, tile_size=1024, tile_overlap=128,
                             max_bitmap_pixels=2**30)
        self.test_cfg.update(test_cfg or {})
        self.loss_weights = dict(fg=1.0, dist=1.0, **(loss_weights or {}))

    def extract_feat(self, batch_inputs: torch.Tensor) -> torch.Tensor:
        return self.backbone(batch_inputs)

    def _forward(self, batch_inputs, batch_data_samples=None):
        return self.extract_feat(batch_inputs)

    def loss(self, batch_inputs, batch_data_samples) -> dict:
        logits = self.extract_feat(batch_inputs)
        try:
            target = torch.stack([s.gt_sem_seg.sem_seg for s in batch_data_samples])
        except AttributeError:
            raise KeyError('DistanceWatershed trains on gt_seg_map: add '
                           "dict(type='GenerateDistanceTarget') after LoadAnnotations "
                           'in the training pipeline') from None
        target = target.to(logits.device).float()
        valid = target != IGNORE_VALUE
        fg_target = (target > 0).float()
        dist_target = (target / DISTANCE_SCALE).clamp(0, 1)
        fg_logit, dist_logit = logits[:, :1], logits[:, 1:2]
        loss_fg = (F.binary_cross_entropy_with_logits(fg_logit[valid], fg_target[valid])
                   + soft_dice_loss(fg_logit[valid], fg_target[valid]))
        loss_dist = F.binary_cross_entropy_with_logits(dist_logit[valid], dist_target[valid])
        return dict(loss_fg=loss_fg * self.loss_weights['fg'],
                    loss_dist=loss_dist * self.loss_weights['dist'])

    def predict_maps(self, batch_inputs: torch.Tensor) -> torch.Tensor:
        """Foreground and distance probabilities (B, 2, H, W), tiled above tile_size."""
        cfg = self.test_cfg
        logits = tiled_forward(self.extract_feat, batch_inputs, cfg['tile_size'],
                               cfg['tile_overlap'])
        return logits[:, :2].sigmoid()

    def _masks(self, found):
        """Bitmap masks (N, H, W) up to ``max_bitmap_pixels`` of N x H x W, RLEs above:
        hundreds of particles in an 8k x 8k image would need hundreds of GB as bitmaps
        (mmext's metrics, report and submission take RLEs; drawing needs bitmaps)."""
        num = len(found.scores)
        if num * found.labels.size > self.test_cfg['max_bitmap_pixels']:
            return encode_label_map(found.labels, found.boxes)
        labels = torch.from_numpy(found.labels)
        return labels[None] == torch.arange(1, num + 1, dtype=labels.dtype)[:, None, None]

    def predict(self, batch_inputs, batch_data_samples, rescale: bool = True):
        probs = self.predict_maps(batch_inputs).cpu().numpy()
        cfg = self.test_cfg
        for maps, sample in zip(probs, batch_data_samples):
            height, width = sample.metainfo['img_shape']
            maps = maps[:, :height, :width]
            if rescale and tuple(sample.metainfo['ori_shape']) != (height, width):
                ori_h, ori_w = sample.metainfo['ori_shape']
                maps = np.stack([cv2.resize(m, (ori_w, ori_h), interpolation=cv2.INTER_LINEAR)
                                 for m in maps])
            found = instances_from_maps(
                maps[0], maps[1], fg_thr=cfg['fg_thr'], core_thr=cfg['core_thr'],
                min_area=cfg['min_area'], score_thr=cfg['score_thr'],
                max_per_img=cfg['max_per_img'])
            results = InstanceData()
            results.masks = self._masks(found)
            results.bboxes = torch.from_numpy(found.boxes)
            results.scores = torch.from_numpy(found.scores)
            results.labels = torch.zeros(len(found.scores), dtype=torch.long)
            sample.pred_instances = results
        return batch_data_samples
