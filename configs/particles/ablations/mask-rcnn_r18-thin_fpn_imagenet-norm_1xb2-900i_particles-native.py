# Ablation of the CPU particle recipe: ImageNet's fixed mean/std instead of per-image
# standardisation, 900 iterations instead of 1200 and the model's own 0.4 score threshold:
# the recipe as it shipped before the EMPS cross-validation (fold 0: IoU-F1 0.464,
# segm mAP50 0.455 against 0.542 / 0.609 for the standardised 1200-step recipe).
_base_ = '../mask-rcnn_r18-thin_fpn_1xb2-1200i_particles-native.py'

model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
    test_cfg=dict(rcnn=_base_.particle_rcnn_test_cfg))


def _without_standardize(pipeline):
    return [t for t in pipeline if t['type'] != 'StandardizeImage']


train_pipeline = _without_standardize(_base_.train_pipeline)
test_pipeline = _without_standardize(_base_.test_pipeline)
tta_pipeline = _without_standardize(_base_.tta_pipeline)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

max_iters = 900
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
