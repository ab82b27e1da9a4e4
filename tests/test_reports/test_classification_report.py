"""Classification report numbers and files on an 8-sample, 3-class case computed by hand.

gt   = 0 0 0 1 1 1 2 2
pred = 0 0 1 1 1 2 2 0
confusion (rows true): [[2,1,0],[0,2,1],[1,0,1]]
precision = recall = F1 = 2/3, 2/3, 1/2; accuracy 5/8; balanced accuracy 11/18;
ROC AUC (pairs pos > neg): class 0 13/15, class 1 14/15, class 2 11/12;
AP class 2: ranks 0.7(+) 0.4(-) 0.35(+) -> 1/2*1 + 1/2*2/3 = 5/6; top-2 accuracy 7/8.
"""
import csv
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mmext.reports.classification_report import write_classification_report
from mmext.evaluation.functional.cls_metrics import (confusion_matrices, per_class_report,
                                                     pr_report, roc_report, summary_metrics,
                                                     topk_predictions, tsne_embedding)
from mmext.visualization.cls_plots import grid_layout
from mmext.visualization.train_log import find_scalar_logs, load_scalar_logs

SCORES = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.8, 0.1],
                   [0.1, 0.6, 0.3], [0.25, 0.35, 0.4], [0.1, 0.2, 0.7], [0.5, 0.15, 0.35]])
GT = np.array([0, 0, 0, 1, 1, 1, 2, 2])
CLASSES = ['ferrite', 'pearlite', 'martensite']
AUC = [13 / 15, 14 / 15, 11 / 12]


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_summary_metrics():
    s = summary_metrics(SCORES, GT, topk=(1, 2))
    assert s['accuracy'] == pytest.approx(5 / 8)
    assert s['accuracy_top2'] == pytest.approx(7 / 8)
    assert s['balanced_accuracy'] == pytest.approx(11 / 18)
    assert s['num_samples'] == 8


def test_per_class_report():
    rows = {r['class']: r for r in per_class_report(SCORES, GT)}
    for c, v in enumerate([2 / 3, 2 / 3, 1 / 2]):
        assert rows[c]['precision'] == pytest.approx(v)
        assert rows[c]['recall'] == pytest.approx(v)
        assert rows[c]['f1-score'] == pytest.approx(v)
    assert [rows[c]['support'] for c in range(3)] == [3, 3, 2]
    assert rows['macro avg']['precision'] == pytest.approx(11 / 18)
    assert rows['weighted avg']['recall'] == pytest.approx(5 / 8)
    assert rows['weighted avg']['support'] == 8


def test_never_predicted_class_has_zero_precision():
    rows = per_class_report(np.array([[0.9, 0.1], [0.8, 0.2]]), np.array([0, 1]))
    assert rows[1]['precision'] == 0 and rows[1]['recall'] == 0


def test_confusion_matrices():
    counts, norm = confusion_matrices(SCORES, GT)
    assert counts.tolist() == [[2, 1, 0], [0, 2, 1], [1, 0, 1]]
    assert norm[2].tolist() == [0.5, 0, 0.5]


def test_roc_and_pr():
    roc = roc_report(SCORES, GT)
    for c in range(3):
        assert roc['auc'][c] == pytest.approx(AUC[c])
    assert roc['auc']['macro'] == pytest.approx(np.mean(AUC))
    assert roc['auc']['micro'] == pytest.approx(
        roc_auc_score(np.eye(3)[GT], SCORES, average='micro'))
    pr = pr_report(SCORES, GT)
    assert pr['ap'][2] == pytest.approx(5 / 6)


def test_roc_with_class_absent_from_test_set():
    scores = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.6, 0.3, 0.1]])
    roc = roc_report(scores, np.array([0, 1, 0]))
    assert np.isnan(roc['auc'][2]) and 2 not in roc['curves']
    assert roc['auc']['macro'] == pytest.approx(1.0)


def test_topk_and_tsne_small_sets():
    labels, scores = topk_predictions(SCORES, k=5)
    assert labels.shape == (8, 3) and labels[7].tolist() == [0, 2, 1]
    assert scores[7].tolist() == [0.5, 0.35, 0.15]
    rng = np.random.default_rng(0)
    assert tsne_embedding(rng.random((4, 6))).shape == (4, 2)
    assert tsne_embedding(rng.random((2, 6))) is None


def write_images(root, n):
    paths = []
    for i in range(n):
        p = osp.join(root, f'img{i}.png')
        cv2.imwrite(p, np.full((20 + i, 30, 3), 40 * i % 255, np.uint8))
        paths.append(p)
    return paths


