# EfficientNet-B4 initialised from the official OpenMMLab ImageNet-1k checkpoint
# (converted TF AutoAugment weights, ImageNet mean/std).
# Linear probe: model = dict(backbone=dict(frozen_stages=7, norm_eval=True))
# (frozen_stages=7 freezes all 7 layer groups, norm_eval keeps BN statistics fixed).
_base_ = ['mmpretrain::_base_/models/efficientnet_b4.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/efficientnet/'
            'efficientnet-b4_3rdparty_8xb32-aa_in1k_20220119-45b8bd2b.pth',
            prefix='backbone')),
    head=dict(in_channels=1792, topk=(1, )))
