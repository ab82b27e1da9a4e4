# Shared runtime of mmext's classification configs (mmpretrain scope).
# - best checkpoint by validation top-1 accuracy, plus the latest two;
# - FiniteLossHook stops training at the first NaN/inf loss, naming the iteration;
# - ClassCountsHook logs per-class train/val counts and sampler draws and feeds the
#   training counts to ClassWeightedCrossEntropyLoss; EvalBeforeTrainHook logs the
#   accuracy of the model before training; ClassificationReportHook writes the
#   evaluation report when testing; NumClassesCheckHook stops a run whose model and
#   data disagree on the number of classes; SmoothedMetricHook adds accuracy/top1_smooth
#   (moving average of 3 validations), which reduce-on-plateau and early stopping watch.
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmext'], allow_failed_imports=False)
default_scope = 'mmpretrain'

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_best='accuracy/top1',
        rule='greater'),
    invalid_loss=dict(type='FiniteLossHook'))
custom_hooks = [
    # stops before the run when the head's num_classes differs from the data's classes
    dict(type='NumClassesCheckHook'),
    dict(type='ClassCountsHook'),
    dict(type='EvalBeforeTrainHook'),
    # tools/test.py: metrics, curves, t-SNE, results.csv and grid in <work_dir>/report
    dict(type='ClassificationReportHook'),
    # accuracy/top1_smooth = mean of the last 3 validations, for plateau / early stopping
    dict(type='SmoothedMetricHook', monitor='accuracy/top1', window=3),
]
randomness = dict(seed=0, deterministic=False)
