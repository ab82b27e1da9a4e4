_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Optimizer ablation: Adadelta, rho 0.9, eps 1e-6 (1x schedule: warm-up, steps at epochs 8
# and 11).
# lr: Adadelta's usual 1.0, taken for a batch of 16 and scaled linearly to batch 2.
optim_wrapper = dict(
    clip_grad=dict(max_norm=35, norm_type=2),
    optimizer=dict(_delete_=True, type='Adadelta', lr=0.125, rho=0.9, eps=1e-6, weight_decay=0.0001))
