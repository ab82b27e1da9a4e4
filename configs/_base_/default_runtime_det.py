# Particle runtime for mmdet models beside an mmdet model config in ``_base_``: mmext's
# registration and hooks. mmdet's own runtime, 1x schedule, default_scope='mmdet' and
# auto_scale_lr come with the model config; mmdet's runtime defines ``default_hooks``, so
# the particle ones are ``particle_default_hooks`` (see datasets/particles_instance.py).
# Test-time limits and thresholds: particle_test_cfg.py.
custom_imports = dict(imports=['mmext.modules'], allow_failed_imports=False)

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
    # writes the validated score threshold (IoUWeightedF1Metric(sweep=True)'s
    # best_score_thr) into checkpoints; test.py, submit.py and the app predict with it
    dict(type='ValidatedScoreThrHook'),
]
