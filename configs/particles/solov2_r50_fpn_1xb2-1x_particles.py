_base_ = [
    'mmdet::solov2/solov2_r50_fpn_1x_coco.py',
    '../_base_/datasets/particles_instance.py', '../_base_/particle_test_cfg.py',
    '../_base_/default_runtime_det.py'
]
# SOLOv2 R50-FPN, one class, fine-tuned from COCO. SOLOv2 decays scores with matrix NMS
# before its final filter: score_thr keeps candidates, filter_thr=0.4 is the threshold
# that matters for the IoU-weighted F1 (see _base_/particle_test_cfg.py). Dense scenes: 3000
# candidates and 1000 masks per image, as the two-stage configs keep.
model = dict(
    mask_head=dict(num_classes=1),
    test_cfg=dict(nms_pre=3000, score_thr=0.1, filter_thr=0.4,
                  max_per_img=_base_.particle_max_per_img))

train_dataloader = _base_.particle_train_dataloader
val_dataloader = _base_.particle_val_dataloader
test_dataloader = _base_.particle_test_dataloader
# SOLOv2 predicts masks only (its boxes are zeros): no bbox mAP
val_evaluator = [dict(_base_.particle_val_evaluator[0], metric=['segm']),
                 _base_.particle_val_evaluator[1]]
test_evaluator = val_evaluator
default_hooks = _base_.particle_default_hooks
# Learning rate for one process x 2 images: mmdet's 0.01 for 8 GPUs x 2 images, scaled
# linearly to batch 2 (0.01 * 2 / 16); --auto-scale-lr rescales it from base_batch_size=2.
optim_wrapper = dict(optimizer=dict(lr=0.00125))
auto_scale_lr = dict(enable=False, base_batch_size=2)
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/solov2/solov2_r50_fpn_1x_coco/solov2_r50_fpn_1x_coco_20220512_125858-a357fa23.pth'  # noqa
