# Particle settings for mmdet models beside an mmdet model config in ``_base_``
# (names that mmdet's configs also define are ``particle_*``; see
# datasets/particles_instance.py). mmdet's own runtime, 1x schedule, default_scope='mmdet'
# and auto_scale_lr=dict(enable=False, base_batch_size=16) come with the model config.
custom_imports = dict(imports=['mmext'], allow_failed_imports=False)

# Test thresholds for the IoU-weighted F1: scores are not ranked, a prediction over no
# particle costs nothing, but every extra prediction on an already-found particle is a
# false positive. A 0.4 score threshold drops the low-scoring duplicates that survive
# box NMS among touching particles while keeping the particles found with confidence
# (tune it on val: the submission tool's --score-thr). Dense scenes: about 60 and up to
# 200+ particles per photo, hence 2000 proposals and 300 detections.
particle_rpn_test_cfg = dict(
    nms_pre=2000, max_per_img=2000, nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0)
particle_rcnn_test_cfg = dict(
    score_thr=0.4, nms=dict(type='nms', iou_threshold=0.5), max_per_img=300,
    mask_thr_binary=0.5)

particle_default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='iou_f1', rule='greater'))

# tools/test.py: per-image IoU-F1, overlays, particle shapes, size distribution, score
# sweep and index.html in <work_dir>/report (um_per_px = ... for sizes in µm)
custom_hooks = [dict(type='ParticleReportHook')]
