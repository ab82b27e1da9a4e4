# Steel micrographs, ResNet-18, linear probe at 400x400: the fine-tune config
# with the backbone and its BN statistics frozen, and Adam (lr below).
_base_ = ['./resnet18-finetune_1xb8-adam-50e_micrographs-400px.py']

model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
# lr: 1e-3 at batch 16 (the 224px probe), scaled linearly to batch 8.
optim_wrapper = dict(optimizer=dict(lr=5e-4))
