_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Optimizer ablation: RAdam (1x schedule: warm-up, steps at epochs 8 and 11).
# lr: 2e-4 for a batch of 16 (mmdet's Adam-family setting), scaled linearly to batch 2.
optim_wrapper = dict(
    clip_grad=dict(max_norm=35, norm_type=2),
    optimizer=dict(_delete_=True, type='RAdam', lr=2.5e-05, weight_decay=0.0001))
