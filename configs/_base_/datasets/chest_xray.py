# Chest X-ray, 4 classes, 256x256. One folder per class, split reproducibly first:
#   python tools/dataset_converters/split_dataset.py data/chest_xray --ratios 0.8 0.1 0.1 --seed 0
# writes data/chest_xray/{train,val,test,classes}.txt (lines "<class>/<file> <index>")
# read by mmpretrain's CustomDataset. The classes below are the sorted folder names.
data_root = 'data/chest_xray/'
classes = ('COVID-19', 'Normal', 'Pneumonia-Bacterial', 'Pneumonia-Viral')
dataset_type = 'CustomDataset'
img_size = 256

data_preprocessor = dict(
    num_classes=len(classes),
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),  # grayscale X-rays -> 3 channels
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.7, 1.0)),
    dict(type='Rotate', magnitude_range=(0, 10), magnitude_std='inf', prob=0.5,
         interpolation='bilinear', pad_val=0),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='Resize', scale=(img_size, img_size)),
    dict(type='PackInputs'),
]

_dataset = dict(type=dataset_type, data_root=data_root, metainfo=dict(classes=classes))
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**_dataset, ann_file='train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, ann_file='val.txt', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, ann_file='test.txt', pipeline=test_pipeline))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', average='macro'),
]
test_evaluator = val_evaluator

# --auto-scale-lr scales the lr linearly from this batch; the X-ray configs' Adam lr 1e-4 is set for batch 16.
auto_scale_lr = dict(base_batch_size=16)
