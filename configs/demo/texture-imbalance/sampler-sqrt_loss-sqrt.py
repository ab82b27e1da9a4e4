# Imbalance option: both milder corrections, ClassBalancedSampler mode='sqrt' and
# class-weighted cross-entropy 1/sqrt(n) (together about the inverse-frequency weight).
_base_ = ['../resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py']
train_dataloader = dict(sampler=dict(type='ClassBalancedSampler', mode='sqrt'))
model = dict(head=dict(loss=dict(type='ClassWeightedCrossEntropyLoss', weighting='sqrt')))
