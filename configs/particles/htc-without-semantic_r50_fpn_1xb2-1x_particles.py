_base_ = [
    'mmdet::htc/htc-without-semantic_r50_fpn_1x_coco.py',
    '../_base_/datasets/particles_instance.py', '../_base_/particle_test_cfg.py',
    '../_base_/default_runtime_det.py'
]
# Hybrid Task Cascade R50-FPN without the semantic branch (particle data has no
# stuff/semantic labels), one class in every stage. mmdet publishes no COCO weights of
# this variant: load those of full HTC R50 1x; its semantic-head weights are unused.
model = dict(
    roi_head=dict(
        bbox_head=[dict(head, num_classes=1) for head in _base_.model.roi_head.bbox_head],
        mask_head=[dict(head, num_classes=1) for head in _base_.model.roi_head.mask_head]),
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
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/htc/htc_r50_fpn_1x_coco/htc_r50_fpn_1x_coco_20200317-7332cf16.pth'  # noqa
