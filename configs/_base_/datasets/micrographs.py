# Steel micrographs (UHCSDB layout), 224x224.
#   data_root/metadata.csv          one row per image: path, sample_key, ..., primary_microconstituent
#   data_root/images/               every image file (PNG/TIF, RGB, grayscale or palette)
#   data_root/{train,val,test}.csv  the split, made once by
#       python tools/dataset_converters/split_dataset.py data_root/metadata.csv --group-column sample_key
#     (several micrographs per physical sample: a sample never straddles two splits)
# Set data_root in a config that inherits this one or with --data-root DIR. Class
# imbalance (up to ~75:1) is corrected by oversampling: each epoch draws every class as
# often as the largest. Cross-validated on generated micrographs at 30:1 (see
# configs/micrographs/resnet18-texture-scratch_*.py), oversampling, the inverse sampler and
# the sqrt sampler + sqrt-weighted loss tie within noise (macro-F1 0.75-0.80); the sqrt
# sampler alone (0.71), a weighted loss alone (0.63) or no correction (0.55) miss the
# smallest classes.
data_root = 'data/uhcsdb/'
classes = ('martensite', 'network', 'pearlite', 'pearlite+spheroidite',
           'pearlite+widmanstatten', 'spheroidite', 'spheroidite+widmanstatten')
dataset_type = 'CSVDataset'
img_size = 224

data_preprocessor = dict(
    num_classes=len(classes),
    mean=[123.675, 116.28, 103.53],  # ImageNet RGB statistics (pretrained backbones)
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

# micrographs have no preferred orientation: flips in both directions and any rotation
train_pipeline = [
    # mmcv's LoadImageFromFile that names a corrupt, truncated or empty image in one line
    # (on_invalid='warn': skip it, count it, draw another sample); color_type='color':
    # palette/gray PNGs -> 3 channels
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='Rotate', magnitude_range=(0, 180), magnitude_std='inf', prob=0.5,
         interpolation='bilinear'),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size, edge='short'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]

_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix='images/',
    split_by_folder=False,  # the rows of each split CSV, images under data_prefix
    path_column='path',
    label_column='primary_microconstituent',
    metainfo=dict(classes=classes))
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='ClassBalancedSampler', mode='oversample'),
    dataset=dict(**_dataset, ann_file='train.csv', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, ann_file='val.csv', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**_dataset, ann_file='test.csv', pipeline=test_pipeline))
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', average='macro'),
]
test_evaluator = val_evaluator
# tools/test.py --tta: the 8 dihedral views (4 flips x transposed or not), scores averaged
tta_views = 'dihedral'

# --auto-scale-lr scales the lr linearly from this batch; the micrograph configs' Adam lr (1e-4 fine-tune, 1e-3 probe) is set for batch 16.
auto_scale_lr = dict(base_batch_size=16)
