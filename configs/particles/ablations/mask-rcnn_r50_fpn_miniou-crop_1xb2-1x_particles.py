_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Augmentation ablation: dict(type='MinIoURandomCrop', min_ious=(0.3, 0.5, 0.7, 0.9),
# min_crop_size=0.5) after loading the annotations.
train_dataloader = dict(dataset=dict(pipeline=[
    *_base_.particle_train_pipeline[:2],
    dict(type='MinIoURandomCrop', min_ious=(0.3, 0.5, 0.7, 0.9), min_crop_size=0.5),
    *_base_.particle_train_pipeline[2:]]))
