_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Optimizer ablation: SGD (the baseline's), momentum 0.9, lr below (1x schedule: warm-up, steps at
# epochs 8 and 11).
# lr: mmdet's 0.02 for 8 GPUs x 2 images, scaled linearly to batch 2 (0.02 * 2 / 16).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.0025, momentum=0.9, weight_decay=0.0001))
