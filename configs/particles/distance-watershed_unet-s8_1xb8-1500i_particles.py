# Bottom-up particle instance segmentation, trained from scratch on a CPU: a small U-Net
# predicts the foreground and each particle's normalised distance to its edge
# (GenerateDistanceTarget), a marker watershed cuts the foreground into instances
# (DistanceWatershed). No anchors, proposals or NMS: the model does not care how many
# particles touch, and one pixel belongs to one instance (no duplicate false positives
# under the IoU-weighted F1).
_base_ = [
    'mmdet::_base_/default_runtime.py',
    '../_base_/datasets/particles_instance.py', '../_base_/default_runtime_det.py'
]

# Training crops at the images' own scale (no resize: particles keep the size the
# instrument gave them). 256 px: a batch of 8 fits a 2-core CPU step in ~1 s, and the
# target is computed on the whole image before the crop, so a particle cut by the crop
# keeps its true distance map.
crop_size = (256, 256)
model = dict(
    type='DistanceWatershed',
    data_preprocessor=dict(
        # the pipelines' StandardizeImage has normalised each image already
        type='DetDataPreprocessor', mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=True,
        pad_size_divisor=32,  # the U-Net halves the sides 4 times (16) and tiles by 32
        pad_seg=True, seg_pad_value=255),  # padding is ignored by the loss
    # 8 base channels (16 cost 2.3x the CPU step time), 6 stages down to stride 32: a
    # receptive field of ~400 px, to find the centre of particles as large as the real
    # ones (EMPS: sqrt(area) 5-420 px, median 28)
    backbone=dict(type='ParticleUNet', base_channels=8, num_stages=6, out_channels=2),
    # fg_thr 0.5: the midpoint; core_thr 0.3: the distance map of a CPU-budget model peaks
    # low (EMPS fold 0: IoU-F1 0.39 at 0.3, 0.24 at 0.5, 0.23 at 0.2); min_area 4 px keeps the
    # smallest real particles (EMPS: 1% below 31 px area) and drops single-pixel specks.
    # score_thr 0: the watershed makes no duplicates to suppress; tools pick the
    # checkpoint's validated threshold (test.py, submit.py) on top of it.
    test_cfg=dict(fg_thr=0.5, core_thr=0.3, min_area=4, score_thr=0.0, max_per_img=1000,
                  tile_size=1024, tile_overlap=128))

train_pipeline = [
    dict(type='CheckedLoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='GenerateDistanceTarget'),  # before the crop (see crop_size)
    # each image by its own mean and std, before the crop: micrographs from different
    # instruments differ more in brightness and contrast than anything within one. On
    # EMPS fold 0 after 500 iterations: IoU-F1 0.21 vs 0.09 with fixed ImageNet mean/std
    dict(type='StandardizeImage'),
    # crops with no particle teach the background (allow_negative_crop)
    dict(type='RandomCrop', crop_size=crop_size, allow_negative_crop=True),
    # particles have no orientation: all 8 symmetries of the square
    dict(type='RandomFlip', prob=[0.25, 0.25, 0.25],
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='PackDetInputs'),
]
# whole images at their own scale (scale_factor 1 keeps the meta keys the tools read)
test_pipeline = [
    dict(type='CheckedLoadImageFromFile', backend_args=None),
    dict(type='StandardizeImage'),
    dict(type='Resize', scale_factor=1.0, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]
# the particle base's loaders without their _delete_ (nothing here to delete from)
# tools/test.py --tta: identity + horizontal + vertical flip at the images' own scale
tta_pipeline = [
    _base_.tta_pipeline[0],
    dict(type='StandardizeImage'),
    dict(_base_.tta_pipeline[1], transforms=[
        [dict(type='Resize', scale_factor=1.0, keep_ratio=True)],
        *_base_.tta_pipeline[1]['transforms'][1:]]),
]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_base_.particle_train_dataloader.dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(_base_.particle_val_dataloader.dataset, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = _base_.particle_val_evaluator
test_evaluator = _base_.particle_test_evaluator

# 1500 iterations x 8 crops: about 20 min on 2 CPU cores (measured on EMPS, docs/particles.md)
max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# AdamW 2e-3 for batch 8 from scratch (BN everywhere); cosine to 1% after a short warm-up
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=2e-3, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=100, end=max_iters,
         eta_min=2e-5),
]
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(
    _base_.particle_default_hooks, logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(_base_.particle_default_hooks.checkpoint, by_epoch=False,
                    interval=500))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
