# Steel micrographs at their own pixel scale (texture recipe), ResNet-50 fine-tuned from
# the ImageNet-1k checkpoint: random 224x224 patches for training, the average of a
# grid of 224x224 patches covering the micrograph for validation and test (see
# resnet18-texture-scratch_1xb32-adam-50e_micrographs-native.py for the recipe).
# data_root: see configs/_base_/datasets/micrographs.py (or --data-root DIR).
_base_ = ['./resnet18-texture-scratch_1xb32-adam-50e_micrographs-native.py']

patch_size = 224
model = dict(
    patch_size=patch_size,
    backbone=dict(
        depth=50,
        stem_channels=64,
        base_channels=64,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet50_8xb32_in1k_20210831-ea4938fc.pth',
            prefix='backbone')),
    head=dict(in_channels=2048))

train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomCrop', crop_size=patch_size, pad_if_needed=True),
    dict(type='RandomFlip', prob=[0.25, 0.25, 0.25],
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='RandomTranspose', prob=0.5),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
# Adam 1e-4 at batch 16 for the pretrained weights
optim_wrapper = dict(optimizer=dict(lr=1e-4))
auto_scale_lr = dict(base_batch_size=16)
