# Imbalance option: none (plain shuffled sampling, plain cross-entropy).
_base_ = ['../resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py']
train_dataloader = dict(sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True))
