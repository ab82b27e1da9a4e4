_base_ = '../mask-rcnn_r50_fpn_1x_particles.py'
# Optimizer ablation: SGD (the baseline's), lr 0.02, momentum 0.9 (1x schedule: warm-up, steps at
# epochs 8 and 11).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
