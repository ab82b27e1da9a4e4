"""Mask R-CNN with sliced inference: images larger than a tile are predicted on
overlapping tiles, and the tiles' instances merged across the seams by mask overlap
(:mod:`mmext.models.utils.tile_merge`).

The weights are Mask R-CNN's (same modules, same checkpoint keys): a ``MaskRCNN``
checkpoint loads into it and back. Images no larger than a tile go through Mask R-CNN
unchanged, so on such images the two give the same predictions.
"""
import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.models.detectors import MaskRCNN
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmext.structures.rle import encode_crops
from mmext.models.utils import tile_spans
from mmext.models.utils.tile_merge import MergedInstance, merge_pieces, piece_from_mask
from mmext.registry import DET_MODELS

#: test_cfg keys of the slicing, beside Mask R-CNN's ``rpn`` and ``rcnn``
SLICE_DEFAULTS = dict(tile_size=1024, tile_overlap=256, merge_thr=0.5,
                      max_bitmap_pixels=2**30, size_divisor=32)


def _rescaled(inst: MergedInstance, scale_w: float, scale_h: float, height: int,
              width: int) -> MergedInstance:
    """``inst`` from the network's input scale to the original image's."""
    x0, y0, x1, y1 = inst.box
    nx0, ny0 = int(np.floor(x0 / scale_w)), int(np.floor(y0 / scale_h))
    nx1 = min(width, max(nx0 + 1, int(np.ceil(x1 / scale_w))))
    ny1 = min(height, max(ny0 + 1, int(np.ceil(y1 / scale_h))))
    mask = cv2.resize(inst.mask.view(np.uint8), (nx1 - nx0, ny1 - ny0),
                      interpolation=cv2.INTER_NEAREST).astype(bool)
    return MergedInstance((nx0, ny0, nx1, ny1), mask, inst.score, inst.label)


@DET_MODELS.register_module()
class SlicedMaskRCNN(MaskRCNN):
    """Mask R-CNN predicting large images in overlapping tiles.

    ``test_cfg`` takes, beside ``rpn`` and ``rcnn``: ``tile_size`` (px; images with a
    side above it are sliced), ``tile_overlap`` (px between neighbouring tiles: at least
    the particles' size so each is seen whole by one tile), ``merge_thr`` (two tiles'
    instances are one when, where both tiles see the image, the smaller is covered by the
    other to this share),
    ``max_bitmap_pixels`` (above N x H x W, the sliced image's masks come as RLEs),
    ``size_divisor`` (tiles padded to it, as the data preprocessor pads images).
    Memory grows with one tile's activations and the instances' boxes, not with the
    image's size times its instances.
    """

    def _slice_cfg(self) -> dict:
        return {k: self.test_cfg.get(k, v) for k, v in SLICE_DEFAULTS.items()}

    def predict(self, batch_inputs, batch_data_samples, rescale: bool = True):
        cfg = self._slice_cfg()
        tile = cfg['tile_size']
        if all(max(s.metainfo['img_shape']) <= tile for s in batch_data_samples):
            return super().predict(batch_inputs, batch_data_samples, rescale=rescale)
        for i, sample in enumerate(batch_data_samples):
            if max(sample.metainfo['img_shape']) <= tile:
                super().predict(batch_inputs[i:i + 1], [sample], rescale=rescale)
            else:
                sample.pred_instances = self._predict_sliced(batch_inputs[i], sample, cfg,
                                                             rescale)
        return batch_data_samples

    def predict_tile(self, inputs: torch.Tensor, height: int, width: int) -> InstanceData:
        """Mask R-CNN's instances of one tile (1, C, h, w padded), at its scale."""
        meta = dict(img_shape=(height, width), ori_shape=(height, width),
                    pad_shape=tuple(inputs.shape[-2:]),
                    batch_input_shape=tuple(inputs.shape[-2:]), scale_factor=(1.0, 1.0))
        sample = DetDataSample(metainfo=meta)
        return super().predict(inputs, [sample], rescale=False)[0].pred_instances

    def _predict_sliced(self, inputs, sample, cfg, rescale) -> InstanceData:
        height, width = sample.metainfo['img_shape']
        div = cfg['size_divisor']
        pieces, rects = [], []
        for y0, y1, _, _ in tile_spans(height, cfg['tile_size'], cfg['tile_overlap']):
            for x0, x1, _, _ in tile_spans(width, cfg['tile_size'], cfg['tile_overlap']):
                crop = inputs[None, :, y0:y1, x0:x1]
                crop = F.pad(crop, (0, -crop.shape[-1] % div, 0, -crop.shape[-2] % div))
                found = self.predict_tile(crop, y1 - y0, x1 - x0)
                masks = found.masks
                masks = (masks.cpu().numpy() if hasattr(masks, 'cpu') else np.asarray(masks))
                for mask, score, label in zip(masks.astype(bool), found.scores.tolist(),
                                              found.labels.tolist()):
                    piece = piece_from_mask(mask[:y1 - y0, :x1 - x0], x0, y0, score, label,
                                            len(rects))
                    if piece is not None:
                        pieces.append(piece)
                rects.append((x0, y0, x1, y1))
        merged = merge_pieces(pieces, rects, cfg['merge_thr'])
        max_per_img = (self.test_cfg.get('rcnn') or {}).get('max_per_img')
        merged = merged[:max_per_img] if max_per_img else merged
        if rescale:
            height, width = sample.metainfo['ori_shape']
            scale_w, scale_h = sample.metainfo.get('scale_factor', (1.0, 1.0))
            if (scale_w, scale_h) != (1.0, 1.0):
                merged = [_rescaled(m, scale_w, scale_h, height, width) for m in merged]
        return self._instances(merged, height, width, cfg['max_bitmap_pixels'])

    @staticmethod
    def _instances(merged, height, width, max_bitmap_pixels) -> InstanceData:
        results = InstanceData()
        results.bboxes = torch.tensor([m.box for m in merged], dtype=torch.float32).reshape(-1, 4)
        results.scores = torch.tensor([m.score for m in merged], dtype=torch.float32)
        results.labels = torch.tensor([m.label for m in merged], dtype=torch.long)
        if len(merged) * height * width > max_bitmap_pixels:
            results.masks = encode_crops([m.mask for m in merged],
                                         [m.box[:2] for m in merged], height, width)
        else:
            masks = torch.zeros(len(merged), height, width, dtype=torch.bool)
            for k, m in enumerate(merged):
                x0, y0, x1, y1 = m.box
                masks[k, y0:y1, x0:x1] = torch.from_numpy(m.mask)
            results.masks = masks
        return results