def write_scalar_log(work_dir):
    vis = osp.join(work_dir, '20240101_000000', 'vis_data')
    records = [dict(loss=1.0 - 0.1 * i, lr=0.1, epoch=1 + i // 2, iter=i + 1, step=i + 1)
               for i in range(4)]
    records += [{'accuracy/top1': 50.0, 'step': 1}, {'accuracy/top1': 75.0, 'step': 2}]
    os.makedirs(vis)
    with open(osp.join(vis, 'scalars.json'), 'w') as f:
        f.write('\n'.join(json.dumps(r) for r in records) + '\n')
    return osp.join(vis, 'scalars.json')


def test_train_log_discovery(tmp_path):
    log = write_scalar_log(str(tmp_path))
    assert find_scalar_logs([str(tmp_path)]) == [log]
    train, val = load_scalar_logs([log])
    assert [r['step'] for r in train] == [1, 2, 3, 4]
    assert [r['accuracy/top1'] for r in val] == [50.0, 75.0]


def test_report_files(tmp_path):
    imgs = write_images(str(tmp_path), 8)
    log = write_scalar_log(str(tmp_path / 'train'))
    out = tmp_path / 'report'
    written = write_classification_report(
        str(out), SCORES, CLASSES, GT, img_paths=imgs,
        features=np.random.default_rng(0).random((8, 16)), topk=2, train_logs=[log],
        grid_tile=32, log=lambda msg: None)
    for name in ('summary.json', 'classification_report.csv', 'confusion_matrix.csv',
                 'confusion_matrix_normalized.csv', 'confusion_matrix.png', 'roc_auc.csv',
                 'roc_curves.csv', 'roc_curves.png', 'pr_curves.png', 'average_precision.csv',
                 'tsne.png', 'training_curves.png', 'results.csv', 'predictions_grid.png'):
        assert (out / name).is_file(), name
    assert sorted(osp.basename(p) for p in written.values()) == sorted(
        p.name for p in out.iterdir())

    rows = {r['class']: r for r in read_csv(out / 'classification_report.csv')}
    assert list(rows) == CLASSES + ['macro avg', 'weighted avg']
    assert float(rows['martensite']['precision']) == pytest.approx(0.5, abs=1e-6)
    assert float(rows['ferrite']['recall']) == pytest.approx(2 / 3, abs=1e-6)
    assert rows['pearlite']['support'] == '3'
    assert float(rows['weighted avg']['f1-score']) == pytest.approx(5 / 8, abs=1e-6)

    cm = read_csv(out / 'confusion_matrix.csv')
    assert [[int(r[c]) for c in CLASSES] for r in cm] == [[2, 1, 0], [0, 2, 1], [1, 0, 1]]
    cmn = read_csv(out / 'confusion_matrix_normalized.csv')
    assert float(cmn[0]['pearlite']) == pytest.approx(1 / 3, abs=1e-6)

    aucs = {r['class']: float(r['auc']) for r in read_csv(out / 'roc_auc.csv')}
    assert [aucs[c] for c in CLASSES] == pytest.approx(AUC, abs=1e-6)
    assert aucs['macro'] == pytest.approx(np.mean(AUC), abs=1e-6)
    assert 'micro' in aucs
    curves = read_csv(out / 'roc_curves.csv')
    assert {r['curve'] for r in curves} == set(CLASSES) | {'micro'}
    ap = {r['class']: float(r['average_precision'])
          for r in read_csv(out / 'average_precision.csv')}
    assert ap['martensite'] == pytest.approx(5 / 6, abs=1e-6)

    summary = json.loads((out / 'summary.json').read_text())
    assert summary['accuracy'] == pytest.approx(5 / 8)
    assert summary['accuracy_top2'] == pytest.approx(7 / 8)
    assert summary['balanced_accuracy'] == pytest.approx(11 / 18)

    results = read_csv(out / 'results.csv')
    assert [r['img_path'] for r in results] == imgs
    assert [r['pred_class'] for r in results] == [CLASSES[i] for i in SCORES.argmax(1)]
    assert [r['gt_class'] for r in results] == [CLASSES[i] for i in GT]
    assert [float(r['score']) for r in results] == pytest.approx(SCORES.max(1))
    assert results[7]['top2_class'] == 'martensite' and 'top3_class' not in results[7]
    assert [int(r['correct']) for r in results] == [1, 1, 0, 1, 1, 0, 1, 0]

    grid = cv2.imread(str(out / 'predictions_grid.png'))
    _, _, h, w = grid_layout(8, tile=32)
    assert grid.shape == (h, w, 3) == (3 * (32 + 36), 3 * 32, 3)
    # the mistake in the 3rd tile (row 0, col 2) has a red frame; tile 0 has none
    assert tuple(grid[2, 2 * 32 + 2]) == (0, 0, 220)
    assert tuple(grid[2, 2]) != (0, 0, 220)


def test_grid_shows_12bit_images_through_the_loaders_depth_max(tmp_path):
    """12-bit micrographs in 16-bit PNGs: without depth_max the tile is near black."""
    ramp = np.linspace(0, 4095, 64 * 64).reshape(64, 64).round().astype(np.uint16)
    img = str(tmp_path / 'deep.png')
    cv2.imwrite(img, ramp)
    means = []
    for depth_max in (None, 4095):
        out = tmp_path / f'r{depth_max}'
        write_classification_report(str(out), SCORES[:1], CLASSES, None, img_paths=[img],
                                    grid_tile=64, depth_max=depth_max, log=lambda m: None)
        tile = cv2.imread(str(out / 'predictions_grid.png'))[:64, :64]
        means.append(tile.mean())
    assert means[0] < 10  # OpenCV's 8-bit decode keeps the high byte: 0..16
    assert means[1] == pytest.approx(127.5, abs=3)


def test_report_without_true_labels(tmp_path):
    imgs = write_images(str(tmp_path), 3)
    messages = []
    written = write_classification_report(str(tmp_path / 'r'), SCORES[:3], CLASSES,
                                          np.array([-1, -1, -1]), img_paths=imgs,
                                          log=messages.append)
    assert set(written) == {'results', 'grid'}
    assert any('skipped' in m for m in messages)
    rows = read_csv(tmp_path / 'r' / 'results.csv')
    assert [r['gt_class'] for r in rows] == ['', '', '']
    assert [r['top3_class'] for r in rows] == ['martensite', 'martensite', 'ferrite']
