_base_ = [
    'mmdet::ms_rcnn/ms-rcnn_r50_fpn_1x_coco.py',
    '../_base_/datasets/particles_instance.py', '../_base_/particle_test_cfg.py',
    '../_base_/default_runtime_det.py'
]
# Mask Scoring R-CNN R50-FPN, one class. mmdet publishes COCO weights only for the caffe-
# style R50 variant; this one starts from Mask R-CNN R50-FPN COCO weights (same backbone,
# neck and heads; the MaskIoU head starts fresh).
model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=1),
        mask_head=dict(num_classes=1),
        mask_iou_head=dict(num_classes=1)),
    test_cfg=dict(rpn=_base_.particle_rpn_test_cfg, rcnn=_base_.particle_rcnn_test_cfg))

train_dataloader = _base_.particle_train_dataloader
val_dataloader = _base_.particle_val_dataloader
test_dataloader = _base_.particle_test_dataloader
val_evaluator = _base_.particle_val_evaluator
test_evaluator = _base_.particle_test_evaluator
default_hooks = _base_.particle_default_hooks
# Learning rate for one process x 2 images: mmdet's 0.02 for 8 GPUs x 2 images, scaled
# linearly to batch 2 (0.02 * 2 / 16); --auto-scale-lr rescales it from base_batch_size=2.
optim_wrapper = dict(optimizer=dict(lr=0.0025))
auto_scale_lr = dict(enable=False, base_batch_size=2)
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/mask_rcnn/mask_rcnn_r50_fpn_1x_coco/mask_rcnn_r50_fpn_1x_coco_20200205-d4b0c5d6.pth'  # noqa
