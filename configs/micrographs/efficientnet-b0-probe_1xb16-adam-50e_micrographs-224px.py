# Steel micrographs, EfficientNet-B0, linear probe (backbone and its BN statistics
# frozen), 224x224. Other sizes: swap the model base for efficientnet_b{1..7}_in1k-pre.py.
# data_root: see configs/_base_/datasets/micrographs.py.
_base_ = [
    '../_base_/models/efficientnet_b0_in1k-pre.py',
    '../_base_/datasets/micrographs.py',
    '../_base_/schedules/adam_plateau_50e.py',
    '../_base_/default_runtime_cls.py',
]

model = dict(
    backbone=dict(frozen_stages=7, norm_eval=True),
    head=dict(num_classes=_base_.data_preprocessor.num_classes))
