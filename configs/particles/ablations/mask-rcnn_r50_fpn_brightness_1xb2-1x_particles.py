_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Augmentation ablation: dict(type='Brightness', prob=0.5, min_mag=0.7, max_mag=1.3) after loading
# the annotations.
train_dataloader = dict(dataset=dict(pipeline=[
    *_base_.particle_train_pipeline[:2],
    dict(type='Brightness', prob=0.5, min_mag=0.7, max_mag=1.3),
    *_base_.particle_train_pipeline[2:]]))
