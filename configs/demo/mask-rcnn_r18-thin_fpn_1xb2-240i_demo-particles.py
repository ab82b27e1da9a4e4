# Demo: particle instance segmentation on the generated demo set
# (`python tools/misc/make_demo_data.py` writes data/demo/particles/). Random init, CPU-sized:
# a thin ResNet-18 (32 base channels) with a 64-channel FPN at 320x256, 240 iterations.
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    '../_base_/datasets/particles_instance.py',  # tta_model (MaskTTAModel, flip fusion)
    '../_base_/default_runtime_det.py',  # custom_imports, custom_hooks
]

# the particle configs' data root variable (see configs/_base_/datasets/particles_instance.py)
particle_data_root = 'data/demo/particles/'
channels = (32, 64, 128, 256)
fpn_channels = 64
demo_scale = (320, 256)  # (w, h)

model = dict(
    backbone=dict(
        depth=18, base_channels=channels[0], frozen_stages=-1, norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=list(channels), out_channels=fpn_channels),
    rpn_head=dict(
        in_channels=fpn_channels, feat_channels=fpn_channels,
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=fpn_channels),
        bbox_head=dict(in_channels=fpn_channels, fc_out_channels=256, num_classes=1),
        mask_roi_extractor=dict(out_channels=fpn_channels),
        mask_head=dict(num_convs=2, in_channels=fpn_channels,
                       conv_out_channels=fpn_channels, num_classes=1)),
    # CPU budget: fewer proposals and sampled RoIs than COCO's (scenes hold <= 80 particles)
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128, pos_fraction=0.5))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=300), rcnn=dict(max_per_img=200)))

train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=demo_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
# the particle test pipelines at the demo's scale
test_pipeline = [dict(step, scale=demo_scale) if step['type'] == 'Resize' else step
                 for step in _base_.particle_test_pipeline]
# tools/test.py --tta: identity + horizontal + vertical flip
tta_pipeline = [
    _base_.tta_pipeline[0],
    dict(_base_.tta_pipeline[1], transforms=[
        [dict(_base_.tta_pipeline[1]['transforms'][0][0], scale=demo_scale)],
        *_base_.tta_pipeline[1]['transforms'][1:]]),
]
train_dataloader = dict(
    batch_size=2, num_workers=2,
    dataset=dict(type='ParticleDataset', data_root=particle_data_root,
                 ann_file='annotations/train.json', data_prefix=dict(img='images/train/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=2, num_workers=2,
    dataset=dict(type='ParticleDataset', data_root=particle_data_root,
                 ann_file='annotations/val.json', data_prefix=dict(img='images/val/'),
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(type='CocoMetric', ann_file=particle_data_root + 'annotations/val.json',
         metric=['bbox', 'segm']),
    # sweep: the validated score threshold saved with the checkpoint (ValidatedScoreThrHook)
    dict(type='IoUWeightedF1Metric', ann_file=particle_data_root + 'annotations/val.json',
         sweep=True),
]
test_evaluator = [val_evaluator[0], dict(val_evaluator[1], sweep=False)]

max_iters = 240
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
# lr 2e-3 chosen for this thin model at batch 2 on CPU (auto_scale_lr below scales from 2)
optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[180, 220], gamma=0.1),
]
auto_scale_lr = dict(enable=False, base_batch_size=2)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    invalid_loss=dict(type='FiniteLossHook'))  # stop at a NaN/inf loss, naming the iteration
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
