# Steel micrographs, ResNet-152, full fine-tune, 224x224.
# data_root: see configs/_base_/datasets/micrographs.py.
_base_ = [
    '../_base_/models/resnet152_in1k-pre.py',
    '../_base_/datasets/micrographs.py',
    '../_base_/schedules/adam_plateau_50e.py',
    '../_base_/default_runtime_cls.py',
]

model = dict(head=dict(num_classes=_base_.data_preprocessor.num_classes))
# lr: Adam 1e-4 for batch 16 (auto_scale_lr.base_batch_size in the dataset base).
optim_wrapper = dict(optimizer=dict(lr=1e-4))
