# Flowers, ResNet-50 fine-tuned at 224x224: Adam lr 1e-3, reduce-on-plateau
# (factor 0.1, patience 3), flip + rotation (+-15 deg) + colour jitter.
# Linear probe instead: --cfg-options model.backbone.frozen_stages=4 model.backbone.norm_eval=True
# data_root and the split step: see configs/_base_/datasets/flowers.py.
_base_ = [
    '../_base_/models/resnet50_in1k-pre.py',
    '../_base_/datasets/flowers.py',
    '../_base_/schedules/adam_plateau_50e.py',
    '../_base_/default_runtime_cls.py',
]

model = dict(head=dict(num_classes=_base_.data_preprocessor.num_classes))
