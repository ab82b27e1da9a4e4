_base_ = '../mask-rcnn_r50_fpn_1x_particles.py'
# Optimizer ablation: RAdam, lr 2e-4 (1x schedule: warm-up, steps at epochs 8 and 11).
optim_wrapper = dict(
    clip_grad=dict(max_norm=35, norm_type=2),
    optimizer=dict(_delete_=True, type='RAdam', lr=0.0002, weight_decay=0.0001))
