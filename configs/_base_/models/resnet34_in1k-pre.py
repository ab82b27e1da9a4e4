# ResNet-34 initialised from the official OpenMMLab ImageNet-1k checkpoint.
# Linear probe: model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
# (frozen_stages=4 freezes the stem and all 4 stages, norm_eval keeps BN statistics fixed).
_base_ = ['mmpretrain::_base_/models/resnet34.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/resnet/'
            'resnet34_8xb32_in1k_20210831-f257d4e6.pth',
            prefix='backbone')),
    head=dict(in_channels=512, topk=(1, )))
