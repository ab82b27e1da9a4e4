# Ablation of the CPU particle recipe: each image standardised by its own mean and std
# (StandardizeImage, before the crop) instead of ImageNet's fixed mean/std, 1200 iterations
# instead of 900, and the model's test-time score threshold at mmdet's 0.05 so COCO mAP
# ranks every detection (the IoU-F1's threshold is the one validated in training).
_base_ = '../mask-rcnn_r18-thin_fpn_1xb2-900i_particles-native.py'

model = dict(
    data_preprocessor=dict(mean=[0., 0., 0.], std=[1., 1., 1.]),
    test_cfg=dict(rcnn=dict(score_thr=0.05)))

_std = dict(type='StandardizeImage')
_train = _base_.train_pipeline
_test = _base_.test_pipeline
train_pipeline = [_train[0], _std, *_train[1:]]
test_pipeline = [_test[0], _std, *_test[1:]]
tta_pipeline = [_base_.tta_pipeline[0], _std, *_base_.tta_pipeline[1:]]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 1200
train_cfg = dict(max_iters=max_iters, val_interval=600)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=600))
