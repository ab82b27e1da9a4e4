"""ClassificationReportHook on a tiny ResNet trained one epoch, then tested."""
import csv
import glob
import json
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.testing import RunnerTestCase

import mmext.modules  # noqa: F401  (registers mmext's modules)

CLASSES = ('blue', 'green', 'red')


def make_folder_dataset(root, per_class=4, size=32):
    """Folder-per-class PNGs: solid colour + noise, one colour per class."""
    rng = np.random.default_rng(0)
    for c, name in enumerate(CLASSES):
        os.makedirs(osp.join(root, name), exist_ok=True)
        for i in range(per_class):
            img = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
            img[..., c] += 150
            cv2.imwrite(osp.join(root, name, f'{name}_{i}.png'), img)


def tiny_cls_cfg(cfg, data_root):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(32, 32)),
                dict(type='PackInputs')]
    loader = dict(batch_size=4, num_workers=0,
                  dataset=dict(type='CustomDataset', data_root=data_root, pipeline=pipeline),
                  sampler=dict(type='DefaultSampler', shuffle=False))
    cfg.default_scope = 'mmpretrain'
    cfg.model = dict(
        type='ImageClassifier',
        data_preprocessor=dict(num_classes=3, mean=[127.5] * 3, std=[64.0] * 3, to_rgb=True),
        backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8,
                      out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64,
                  loss=dict(type='CrossEntropyLoss')))
    cfg.train_dataloader = dict(loader, sampler=dict(type='DefaultSampler', shuffle=True))
    cfg.val_dataloader = loader
    cfg.test_dataloader = loader
    cfg.val_evaluator = dict(type='Accuracy', topk=(1, ))
    cfg.test_evaluator = dict(type='Accuracy', topk=(1, ))
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
    cfg.optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9))
    cfg.default_hooks = dict(logger=dict(type='LoggerHook', interval=1),
                             checkpoint=dict(type='CheckpointHook', interval=1))
    cfg.visualizer = dict(type='UniversalVisualizer',
                          vis_backends=[dict(type='LocalVisBackend')])
    cfg.custom_hooks = [dict(type='ClassificationReportHook', topk=2)]
    return cfg


