_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Optimizer ablation: AdamW (1x schedule: warm-up, steps at epochs 8 and 11).
# lr: mmdet's AdamW 1e-4 for 8 GPUs x 2 images, scaled linearly to batch 2 (1e-4 * 2 / 16).
optim_wrapper = dict(
    clip_grad=dict(max_norm=35, norm_type=2),
    optimizer=dict(_delete_=True, type='AdamW', lr=1.25e-05, weight_decay=0.05))
