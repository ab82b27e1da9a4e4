_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Input-scale ablation: train and test at (w, h) = (1333,800), keep_ratio.
scale = (1333,800)
train_dataloader = dict(dataset=dict(pipeline=[
    dict(step, scale=scale) if step['type'] == 'Resize' else step
    for step in _base_.particle_train_pipeline]))
val_dataloader = dict(dataset=dict(pipeline=[
    dict(step, scale=scale) if step['type'] == 'Resize' else step
    for step in _base_.particle_test_pipeline]))
test_dataloader = val_dataloader
