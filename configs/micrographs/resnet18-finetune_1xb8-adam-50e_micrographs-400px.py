# Steel micrographs, ResNet-18, full fine-tune, 400x400.
# data_root: see configs/_base_/datasets/micrographs.py.
_base_ = [
    '../_base_/models/resnet18_in1k-pre.py',
    '../_base_/datasets/micrographs_400px.py',
    '../_base_/schedules/adam_plateau_50e.py',
    '../_base_/default_runtime_cls.py',
]

model = dict(head=dict(num_classes=_base_.data_preprocessor.num_classes))
# lr: 1e-4 at batch 16 (the 224px fine-tune), scaled linearly to batch 8.
optim_wrapper = dict(optimizer=dict(lr=5e-5))
