"""tools/train.py and tools/test.py drive both families, on generated data, on CPU."""
import csv
import glob
import json
import os
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

CLS_CFG = 'configs/demo/resnet18_1xb32-20e_demo-micrographs.py'
DET_CFG = 'configs/demo/mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py'
R18_URL = ('https://download.openmmlab.com/mmclassification/v0/resnet/'
           'resnet18_8xb32_in1k_20210831-fbbb1da6.pth')


def cls_options(root, epochs=1, batch=8):
    opts = [f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=1',
            f'train_dataloader.batch_size={batch}', 'model.backbone.depth=18']
    for split in ('train', 'val', 'test'):
        opts += [f'{split}_dataloader.dataset.data_root={root}',
                 f'{split}_dataloader.num_workers=0',
                 f'{split}_dataloader.persistent_workers=False']
    return ['--cfg-options', *opts]


def det_options(root, iters=2):
    opts = [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            'train_dataloader.batch_size=2']
    for split in ('val', 'test'):  # [CocoMetric, IoUWeightedF1Metric]
        opts += [f'{split}_evaluator.{i}.ann_file={root}/annotations/val.json' for i in (0, 1)]
    for split in ('train', 'val', 'test'):
        opts += [f'{split}_dataloader.dataset.data_root={root}/',
                 f'{split}_dataloader.num_workers=0',
                 f'{split}_dataloader.persistent_workers=False']
    return ['--cfg-options', *opts]


def split_rows(root, split):
    """The rows of a generated micrograph set's split CSV."""
    with open(osp.join(root, f'{split}.csv'), newline='') as f:
        return list(csv.DictReader(f))


def last_scalars(work_dir):
    logs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    return [json.loads(line) for line in open(logs[-1])]


def test_classification_train_then_test(run_tool, micrograph_root, tmp_path):
    work = str(tmp_path / 'cls')
    run_tool('tools/train.py', CLS_CFG, '--work-dir', work, '--amp',
             *cls_options(micrograph_root, epochs=2))
    ckpt = osp.join(work, 'epoch_2.pth')
    assert torch.load(ckpt, weights_only=True)['meta']['dataset_meta']['classes'][0] == 'martensite'
    out = str(tmp_path / 'preds.pkl')
    proc = run_tool('tools/test.py', CLS_CFG, ckpt, '--work-dir', work, '--out', out,
                    *cls_options(micrograph_root))
    assert 'accuracy/top1' in proc.stdout + proc.stderr
    # calm console: progress bar and summary table; env, config dump and records in the log
    assert 'test: 100%' in proc.stderr and 'report/index.html' in proc.stdout
    assert 'System environment' not in proc.stdout and 'Config:' not in proc.stdout
    log = max(glob.glob(osp.join(work, '*', '*.log')), key=os.path.getmtime)
    text = open(log).read()
    assert 'System environment' in text and 'Config:' in text and 'accuracy/top1' in text
    preds = pickle.load(open(out, 'rb'))
    assert len(preds) == len(split_rows(micrograph_root, 'test'))
    # --resume continues from epoch 2 to epoch 3
    run_tool('tools/train.py', CLS_CFG, '--work-dir', work, '--resume',
             *cls_options(micrograph_root, epochs=3))
    assert torch.load(osp.join(work, 'epoch_3.pth'), weights_only=True)['meta']['epoch'] == 3


def test_load_from_skips_pretrained_download(run_tool, micrograph_root, tmp_path):
    work = str(tmp_path / 'cls')
    run_tool('tools/train.py', CLS_CFG, '--work-dir', work, *cls_options(micrograph_root))
    ckpt = osp.join(work, 'epoch_1.pth')
    opts = cls_options(micrograph_root)
    opts += [f'load_from={ckpt}', 'model.backbone.init_cfg.type=Pretrained',
             f'model.backbone.init_cfg.checkpoint={R18_URL}',
             'model.backbone.init_cfg.prefix=backbone']
    proc = run_tool('tools/train.py', CLS_CFG, '--work-dir', str(tmp_path / 'ft'), *opts)
    log = proc.stdout + proc.stderr
    assert 'Pretrained init skipped' in log and 'Downloading' not in log


def test_instance_segmentation_train_then_test(run_tool, particle_root, tmp_path):
    work = str(tmp_path / 'det')
    run_tool('tools/train.py', DET_CFG, '--work-dir', work, *det_options(particle_root))
    ckpt = osp.join(work, 'iter_2.pth')
    assert osp.isfile(ckpt)
    out = str(tmp_path / 'dets.pkl')
    proc = run_tool('tools/test.py', DET_CFG, ckpt, '--work-dir', work, '--out', out,
                    '--show-dir', 'vis', *det_options(particle_root))
    assert 'coco/segm_mAP_50' in proc.stdout + proc.stderr
    assert len(pickle.load(open(out, 'rb'))) == 2
    assert len(glob.glob(osp.join(work, '*', 'vis', '*.png'))) == 2
    # the particle report: one row per test image, overlays, shapes, index.html
    report = osp.join(work, 'report')
    with open(osp.join(report, 'per_image.csv')) as f:
        assert len(f.read().strip().splitlines()) == 1 + 2
    assert len(glob.glob(osp.join(report, 'overlays', '*.png'))) == 2
    for name in ('particles.csv', 'size_distribution.png', 'summary.json', 'index.html'):
        assert osp.isfile(osp.join(report, name)), name
    # --tta: the TTA pipeline loads no annotations; the ground truth comes from ann_file
    run_tool('tools/test.py', DET_CFG, ckpt, '--work-dir', work, '--tta', '--um-per-px', '0.5',
             *det_options(particle_root))
    summary = json.load(open(osp.join(report, 'summary.json')))
    assert summary['um_per_px'] == 0.5 and summary['gt_instances'] > 0


