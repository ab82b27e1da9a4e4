# Imbalance option: ClassBalancedSampler mode='oversample' (the micrograph base's default:
# each epoch draws every class as often as the largest, ~480 draws on these folds).
_base_ = ['../resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py']
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassBalancedSampler', mode='oversample'))
model = dict(head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
