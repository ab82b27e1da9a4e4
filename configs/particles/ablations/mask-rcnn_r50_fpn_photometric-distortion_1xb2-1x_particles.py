_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Augmentation ablation: dict(type='PhotoMetricDistortion', hue_delta=0) after loading the
# annotations.
train_dataloader = dict(dataset=dict(pipeline=[
    *_base_.particle_train_pipeline[:2],
    dict(type='PhotoMetricDistortion', hue_delta=0),
    *_base_.particle_train_pipeline[2:]]))
