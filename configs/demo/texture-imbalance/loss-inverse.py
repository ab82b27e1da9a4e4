# Imbalance option: class-weighted cross-entropy (1/n), plain shuffled sampling.
_base_ = ['../resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py']
train_dataloader = dict(sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True))
model = dict(head=dict(loss=dict(type='ClassWeightedCrossEntropyLoss', weighting='inverse')))
