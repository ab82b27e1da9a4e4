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
