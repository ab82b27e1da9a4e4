_base_ = './cascade-mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Cascade Mask R-CNN X101-32x4d-FPN: the R50 particle config with mmdet's ResNeXt backbone
# (as mmdet's cascade-mask-rcnn_x101-32x4d_fpn_1x_coco.py is its R50 config plus a backbone),
# fine-tuned from mmdet's COCO weights.
model = dict(backbone=dict(
    type='ResNeXt', depth=101, groups=32, base_width=4,
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_32x4d')))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/cascade_rcnn/cascade_mask_rcnn_x101_32x4d_fpn_1x_coco/cascade_mask_rcnn_x101_32x4d_fpn_1x_coco_20200201-0f411b1f.pth'  # noqa
