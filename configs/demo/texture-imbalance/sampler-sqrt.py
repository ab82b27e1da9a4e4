# Imbalance option: ClassBalancedSampler mode='sqrt' (class weight 1/sqrt(n)).
_base_ = ['../resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py']
train_dataloader = dict(sampler=dict(type='ClassBalancedSampler', mode='sqrt'))
