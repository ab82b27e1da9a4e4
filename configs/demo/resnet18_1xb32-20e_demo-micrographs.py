# Demo: steel-micrograph phase classification on the generated demo set
# (`python tools/misc/make_demo_data.py` writes data/demo/micrographs/). Random init, CPU-sized:
# ResNet-18 at 64x64, 20 epochs, class-balanced sampling against the 10:1 imbalance.
_base_ = [
    'mmpretrain::_base_/models/resnet18.py',
    '../_base_/default_runtime_cls.py',
]

classes = ('martensite', 'network', 'pearlite', 'spheroidite', 'spheroidite+widmanstatten')
data_root = 'data/demo/micrographs/'
img_size = 64  # the 96x96 images are cropped and resized to 64x64

model = dict(
    head=dict(num_classes=len(classes), topk=(1, )),
    data_preprocessor=dict(
        num_classes=len(classes), mean=[127.5] * 3, std=[64.0] * 3, to_rgb=True))

train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='Resize', scale=img_size),
    dict(type='PackInputs'),
]

# images/ + metadata.csv, split by sample into {train,val,test}.csv (the demo generator
# runs the same split as tools/dataset_converters/split_dataset.py metadata.csv --group-column sample_key)
dataset = dict(type='CSVDataset', data_root=data_root, data_prefix='images/',
               split_by_folder=False, metainfo=dict(classes=classes),
               label_column='primary_microconstituent')  # the demo data's UHCSDB column
train_dataloader = dict(
    batch_size=32, num_workers=2, persistent_workers=True,
    sampler=dict(type='ClassBalancedSampler', mode='sqrt'),
    dataset=dict(**dataset, ann_file='train.csv', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**dataset, ann_file='val.csv', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**dataset, ann_file='test.csv', pipeline=test_pipeline))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', average='macro'),
]
test_evaluator = val_evaluator

# lr 2e-3 chosen at batch 32 (auto_scale_lr below scales from 32)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=2, end=20),
]
train_cfg = dict(by_epoch=True, max_epochs=20, val_interval=5)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)

default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=5, max_keep_ckpts=2, save_best='single-label/f1-score',
                    rule='greater'))
randomness = dict(seed=0)
