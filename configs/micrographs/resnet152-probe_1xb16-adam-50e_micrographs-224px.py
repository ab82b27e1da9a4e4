# Steel micrographs, ResNet-152, linear probe at 224x224: the fine-tune config
# with the backbone and its BN statistics frozen, and Adam at lr 1e-3.
_base_ = ['./resnet152-finetune_1xb16-adam-50e_micrographs-224px.py']

model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
