# Steel micrographs, ResNet-152, linear probe at 224x224: the fine-tune config
# with the backbone and its BN statistics frozen, and Adam (lr below).
_base_ = ['./resnet152-finetune_1xb16-adam-50e_micrographs-224px.py']

model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
# lr: Adam 1e-3 for batch 16 (auto_scale_lr.base_batch_size in the dataset base).
optim_wrapper = dict(optimizer=dict(lr=1e-3))
