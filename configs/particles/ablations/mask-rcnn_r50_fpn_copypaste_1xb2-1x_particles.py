_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Simple Copy-Paste: particles of a second photo pasted onto the first (mmdet CopyPaste
# in a MultiImageMixDataset; every photo has the same size after Resize).
train_dataloader = dict(dataset=dict(
    _delete_=True,
    type='MultiImageMixDataset',
    dataset=dict(_base_.particle_train_dataloader.dataset,
                 pipeline=_base_.particle_train_pipeline[:-1]),
    pipeline=[dict(type='CopyPaste', max_num_pasted=30),
              _base_.particle_train_pipeline[-1]]))
