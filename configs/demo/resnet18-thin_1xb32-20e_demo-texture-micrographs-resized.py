# Baseline for the texture recipe: the micrograph base's resize pipeline (a >= 50 %
# crop resized to img_size) on the generated texture micrographs, as the 224 px configs
# do to UHCSDB's 645x484 images: 160 -> 56 px is the same 2.9x reduction. Same model
# size, schedule and sampler as resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py.
_base_ = ['../micrographs/resnet18-finetune_1xb16-adam-50e_micrographs-224px.py']

data_root = 'data/demo/texture-micrographs/'
classes = ('martensite', 'network', 'pearlite', 'spheroidite', 'spheroidite+widmanstatten')
img_size = 56
base_channels = 16

model = dict(
    backbone=dict(stem_channels=base_channels, base_channels=base_channels, init_cfg=None),
    head=dict(num_classes=len(classes), in_channels=base_channels * 8),
    data_preprocessor=dict(num_classes=len(classes), mean=[127.5] * 3, std=[64.0] * 3))

# the micrograph base's pipelines with the size changed (as micrographs_400px.py does)
train_pipeline = _base_.train_pipeline
train_pipeline[1].scale = img_size  # RandomResizedCrop
test_pipeline = _base_.test_pipeline
test_pipeline[1].scale = img_size  # ResizeEdge
test_pipeline[2].crop_size = img_size  # CenterCrop
_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(**_loader, batch_size=32,
                        dataset=dict(metainfo=dict(classes=classes), pipeline=train_pipeline))
val_dataloader = dict(**_loader, dataset=dict(metainfo=dict(classes=classes),
                                              pipeline=test_pipeline))
test_dataloader = dict(**_loader, dataset=dict(metainfo=dict(classes=classes),
                                               pipeline=test_pipeline))
optim_wrapper = dict(optimizer=dict(lr=1e-3))  # from random init, batch 32
auto_scale_lr = dict(base_batch_size=32)
train_cfg = dict(max_epochs=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(max_keep_ckpts=1))