RECORD_SAMPLES_HOOK = """
import json, os.path as osp
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RecordSamplesHook(Hook):
    priority = 'LOW'  # after DistSamplerSeedHook set the epoch

    def before_train_epoch(self, runner):
        loader = runner.train_dataloader
        ds = loader.dataset
        self.record = dict(rank=get_rank(), indices=[int(i) for i in loader.sampler],
                           seed=loader.sampler.seed, mode=loader.sampler.mode,
                           labels=[int(x) for x in ds.get_gt_labels()], seen=[],
                           paths=[ds.get_data_info(i)['img_path'] for i in range(len(ds))])

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.record['seen'] += [s.img_path for s in data_batch['data_samples']]

    def after_train_epoch(self, runner):
        path = osp.join(runner.work_dir, f'samples_rank{self.record["rank"]}.json')
        with open(path, 'w') as f:
            json.dump(self.record, f)
"""


def test_two_process_cpu_training(micrograph_root, tmp_path):
    """tools/dist_train.sh with 2 processes on gloo: the ranks take disjoint positions of
    one shared epoch draw that together cover it, and train on exactly those images."""
    from mmext.datasets.samplers import ClassBalancedSampler
    work = str(tmp_path / 'dist')
    (tmp_path / 'record_samples.py').write_text(RECORD_SAMPLES_HOOK)
    cfg = tmp_path / 'recorded.py'
    cfg.write_text(f"_base_ = ['{osp.join(REPO, CLS_CFG)}']\n"
                   "custom_imports = dict(imports=['mmext.modules', 'record_samples'])\n"
                   "custom_hooks = _base_.custom_hooks + [dict(type='RecordSamplesHook')]\n")
    batch = 4
    env = dict(os.environ, PYTHON=sys.executable, PORT='29533', OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([REPO, str(tmp_path)]))
    proc = subprocess.run(['bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir', work,
                           '--verbose',
                           *cls_options(micrograph_root, epochs=1, batch=batch)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'world_size: 2' in log or 'Distributed training: True' in log
    ranks = [json.load(open(osp.join(work, f'samples_rank{r}.json'))) for r in (0, 1)]
    # the whole epoch's draw, as one process with the same seed makes it
    labels = np.array(ranks[0]['labels'])

    class Labels:
        metainfo = {}

        def __len__(self):
            return len(labels)

        def get_gt_labels(self):
            return labels

    whole = list(ClassBalancedSampler(Labels(), seed=ranks[0]['seed'], mode=ranks[0]['mode']))
    total = 2 * -(-len(whole) // 2)
    positions = [None] * total
    positions[0::2], positions[1::2] = ranks[0]['indices'], ranks[1]['indices']
    assert positions == (whole * 2)[:total]  # disjoint positions covering the draw
    for r in ranks:  # and each rank trained on exactly its share, in order
        assert r['seen'] == [r['paths'][i] for i in r['indices']]
    iters = max(s.get('iter', 0) for s in last_scalars(work))
    assert iters == -(-len(whole) // (2 * batch))  # ceil: half the epoch per rank
    assert torch.load(osp.join(work, 'epoch_1.pth'), weights_only=True)['meta']['epoch'] == 1


@pytest.mark.parametrize('args, message', [
    (['tools/train.py', 'configs/demo/missing.py'], 'config file not found: configs/demo/missing.py'),
    (['tools/test.py', CLS_CFG, 'missing.pth'], 'checkpoint not found: missing.pth'),
    (['tools/train.py', CLS_CFG, '--resume', 'missing.pth'], 'checkpoint to resume from not found: missing.pth'),
])
def test_bad_input_is_one_line(run_tool, args, message):
    proc = run_tool(*args, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == f'error: {message}'


def test_unknown_scope_and_non_checkpoint(run_tool, micrograph_root, tmp_path):
    cfg = tmp_path / 'seg.py'
    cfg.write_text("default_scope = 'mmseg'\nmodel = dict()\n")
    proc = run_tool('tools/train.py', str(cfg), check=False)
    assert proc.returncode == 2 and "default_scope='mmseg'" in proc.stderr
    fake = tmp_path / 'fake.pth'
    fake.write_text('hello')
    proc = run_tool('tools/test.py', CLS_CFG, str(fake), '--work-dir', str(tmp_path),
                    *cls_options(micrograph_root), check=False)
    assert proc.returncode == 2
    assert 'fake.pth is not a PyTorch checkpoint' in proc.stderr.strip().splitlines()[-1]


def test_corrupt_image_in_a_shipped_config_is_one_line(run_tool, micrograph_root, tmp_path):
    """The configs load images with CheckedLoadImageFromFile: a truncated micrograph met
    during training (here the validation before it) ends with one line naming it."""
    import shutil
    root = tmp_path / 'data'
    shutil.copytree(micrograph_root, root)
    victim = root / 'images' / split_rows(micrograph_root, 'val')[0]['path']
    data = victim.read_bytes()
    victim.write_bytes(data[:len(data) // 2])
    proc = run_tool('tools/train.py', CLS_CFG, '--data-root', str(root), '--work-dir',
                    str(tmp_path / 'work'), *cls_options(root), check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('error: ') and str(victim) in last, last
