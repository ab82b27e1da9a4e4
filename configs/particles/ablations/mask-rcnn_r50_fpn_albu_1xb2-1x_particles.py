_base_ = '../mask-rcnn_r50_fpn_1xb2-1x_particles.py'
# Albumentations through mmdet's Albu wrapper (as mmext's LenientAlbu, which lets
# albumentations 1.4.24 of requirements/runtime.txt accept mmdet's extra keys):
# brightness/contrast, blur (out-of-focus particles), CLAHE.
albu_transforms = [
    dict(type='RandomBrightnessContrast', brightness_limit=0.2, contrast_limit=0.2, p=0.5),
    dict(type='OneOf', transforms=[
        dict(type='Blur', blur_limit=3, p=1.0),
        dict(type='MedianBlur', blur_limit=3, p=1.0)], p=0.2),
    dict(type='CLAHE', p=0.2),
]
train_dataloader = dict(dataset=dict(pipeline=[
    *_base_.particle_train_pipeline[:-1],
    dict(type='LenientAlbu', transforms=albu_transforms,
         bbox_params=dict(type='BboxParams', format='pascal_voc',
                          label_fields=['gt_bboxes_labels', 'gt_ignore_flags'],
                          min_visibility=0.0, filter_lost_elements=True),
         keymap=dict(img='image', gt_masks='masks', gt_bboxes='bboxes'),
         skip_img_without_anno=True),
    _base_.particle_train_pipeline[-1]]))
