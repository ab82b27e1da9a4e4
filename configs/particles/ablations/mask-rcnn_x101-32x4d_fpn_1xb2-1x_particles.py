_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Backbone ablation: ResNeXt-101 32x4d, from mmdet's COCO Mask R-CNN X101-32x4d weights.
model = dict(backbone=dict(
    type='ResNeXt', depth=101, groups=32, base_width=4,
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_32x4d')))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/mask_rcnn_x101_32x4d_fpn_1x_coco/mask_rcnn_x101_32x4d_fpn_1x_coco_20200205-478d0b67.pth'  # noqa
