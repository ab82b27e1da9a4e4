"""Dense real scenes: a generated 1024x1280 photo with 600 particles keeps every particle
through each test-time stage of the particle configs (RPN proposals, R-CNN detections,
mask pasting, mask TTA merge, submission results, COCO and IoU-F1 evaluation)."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmext.utils.config import drop_pretrained_init, register_scope

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(REPO, 'configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py')
H, W = 1024, 1280
N = 600  # 25 x 24 particles of 32x32 px, 8 px apart
SIDE, PITCH = 32, 40


def particle_boxes():
    """600 boxes (x1, y1, x2, y2) centred on multiples of 4 px (the P2 anchor grid)."""
    ys, xs = np.meshgrid(np.arange(24), np.arange(25), indexing='ij')
    cx, cy = 40 + xs.ravel() * PITCH, 40 + ys.ravel() * PITCH
    return np.stack([cx - SIDE / 2, cy - SIDE / 2, cx + SIDE / 2, cy + SIDE / 2], 1)


def box_iou(a, b):
    from mmdet.structures.bbox import bbox_overlaps
    return bbox_overlaps(torch.as_tensor(a, dtype=torch.float32),
                         torch.as_tensor(b, dtype=torch.float32))


@pytest.fixture(scope='module')
def model_and_cfg():
    cfg = Config.fromfile(CFG)
    drop_pretrained_init(cfg)
    register_scope('mmdet')
    from mmdet.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model).eval()
    return model, cfg


@pytest.fixture(scope='module')
def scene(model_and_cfg):
    """RPN proposals, detections and pasted masks of the 600-particle photo."""
    model, cfg = model_and_cfg
    boxes = particle_boxes()
    meta = dict(img_shape=(H, W), ori_shape=(H, W), pad_shape=(H, W), scale_factor=(1., 1.))
    rpn = model.rpn_head
    sizes = [(H // int(sh), W // int(sw)) for sw, sh in rpn.prior_generator.strides]
    num_anchors = rpn.num_base_priors
    # the RPN is sure about the anchor matching each particle, unsure elsewhere: on P2
    # (stride 4) the 32x32 anchor (ratio 1) centred on the particle
    cls_scores = [torch.full((1, num_anchors, h, w), -6.) for h, w in sizes]
    stride = int(rpn.prior_generator.strides[0][0])
    ratio_1 = list(rpn.prior_generator.ratios.tolist()).index(1.0)
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    cls_scores[0][0, ratio_1, (cy // stride).astype(int), (cx // stride).astype(int)] = 6.
    bbox_preds = [torch.zeros(1, num_anchors * 4, h, w) for h, w in sizes]
    with torch.no_grad():
        proposals = rpn.predict_by_feat(cls_scores, bbox_preds, batch_img_metas=[meta],
                                        cfg=cfg.model.test_cfg.rpn, rescale=False)[0]
        # R-CNN: every proposal over a particle is a confident particle, the rest background
        rois = proposals.bboxes
        on_particle = box_iou(rois, boxes).max(1).values > 0.9
        cls = torch.where(on_particle[:, None], torch.tensor([4., -4.]), torch.tensor([-4., 4.]))
        roi5 = torch.cat([rois.new_zeros(len(rois), 1), rois], 1)
        dets = model.roi_head.bbox_head.predict_by_feat(
            (roi5, ), (cls, ), (torch.zeros(len(rois), 4), ), [meta],
            rcnn_test_cfg=cfg.model.test_cfg.rcnn)[0]
        mask_logits = torch.full((len(dets), 1, 28, 28), 6.)
        dets = model.roi_head.mask_head.predict_by_feat(
            (mask_logits, ), [dets], [meta], rcnn_test_cfg=cfg.model.test_cfg.rcnn,
            rescale=True)[0]
    return boxes, proposals, dets


def test_rpn_keeps_a_proposal_per_particle(scene):
    boxes, proposals, _ = scene
    assert len(proposals) >= N
    assert bool((box_iou(boxes, proposals.bboxes).max(1).values > 0.99).all())


def test_rcnn_keeps_every_detection_and_mask(scene):
    boxes, _, dets = scene
    assert len(dets) == N
    assert tuple(dets.masks.shape) == (N, H, W)
    assert bool((box_iou(boxes, dets.bboxes).max(1).values > 0.99).all())
    assert (dets.masks.sum((1, 2)) >= SIDE * SIDE * 0.9).all()


def test_mask_tta_merge_keeps_them(scene, model_and_cfg):
    from mmext.models.tta.mask_merge import merge_instances
    _, cfg = model_and_cfg
    _, _, dets = scene
    tta = dict(cfg.tta_model.tta_cfg)
    small = dets.masks[:, ::8, ::8]  # the count limit does not depend on the mask size
    masks, scores, _ = merge_instances([small] * 3, [dets.scores] * 3, [dets.labels] * 3, **tta)
    assert len(masks) == len(scores) == N


def test_submission_and_metrics_count_every_particle(scene, model_and_cfg, tmp_path):
    from pycocotools import mask as mask_utils
    from mmdet.registry import METRICS
    from mmext.evaluation.metrics.submission import predictions_to_results
    _, cfg = model_and_cfg
    boxes, _, dets = scene
    image = dict(id=1, file_name='dense.png', height=H, width=W)
    results = predictions_to_results(dets.to_dict(), image['id'])
    assert len(results) == N
    gt_masks = np.zeros((H, W, N), np.uint8, order='F')
    for i, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
        gt_masks[y1:y2, x1:x2, i] = 1
    rles = mask_utils.encode(gt_masks)
    anns = [dict(id=i + 1, image_id=1, category_id=1, iscrowd=0,
                 segmentation=dict(size=r['size'], counts=r['counts'].decode()),
                 area=float(mask_utils.area(r)), bbox=mask_utils.toBbox(r).tolist())
            for i, r in enumerate(rles)]
    ann_file = str(tmp_path / 'dense.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=[image], annotations=anns,
                       categories=[dict(id=1, name='Normal')]), f)
    sample = dict(img_id=1, ori_shape=(H, W),
                  pred_instances=dict(bboxes=dets.bboxes, scores=dets.scores,
                                      labels=dets.labels, masks=dets.masks))
    with DefaultScope.overwrite_default_scope('mmdet'):
        for metric_cfg in cfg.test_evaluator:
            metric = METRICS.build(dict(metric_cfg, ann_file=ann_file))
            metric.dataset_meta = dict(classes=('Normal', ))
            metric.process({}, [sample])
            scores = metric.evaluate(1)
            if metric_cfg['type'] == 'CocoMetric':
                assert scores['coco/segm_mAP'] == pytest.approx(1.0)
                assert scores['coco/bbox_mAP'] == pytest.approx(1.0)
            else:
                assert scores['iou_f1'] == pytest.approx(1.0)


def test_mmdet_coco_defaults_would_truncate():
    """The limits matter: mmdet's own COCO settings keep fewer than 600."""
    coco = Config.fromfile(osp.join(
        osp.dirname(__import__('mmdet').__file__), '.mim', 'configs', 'mask_rcnn',
        'mask-rcnn_r50_fpn_1x_coco.py'))
    assert coco.model.test_cfg.rcnn.max_per_img < N
    cfg = Config.fromfile(CFG)
    assert cfg.model.test_cfg.rcnn.max_per_img >= N
    assert cfg.model.test_cfg.rpn.max_per_img >= 3 * N
    assert cfg.test_evaluator[0].proposal_nums[-1] >= N
