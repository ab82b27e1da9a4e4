# Flowers (5 classes), 224x224. One folder per class, split reproducibly first:
#   python tools/dataset_converters/split_dataset.py data/flowers/flower_photos --ratios 0.8 0.1 0.1 --seed 0
# writes data/flowers/flower_photos/{train,val,test,classes}.txt for CustomDataset.
# Online augmentation: flip, rotation within +-15 degrees, colour jitter.
data_root = 'data/flowers/flower_photos/'
classes = ('daisy', 'dandelion', 'roses', 'sunflowers', 'tulips')
dataset_type = 'CustomDataset'
img_size = 224

data_preprocessor = dict(
    num_classes=len(classes),
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.6, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='Rotate', magnitude_range=(0, 15), magnitude_std='inf', prob=1.0,
         interpolation='bilinear'),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]

_dataset = dict(type=dataset_type, data_root=data_root, metainfo=dict(classes=classes))
train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**_dataset, ann_file='train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, ann_file='val.txt', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, ann_file='test.txt', pipeline=test_pipeline))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', average='macro'),
]
test_evaluator = val_evaluator

# --auto-scale-lr scales the lr linearly from this batch; the flowers configs' Adam lr 1e-3 is set for batch 32.
auto_scale_lr = dict(base_batch_size=32)
