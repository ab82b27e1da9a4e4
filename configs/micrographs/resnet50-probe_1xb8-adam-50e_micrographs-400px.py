# Steel micrographs, ResNet-50, linear probe at 400x400: the fine-tune config
# with the backbone and its BN statistics frozen, and Adam at lr 1e-3.
_base_ = ['./resnet50-finetune_1xb8-adam-50e_micrographs-400px.py']

model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
