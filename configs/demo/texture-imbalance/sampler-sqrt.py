# Imbalance option: ClassBalancedSampler mode='sqrt' (class weight 1/sqrt(n)).
# 480 draws per epoch, the epoch of mode='oversample' on the 5-fold training sets
# (5 classes x ~96 spheroidite), so every option trains for the same number of steps.
_base_ = ['../resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py']
train_dataloader = dict(
    sampler=dict(_delete_=True, type='ClassBalancedSampler', mode='sqrt', num_samples=480))
model = dict(head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', loss_weight=1.0)))
