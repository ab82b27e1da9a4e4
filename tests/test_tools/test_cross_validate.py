"""tools/cross_validate.py: 2 grouped folds x 1 epoch on tiny texture micrographs."""
import csv
import json
import os
import os.path as osp

import pytest

CFG = 'configs/demo/resnet18-thin-texture_1xb32-20e_demo-texture-micrographs.py'
COUNTS = {'spheroidite': 10, 'pearlite': 6, 'martensite': 5}
OPTIONS = ['--cfg-options', 'train_cfg.max_epochs=1', 'train_dataloader.batch_size=8',
           'model.patch_size=32', 'model.backbone.stem_channels=8',
           'model.backbone.base_channels=8', 'model.head.in_channels=64']


@pytest.fixture(scope='module')
def texture_root(tmp_path_factory):
    from mmext.demo import make_texture_micrograph_dataset
    root = str(tmp_path_factory.mktemp('texture'))
    make_texture_micrograph_dataset(root, seed=0, counts=COUNTS, size=(48, 48))
    return root


def _cv(run_tool, root, work):
    return run_tool('tools/cross_validate.py', CFG, '--folds', '2', '--group-column',
                    'sample_key', '--tta', '--data-root', root, '--work-dir', work, *OPTIONS)


def _rows(path):
    return list(csv.DictReader(open(path)))


def test_cross_validate_two_folds_then_resume_fold_by_fold(run_tool, texture_root, tmp_path):
    work = str(tmp_path / 'cv')
    proc = _cv(run_tool, texture_root, work)
    assert '| test | 2 |' in proc.stdout and '| tta | 2 |' in proc.stdout
    assert 'Epoch(train)' not in proc.stdout  # runner logs go to the fold's log files

    n_images = sum(COUNTS.values())
    tested = []
    for k in (1, 2):
        fold = osp.join(work, 'seed0', f'fold{k}')
        parts = {s: _rows(osp.join(fold, f'{s}.csv')) for s in ('train', 'val', 'test')}
        samples = {s: {r['sample_key'] for r in rows} for s, rows in parts.items()}
        assert not samples['test'] & (samples['train'] | samples['val'])  # grouped
        assert not samples['train'] & samples['val']
        assert sum(map(len, parts.values())) == n_images
        tested += [r['path'] for r in parts['test']]
        record = json.load(open(osp.join(fold, 'fold.json')))
        # selected on the inner validation set: the best checkpoint of the training
        assert osp.basename(record['checkpoint']).startswith('best_single-label_f1-score')
        assert record['train_cpu_s'] > 0
    assert sorted(tested) == sorted(r['path'] for r in _rows(
        osp.join(texture_root, 'metadata.csv')))  # every image tested exactly once

    folds = _rows(osp.join(work, 'cv_folds.csv'))
    assert [(r['variant'], r['fold']) for r in folds] == [
        ('test', '1'), ('tta', '1'), ('test', '2'), ('tta', '2')]
    for r in folds:
        assert 0 <= float(r['accuracy']) <= 1 and 0 <= float(r['macro_f1']) <= 1
    summary = json.load(open(osp.join(work, 'cv_summary.json')))
    accs = [float(r['accuracy']) for r in folds if r['variant'] == 'test']
    assert abs(summary['test']['accuracy']['mean'] - sum(accs) / 2) < 1e-6
    confusion = _rows(osp.join(work, 'pooled_test', 'confusion_matrix.csv'))
    assert sum(int(v) for r in confusion for k, v in r.items() if k != 'true\\pred') == \
        n_images

    # resume: fold 1 is done and stays untouched; fold 2 lost its record and predictions
    fold1, fold2 = (osp.join(work, 'seed0', f'fold{k}') for k in (1, 2))
    stamp = {p: os.stat(p).st_mtime_ns for p in (
        osp.join(fold1, 'fold.json'), osp.join(fold1, 'predictions_test.pkl'),
        json.load(open(osp.join(fold1, 'fold.json')))['checkpoint'])}
    for name in ('fold.json', 'predictions_test.pkl', 'predictions_tta.pkl'):
        os.remove(osp.join(fold2, name))
    _cv(run_tool, texture_root, work)
    assert {p: os.stat(p).st_mtime_ns for p in stamp} == stamp
    assert 'resumed epoch: 1' in open(osp.join(fold2, 'train.log')).read()
    assert osp.isfile(osp.join(fold2, 'predictions_tta.pkl'))
    assert len(_rows(osp.join(work, 'cv_folds.csv'))) == 4


