# Chest X-ray, EfficientNet-B7 fine-tuned at 256x256 with a BatchNorm + dropout head,
# class-weighted cross-entropy (1/n from the training counts), early stopping after
# 10 validations without a 0.1-point gain in macro-F1 (kept across --resume).
# data_root and the split step: see configs/_base_/datasets/chest_xray.py.
_base_ = [
    '../_base_/models/efficientnet_b7_in1k-pre.py',
    '../_base_/datasets/chest_xray.py',
    '../_base_/schedules/adam_plateau_50e.py',
    '../_base_/default_runtime_cls.py',
]

model = dict(
    head=dict(
        _delete_=True,
        type='StackedBNDropoutClsHead',
        num_classes=_base_.data_preprocessor.num_classes,
        in_channels=2560,
        mid_channels=[256],
        dropout_rate=0.5,
        input_dropout_rate=0.2,
        loss=dict(type='ClassWeightedCrossEntropyLoss', weighting='inverse'),
        topk=(1, )))
# lr: Adam 1e-4 for batch 16 (auto_scale_lr.base_batch_size in the dataset base).
optim_wrapper = dict(optimizer=dict(lr=1e-4))
custom_hooks = _base_.custom_hooks + [
    # single-label/f1-score is in percent: min_delta 0.1 points = 0.001 on a 0-1 scale
    dict(type='ResumableEarlyStoppingHook', monitor='single-label/f1-score_smooth',
         rule='greater',
         min_delta=0.1, patience=10),
]
