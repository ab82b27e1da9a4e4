_base_ = './cascade-mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Cascade Mask R-CNN X101-64x4d-FPN: the R50 particle config with mmdet's ResNeXt backbone
# (as mmdet's cascade-mask-rcnn_x101-64x4d_fpn_1x_coco.py is its R50 config plus a backbone),
# fine-tuned from mmdet's COCO weights.
model = dict(backbone=dict(
    type='ResNeXt', depth=101, groups=64, base_width=4,
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/cascade_rcnn/cascade_mask_rcnn_x101_64x4d_fpn_1x_coco/cascade_mask_rcnn_x101_64x4d_fpn_1x_coco_20200203-9a2db89d.pth'  # noqa
