# Adam (lr 1e-3) with reduce-on-plateau on validation macro-F1 averaged over the
# last 3 validations (SmoothedMetricHook in default_runtime_cls.py; one noisy epoch
# does not cut the lr), factor 0.1, patience 3 validations; validation every epoch.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, weight_decay=0.))
param_scheduler = dict(
    type='ReduceOnPlateauLR',
    monitor='single-label/f1-score_smooth',
    rule='greater',
    factor=0.1,
    patience=3,
    by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=50, val_interval=1)
val_cfg = dict()
test_cfg = dict()
