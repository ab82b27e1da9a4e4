_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Backbone ablation: ResNet-50 "strikes back" (A1, 600 epochs) ImageNet weights from
# mmpretrain, with the AdamW recipe mmdet uses for them (configs/resnet_strikes_back);
# load_from: mmdet's COCO Mask R-CNN trained from those weights.
checkpoint = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_8xb256-rsb-a1-600e_in1k_20211228-20e21305.pth'  # noqa
model = dict(backbone=dict(
    init_cfg=dict(type='Pretrained', prefix='backbone.', checkpoint=checkpoint)))
# AdamW lr: mmdet's 2e-4 for 8 GPUs x 2 images, scaled linearly to batch 2 (2e-4 * 2 / 16).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='AdamW', lr=2.5e-05, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0., bypass_duplicate=True))
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/resnet_strikes_back/mask_rcnn_r50_fpn_rsb-pretrain_1x_coco/mask_rcnn_r50_fpn_rsb-pretrain_1x_coco_20220113_174054-06ce8ba0.pth'  # noqa