def test_other_folds_in_the_work_dir_are_refused(run_tool, texture_root, tmp_path):
    work = tmp_path / 'cv'
    work.mkdir()
    (work / 'folds.json').write_text('{}')
    proc = run_tool('tools/cross_validate.py', CFG, '--folds', '2', '--data-root',
                    texture_root, '--work-dir', str(work), *OPTIONS, check=False)
    assert proc.returncode == 2
    assert 'holds other folds' in proc.stderr.strip().splitlines()[-1]


PARTICLE_CFG = 'configs/demo/mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py'
PARTICLE_OPTIONS = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.save_best=iou_f1', 'default_hooks.checkpoint.rule=greater',
    *(f'{split}_dataloader.{key}' for split in ('train', 'val', 'test')
      for key in ('num_workers=0', 'persistent_workers=False'))]


@pytest.fixture(scope='module')
def particle_cv_root(tmp_path_factory):
    """Six annotated particle images in one COCO json (``annotations/train.json``)."""
    from mmext.demo import make_particle_dataset
    root = str(tmp_path_factory.mktemp('particles_cv'))
    make_particle_dataset(root, seed=0, num_train=6, num_val=0, num_test=0, size=(128, 160),
                          num_range=(10, 15))
    return root


def _image_names(path):
    return [img['file_name'] for img in json.load(open(path))['images']]


def test_particle_cross_validation_by_image_then_resume(particle_cv_root, tmp_path, capsys):
    from mmengine.config import Config
    from mmext.testing import load_tool
    work = str(tmp_path / 'cv')
    common = [PARTICLE_CFG, '--folds', '2', '--val-ratio', '0.34', '--work-dir', work,
              '--cfg-options', *PARTICLE_OPTIONS]
    # the json and the image folder from the config's train dataset under --data-root
    load_tool('cross_validate').main([*common, '--data-root', particle_cv_root])
    assert '| test | 2 | ' in capsys.readouterr().out

    tested = []
    for k in (1, 2):
        fold = osp.join(work, 'seed0', f'fold{k}')
        names = {s: _image_names(osp.join(fold, f'{s}.json')) for s in ('train', 'val', 'test')}
        assert [len(names[s]) for s in ('train', 'val', 'test')] == [2, 1, 3]
        assert len(set().union(*names.values())) == 6  # train, val, test disjoint
        tested += names['test']
        cfg = Config.fromfile(osp.join(fold, f'seed0_fold{k}.py'))
        for split in ('val', 'test'):
            ann_file = osp.join(fold, f'{split}.json')
            assert cfg[f'{split}_dataloader'].dataset.ann_file == ann_file
            assert [m.ann_file for m in cfg[f'{split}_evaluator']] == [ann_file] * 2
        record = json.load(open(osp.join(fold, 'fold.json')))
        assert osp.basename(record['checkpoint']).startswith('best_iou_f1')  # inner val
    assert sorted(tested) == sorted(_image_names(
        osp.join(particle_cv_root, 'annotations', 'train.json')))  # each tested once

    folds = _rows(osp.join(work, 'cv_folds.csv'))
    assert [(r['variant'], r['fold']) for r in folds] == [('test', '1'), ('test', '2')]
    for r in folds:
        assert 0 <= float(r['iou_f1']) <= 1 and float(r['cpu_s']) > 0
        assert 'coco/segm_mAP' in r
    summary = json.load(open(osp.join(work, 'cv_summary.json')))['test']
    mean = sum(float(r['iou_f1']) for r in folds) / 2
    assert abs(summary['iou_f1']['mean'] - mean) < 1e-4 and summary['folds'] == 2
    assert 'iou_f1' in open(osp.join(work, 'cv_summary.md')).read()

    # resume: fold 1 is done and stays untouched; fold 2 lost its test predictions only
    fold1, fold2 = (osp.join(work, 'seed0', f'fold{k}') for k in (1, 2))
    stamp = {p: os.stat(p).st_mtime_ns for p in (
        osp.join(fold1, 'fold.json'), osp.join(fold1, 'predictions_test.pkl'),
        osp.join(fold1, 'train.log'), osp.join(fold2, 'train.log'),
        json.load(open(osp.join(fold2, 'fold.json')))['checkpoint'])}
    os.remove(osp.join(fold2, 'predictions_test.pkl'))
    # the same folds given explicitly: --ann-file and --img-dir
    load_tool('cross_validate').main([
        *common, '--ann-file', osp.join(particle_cv_root, 'annotations', 'train.json'),
        '--img-dir', osp.join(particle_cv_root, 'images', 'train')])
    assert '| test | 2 | ' in capsys.readouterr().out
    assert {p: os.stat(p).st_mtime_ns for p in stamp} == stamp
    assert osp.isfile(osp.join(fold2, 'predictions_test.pkl'))
    assert len(_rows(osp.join(work, 'cv_folds.csv'))) == 2
