# Steel micrographs at 400x400 (crops of the 645x481 originals keep fine structure);
# the pipelines of micrographs.py with the sizes changed.
_base_ = ['./micrographs.py']

img_size = 400
train_pipeline = _base_.train_pipeline
train_pipeline[1].scale = img_size  # RandomResizedCrop
test_pipeline = _base_.test_pipeline
test_pipeline[1].scale = img_size  # ResizeEdge
test_pipeline[2].crop_size = img_size  # CenterCrop

train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(batch_size=16, dataset=dict(pipeline=test_pipeline))

# --auto-scale-lr scales the lr linearly from this batch; batch 8 at 400px: the configs halve the batch-16 lr (linear scaling).
auto_scale_lr = dict(base_batch_size=8)
