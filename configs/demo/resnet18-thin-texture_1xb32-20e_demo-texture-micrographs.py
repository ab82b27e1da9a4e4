# Demo of the native-resolution texture recipe on the generated texture micrographs
# (`python tools/misc/make_demo_data.py --only texture-micrographs` writes
# data/demo/texture-micrographs/: 160x160 images whose 5 classes differ only in 2-4 px
# texture, 30:1 imbalance). Random init, CPU-sized: ResNet-18 with 16 base channels on
# 48x48 patches, 20 epochs; test = the mean of a 4x4 grid of 48x48 patches. Imbalance:
# the recipe's sqrt sampler + sqrt-weighted loss at 480 draws per epoch (as measured).
_base_ = ['../micrographs/resnet18-texture-scratch_1xb32-adam-50e_micrographs-native.py']

data_root = 'data/demo/texture-micrographs/'
classes = ('martensite', 'network', 'pearlite', 'spheroidite', 'spheroidite+widmanstatten')
patch_size = 48
base_channels = 16

model = dict(
    patch_size=patch_size,
    backbone=dict(stem_channels=base_channels, base_channels=base_channels),
    head=dict(num_classes=len(classes), in_channels=base_channels * 8),
    data_preprocessor=dict(num_classes=len(classes), mean=[127.5] * 3, std=[64.0] * 3))

train_pipeline = [
    dict(type='CheckedLoadImageFromFile'),
    dict(type='RandomCrop', crop_size=patch_size, pad_if_needed=True),
    dict(type='RandomFlip', prob=[0.25, 0.25, 0.25],
         direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='RandomTranspose', prob=0.5),
    dict(type='ColorJitter', brightness=0.2, contrast=0.2),
    dict(type='PackInputs'),
]
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(**_loader, sampler=dict(num_samples=480),
                        dataset=dict(metainfo=dict(classes=classes), pipeline=train_pipeline))
val_dataloader = dict(**_loader, dataset=dict(metainfo=dict(classes=classes)))
test_dataloader = dict(**_loader, dataset=dict(metainfo=dict(classes=classes)))
train_cfg = dict(max_epochs=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(max_keep_ckpts=1))
