# Particle photos (1024x1280, one category 'Normal') in COCO format:
#   data/particles/annotations/{train,val,test}.json  (test.json: images only)
#   data/particles/images/{train,val,test}/
#
# mmengine forbids a key that two sibling ``_base_`` files both define, and the mmdet
# model configs the particle configs sit beside define the COCO data_root, pipelines,
# dataloaders and evaluators; so the settings that would clash are named ``particle_*``
# here and each model config assigns the five it uses
# (``train_dataloader = _base_.particle_train_dataloader`` ...). That is the least the
# rule allows: only a config's own assignment overrides a key of its bases. (Composing
# from mmdet's model-only ``_base_/models/*`` would avoid it, but mmdet has those for
# Mask R-CNN and Cascade Mask R-CNN only, not for HTC, SCNet, MS R-CNN or SOLOv2, so every
# particle config takes mmdet's whole config the same way.) The TTA settings clash with
# nothing and are set directly.
particle_data_root = 'data/particles/'
particle_scale = (1280, 1024)  # (w, h): the photos' own size, keep_ratio

particle_train_pipeline = [
    # mmcv's LoadImageFromFile that names a corrupt, truncated or empty image in one line
    # (on_invalid='warn': skip it, count it, draw another sample)
    dict(type='CheckedLoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=particle_scale, keep_ratio=True),
    # particles float in any orientation: flip both ways
    dict(type='RandomFlip', prob=[0.25, 0.25, 0.25],
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='PackDetInputs')
]
particle_test_pipeline = [
    dict(type='CheckedLoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=particle_scale, keep_ratio=True),
    # ground truth at the original scale (an images-only json gives empty instances)
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
]

particle_train_dataloader = dict(
    _delete_=True,
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type='ParticleDataset',
        data_root=particle_data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        on_invalid='error',
        pipeline=particle_train_pipeline))
particle_val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ParticleDataset',
        data_root=particle_data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=particle_test_pipeline))
# tools/test.py evaluates on val; the unlabelled test set (annotations/test.json, or
# ann_file='' to list images/test/) is for the submission tool.
particle_test_dataloader = particle_val_dataloader

# COCO mAP (bbox, segm) beside the competition's IoU-weighted F1
particle_val_evaluator = [
    # Dense scenes: pycocotools' headline AP (and the small/medium/large APs) count only the
    # 100 best detections of an image whatever proposal_nums says, which caps mAP at
    # 100/600 on a 600-particle photo; mmdet's COCOevalMP (use_mp_eval) takes all of them
    # up to proposal_nums[-1] (1000, >= the densest real scenes).
    dict(type='CocoMetric', ann_file=particle_data_root + 'annotations/val.json',
         metric=['bbox', 'segm'], proposal_nums=(100, 300, 1000), use_mp_eval=True,
         format_only=False, backend_args=None),
    # sweep: the best score threshold on val (best_score_thr), which
    # ValidatedScoreThrHook (default_runtime_det.py) saves with the checkpoint
    dict(type='IoUWeightedF1Metric', ann_file=particle_data_root + 'annotations/val.json',
         sweep=True),
]
# the same without the sweep (the test report has its own, score_sweep.csv)
particle_test_evaluator = [particle_val_evaluator[0],
                           dict(particle_val_evaluator[1], sweep=False)]

# Mask test-time augmentation (tools/test.py --tta, the submission tool's --tta):
# identity, horizontal and vertical flip, merged by mmext's MaskTTAModel: instances of
# the views grouped by mask IoU >= 0.5, each group's masks fused by score-weighted vote,
# groups seen in one view only kept when they overlap no confirmed group. That was the
# best of the merges measured (bench/bench_mask_tta_merge.py: IoU-F1 0.74 vs 0.61 for
# one view; box/mask NMS 0.57, union 0.56, fusion without the vote rule 0.59).
tta_model = dict(
    type='MaskTTAModel',
    tta_cfg=dict(method='fusion', iou_thr=0.5, vote_thr=0.5, min_votes=2,
                 keep_isolated=True, max_per_img=1000))  # dense scenes: see particle_test_cfg.py
tta_pipeline = [
    dict(type='CheckedLoadImageFromFile', backend_args=None),
    dict(type='TestTimeAug',
         transforms=[
             [dict(type='Resize', scale=particle_scale, keep_ratio=True)],
             [dict(type='RandomFlip', prob=0.),
              dict(type='RandomFlip', prob=1., direction='horizontal'),
              dict(type='RandomFlip', prob=1., direction='vertical')],
             [dict(type='PackDetInputs',
                   meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                              'scale_factor', 'flip', 'flip_direction'))],
         ])
]
