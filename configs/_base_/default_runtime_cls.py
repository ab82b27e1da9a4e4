# Shared runtime of mmext's classification configs (mmpretrain scope).
# - best checkpoint by validation macro-F1 (single-label/f1-score of the dataset bases'
#   SingleLabelMetric(average='macro')), plus the latest two. Chosen for the imbalanced
#   jobs (steel micrographs up to ~75:1, chest X-ray): top-1 accuracy rewards a model that
#   gives up a 5-image class for the majority, macro-F1 weighs every class alike; on
#   balanced sets (flowers) the two agree;
# - FiniteLossHook stops training at the first NaN/inf loss, naming the iteration;
# - ClassCountsHook logs per-class train/val counts and sampler draws and feeds the
#   training counts to ClassWeightedCrossEntropyLoss; EvalBeforeTrainHook logs the
#   accuracy of the model before training; ClassificationReportHook writes the
#   evaluation report when testing; NumClassesCheckHook stops a run whose model and
#   data disagree on the number of classes; SmoothedMetricHook adds
#   single-label/f1-score_smooth (moving average of 3 validations), which reduce-on-plateau
#   and early stopping watch; it stops a run at the start whose val_evaluator lacks the
#   SingleLabelMetric (or set its monitor, the checkpoint's save_best and the schedule's
#   monitor to, e.g., 'accuracy/top1').
_base_ = ['mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmext.modules'], allow_failed_imports=False)
default_scope = 'mmpretrain'

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=2,
        save_best='single-label/f1-score',
        rule='greater'),
    invalid_loss=dict(type='FiniteLossHook'))
custom_hooks = [
    # stops before the run when the head's num_classes differs from the data's classes
    dict(type='NumClassesCheckHook'),
    dict(type='ClassCountsHook'),
    dict(type='EvalBeforeTrainHook'),
    # tools/test.py: metrics, curves, t-SNE, results.csv and grid in <work_dir>/report
    dict(type='ClassificationReportHook'),
    # single-label/f1-score_smooth = mean of the last 3 validations, for plateau / early stopping
    dict(type='SmoothedMetricHook', monitor='single-label/f1-score', window=3),
]
randomness = dict(seed=0, deterministic=False)
