# Imbalance option: ClassBalancedSampler mode='oversample' (the micrograph base's default:
# each epoch draws every class as often as the largest, ~480 draws on these folds).
_base_ = ['../resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py']
train_dataloader = dict(sampler=dict(type='ClassBalancedSampler', mode='oversample'))
