# Particle settings for mmdet models beside an mmdet model config in ``_base_``
# (names that mmdet's configs also define are ``particle_*``; see
# datasets/particles_instance.py). mmdet's own runtime, 1x schedule, default_scope='mmdet'
# and auto_scale_lr=dict(enable=False, base_batch_size=16) come with the model config.
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)

# Test thresholds for the IoU-weighted F1: scores are not ranked, a prediction over no
# particle costs nothing, but every extra prediction on an already-found particle is a
# false positive. A 0.4 score threshold drops the low-scoring duplicates that survive
# box NMS among touching particles while keeping the particles found with confidence
# (tune it on val: the submission tool's --score-thr, or the report's threshold sweep).
# Dense scenes: real particle photos hold about 60 and up to ~500-600 particles, so every
# stage keeps at least 1000 per image (mmdet's COCO values, 1000 proposals and 100
# detections, would truncate them): 3000 RPN proposals (~5 per particle at 600),
# 1000 detections, 1000 COCO max detections. tools/analysis_tools/check_data.py warns when a split's
# instances per image come near these limits and prints the --cfg-options to raise them.
particle_max_per_img = 1000
particle_rpn_test_cfg = dict(
    nms_pre=3000, max_per_img=3000, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0)
particle_rcnn_test_cfg = dict(
    score_thr=0.4, nms=dict(type='nms', iou_threshold=0.5), max_per_img=particle_max_per_img,
    mask_thr_binary=0.5)

# FiniteLossHook: stop at the first NaN/inf loss, naming the iteration
particle_default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='iou_f1', rule='greater'),
    invalid_loss=dict(type='FiniteLossHook'))

custom_hooks = [
    # stops before the run when a head's num_classes differs from the data's classes
    dict(type='NumClassesCheckHook'),
    # tools/test.py: per-image IoU-F1, overlays, particle shapes, size distribution, score
    # sweep and index.html in <work_dir>/report (um_per_px = ... for sizes in µm)
    dict(type='ParticleReportHook'),
]
