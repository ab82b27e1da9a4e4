# ResNet-152 initialised from the official OpenMMLab ImageNet-1k checkpoint.
# Linear probe: model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
# (frozen_stages=4 freezes the stem and all 4 stages, norm_eval keeps BN statistics fixed).
_base_ = ['mmpretrain::_base_/models/resnet152.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet152_8xb32_in1k_20210901-4d7582fa.pth',
            prefix='backbone')),
    head=dict(in_channels=2048, topk=(1, )))
