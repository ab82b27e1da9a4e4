import glob
import json
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.testing import RunnerTestCase

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.demo import make_micrograph_dataset
from mmext.models.losses import class_weights_from_counts

COUNTS = {'pearlite': 20, 'network': 10, 'martensite': 5}
CLASSES = ('martensite', 'network', 'pearlite')


def tiny_cfg(work_dir, data_root, max_epochs=1):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    dataset = dict(type='CSVDataset', data_root=data_root, data_prefix='images',
                   split_by_folder=False, metainfo=dict(classes=CLASSES), pipeline=pipeline,
                   label_column='primary_microconstituent')  # the demo data's UHCSDB column
    loader = dict(batch_size=8, num_workers=0, dataset=dataset)
    return Config(dict(
        work_dir=work_dir,
        default_scope='mmpretrain',
        model=dict(
            type='ImageClassifier',
            data_preprocessor=dict(num_classes=3, mean=[128.] * 3, std=[64.] * 3),
            backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=64, topk=(1, ),
                      loss=dict(type='ClassWeightedCrossEntropyLoss', weighting='sqrt'))),
        train_dataloader=dict(
            loader, sampler=dict(type='ClassBalancedSampler', mode='oversample', seed=0),
            dataset=dict(dataset, ann_file='train.csv')),
        val_dataloader=dict(loader, sampler=dict(type='DefaultSampler', shuffle=False),
                            dataset=dict(dataset, ann_file='val.csv')),
        val_evaluator=dict(type='Accuracy', topk=(1, )),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        param_scheduler=dict(type='ReduceOnPlateauLR', monitor='accuracy/top1', rule='greater',
                             patience=0, factor=0.5),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        val_cfg=dict(),
        default_hooks=dict(
            logger=dict(type='LoggerHook', interval=1),
            checkpoint=dict(type='CheckpointHook', interval=1, save_best='accuracy/top1',
                            rule='greater')),
        custom_hooks=[dict(type='ClassCountsHook'), dict(type='EvalBeforeTrainHook')],
        randomness=dict(seed=0)))


class TestClassCountsAndEvalHooks(RunnerTestCase):

    def setUp(self):
        super().setUp()
        self.data_root = osp.join(self.temp_dir.name, 'data')
        make_micrograph_dataset(self.data_root, seed=0, counts=COUNTS, size=(16, 16))

    def csv_counts(self, split):
        """Images per class (CLASSES order) in the generated split CSV."""
        import csv
        with open(osp.join(self.data_root, f'{split}.csv'), newline='') as f:
            labels = [r['primary_microconstituent'] for r in csv.DictReader(f)]
        return [labels.count(c) for c in CLASSES]

    def log_text(self, runner):
        return open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()

    def test_counts_weights_and_accuracy_before_training(self):
        work_dir = osp.join(self.temp_dir.name, 'work')
        runner = self.build_runner(tiny_cfg(work_dir, self.data_root, max_epochs=2))
        runner.train()
        train_counts = np.bincount(runner.train_dataloader.dataset.get_gt_labels(), minlength=3)
        val_counts = np.bincount(runner.val_dataloader.dataset.get_gt_labels(), minlength=3)
        assert train_counts.tolist() == self.csv_counts('train')  # the split tool's rows
        assert max(train_counts) == 12  # the oversampler's draws per class below

        loss = runner.model.head.loss_module
        assert loss.class_counts == train_counts.tolist()
        np.testing.assert_allclose(loss.class_weight,
                                   class_weights_from_counts(train_counts, 'sqrt'))

        log = self.log_text(runner)
        table = log.split('class balance before training:\n')[1].splitlines()
        assert table[0].split()[:3] == ['class', 'train', 'val']
        rows = {line.split()[0]: line.split() for line in table[1:5]}
        for i, name in enumerate(CLASSES):
            # train, val, oversampler draws (largest class count), loss weight
            assert rows[name][1:4] == [str(train_counts[i]), str(val_counts[i]), '12']
        assert rows['total'][1:4] == [str(train_counts.sum()), str(val_counts.sum()), '36']
        assert 'before training: accuracy/top1:' in log

        # the step-0 evaluation reached the scalars, but did not act as an epoch validation
        scalars = [json.loads(line) for line in
                   open(osp.join(runner.log_dir, 'vis_data', 'scalars.json'))]
        acc = [s for s in scalars if 'accuracy/top1' in s]
        assert [s['step'] for s in acc] == [0, 1, 2]
        best = glob.glob(osp.join(work_dir, 'best_*.pth'))
        assert len(best) == 1 and 'epoch_0' not in best[0]
        # reduce-on-plateau stepped by the epoch-1 validation only (its range ends at
        # max_epochs), not by the evaluation before training
        sched = runner.param_schedulers[0]
        assert sched.last_step == 0 and sched.best == acc[1]['accuracy/top1']
        assert runner.iter == 2 * 5  # 36 draws per epoch in batches of 8
        meta = torch.load(osp.join(work_dir, 'epoch_2.pth'), weights_only=False)['meta']
        assert meta['dataset_meta']['classes'] == CLASSES

    def test_skipped_after_resume(self):
        work_dir = osp.join(self.temp_dir.name, 'work')
        self.build_runner(tiny_cfg(work_dir, self.data_root)).train()
        cfg = tiny_cfg(work_dir, self.data_root, max_epochs=2)
        cfg.resume, cfg.load_from = True, osp.join(work_dir, 'epoch_1.pth')
        runner = self.build_runner(cfg)
        runner.train()
        log = self.log_text(runner)
        assert 'evaluation before training skipped: resumed at epoch 1' in log
        # the counts are fed to the loss again after resume
        assert runner.model.head.loss_module.class_counts == self.csv_counts('train')