class TestClassificationReportHook(RunnerTestCase):

    def test_report_after_train_and_test(self):
        data_root = osp.join(self.temp_dir.name, 'data')
        make_folder_dataset(data_root)
        cfg = tiny_cls_cfg(self.epoch_based_cfg, data_root)
        cfg.work_dir = osp.join(self.temp_dir.name, 'work')
        runner = self.build_runner(cfg)
        runner.train()
        # the hook is idle during training/validation
        self.assertFalse(osp.exists(osp.join(cfg.work_dir, 'report')))

        test_cfg = cfg.copy()
        test_cfg.load_from = osp.join(cfg.work_dir, 'epoch_2.pth')
        runner = self.build_runner(test_cfg)
        metrics = runner.test()

        report = osp.join(cfg.work_dir, 'report')
        for name in ('summary.json', 'classification_report.csv', 'confusion_matrix.csv',
                     'confusion_matrix_normalized.csv', 'confusion_matrix.png',
                     'roc_auc.csv', 'roc_curves.csv', 'roc_curves.png', 'pr_curves.png',
                     'average_precision.csv', 'tsne.png', 'training_curves.png',
                     'results.csv', 'predictions_grid.png'):
            self.assertTrue(osp.isfile(osp.join(report, name)), name)
        self.assertEqual(glob.glob(osp.join(report, '*.tmp*')), [])
        # index.html: metrics, and each misclassified image beside its Grad-CAM overlay
        with open(osp.join(report, 'index.html')) as f:
            html = f.read()
        self.assertIn('accuracy/top1', html)
        wrong = len(glob.glob(osp.join(report, 'worst', '*.png')))
        self.assertEqual(len(glob.glob(osp.join(report, 'gradcam', '*.png'))), wrong)
        for cam in glob.glob(osp.join(report, 'gradcam', '*.png')):
            self.assertIn(f'src="gradcam/{osp.basename(cam)}"', html)
            self.assertEqual(cv2.imread(cam).shape, (32, 32, 3))

        with open(osp.join(report, 'summary.json')) as f:
            summary = json.load(f)
        self.assertAlmostEqual(summary['accuracy'] * 100, metrics['accuracy/top1'], places=4)
        self.assertEqual(summary['num_samples'], 12)
        self.assertEqual(summary['classes'], list(CLASSES))

        with open(osp.join(report, 'results.csv')) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 12)
        self.assertEqual({osp.basename(osp.dirname(r['img_path'])) for r in rows}, set(CLASSES))
        for r in rows:  # true class = folder name; top-2 columns present and ordered
            self.assertEqual(r['gt_class'], osp.basename(osp.dirname(r['img_path'])))
            self.assertEqual(r['top1_class'], r['pred_class'])
            self.assertGreaterEqual(float(r['top1_score']), float(r['top2_score']))
            self.assertEqual(r['correct'], str(int(r['pred_class'] == r['gt_class'])))
        # index.html shows every mistake (up to max_cams) with its Grad-CAM
        self.assertEqual(wrong, min(12, sum(r['correct'] == '0' for r in rows)))
        # a mistake gets a Grad-CAM overlay of the predicted class, image-sized
        from mmext.engine.hooks.classification_report_hook import misclassified_cams
        cam_dir = osp.join(self.temp_dir.name, 'cams')
        img = rows[0]['img_path']
        cams = misclassified_cams(runner, cam_dir, [
            dict(img_path=img, gt=0, scores=np.array([0.1, 0.2, 0.7])),
            dict(img_path=img, gt=2, scores=np.array([0.1, 0.2, 0.7]))], 5)
        self.assertEqual(list(cams), [img])
        self.assertEqual(cv2.imread(osp.join(cam_dir, cams[img])).shape, (32, 32, 3))
        acc = np.mean([int(r['correct']) for r in rows])
        self.assertAlmostEqual(acc, summary['accuracy'], places=6)
        counts = np.loadtxt(osp.join(report, 'confusion_matrix.csv'), delimiter=',',
                            skiprows=1, usecols=(1, 2, 3))
        self.assertEqual(counts.sum(), 12)
        self.assertEqual(counts.sum(1).tolist(), [4, 4, 4])
        self.assertAlmostEqual(np.trace(counts) / 12, summary['accuracy'], places=6)

    def test_report_with_tta_and_no_training_log(self):
        data_root = osp.join(self.temp_dir.name, 'data')
        make_folder_dataset(data_root, per_class=2)
        cfg = tiny_cls_cfg(self.epoch_based_cfg, data_root)
        out_dir = osp.join(self.temp_dir.name, 'my_report')
        cfg.custom_hooks = [dict(type='ClassificationReportHook', out_dir=out_dir)]
        cfg.model = dict(type='AverageClsScoreTTA', module=cfg.model)
        flips = [dict(type='RandomFlip', prob=1.), dict(type='RandomFlip', prob=0.)]
        cfg.test_dataloader.dataset.pipeline = [
            dict(type='LoadImageFromFile'), dict(type='Resize', scale=(32, 32)),
            dict(type='TestTimeAug', transforms=[flips, [dict(type='PackInputs')]])]
        self.build_runner(cfg).test()
        # two forwards per batch: features averaged, t-SNE still drawn
        self.assertTrue(osp.isfile(osp.join(out_dir, 'tsne.png')))
        self.assertFalse(osp.exists(osp.join(out_dir, 'training_curves.png')))
        with open(osp.join(out_dir, 'results.csv')) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 6)
        self.assertEqual(list(rows[0])[4:10], ['top1_class', 'top1_score', 'top2_class',
                                               'top2_score', 'top3_class', 'top3_score'])


def test_feature_layer_resolves_stacked_head_fc_property():
    """StackedLinearClsHead.fc is a property (its last layer): the penultimate
    feature is that layer's input, width = the last hidden layer."""
    from mmpretrain.registry import MODELS

    from mmext.engine.hooks.classification_report_hook import _find_module
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ResNet', depth=18, stem_channels=8,
                                              base_channels=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='StackedLinearClsHead', num_classes=3, in_channels=64,
                  mid_channels=[16])))
    assert _find_module(model, 'head.fc') is model.head.layers[-1]
    assert _find_module(model, 'head.nothing') is None

