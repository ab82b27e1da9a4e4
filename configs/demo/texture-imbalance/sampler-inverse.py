# Imbalance option: ClassBalancedSampler mode='inverse' (every class drawn equally often).
_base_ = ['../resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py']
train_dataloader = dict(sampler=dict(type='ClassBalancedSampler', mode='inverse'))
