"""Cross-validation summary helpers: a test run's metrics, any metric names."""
import csv
import json
import math
import os.path as osp

from mmext.reports.cross_validation import (common_metrics, markdown_table, run_metrics,
                                            write_cv_summary)


def test_run_metrics_numeric_headline_first_coco_minus_one_is_nan():
    raw = {'coco/bbox_mAP': 0.5, 'coco/bbox_mAP_copypaste': '0.5 0.6', 'coco/segm_mAP_l': -1.0,
           'iou_recall': 0.3, 'iou_f1': 0.4, 'extra': 2}
    out = run_metrics(raw)
    assert list(out) == ['iou_f1', 'iou_recall', 'coco/bbox_mAP', 'coco/segm_mAP_l', 'extra']
    assert math.isnan(out['coco/segm_mAP_l']) and out['extra'] == 2.0


def test_summary_of_particle_metrics(tmp_path):
    rows = [dict(variant='test', seed=0, fold=k, n_train=2, n_val=1, n_test=3, iou_f1=f1,
                 **{'coco/segm_mAP_l': m}, cpu_s=10. * k, checkpoint='c.pth')
            for k, f1, m in ((1, 0.4, float('nan')), (2, 0.6, 0.2))]
    names = ['iou_f1', 'coco/segm_mAP_l']
    metrics = common_metrics(rows, names)
    assert metrics == ['iou_f1']  # undefined in one fold: per fold only
    summary = write_cv_summary(str(tmp_path), rows, 'T', metrics=metrics, columns=names)
    assert abs(summary['test']['iou_f1'][0] - 0.5) < 1e-9
    saved = json.load(open(osp.join(tmp_path, 'cv_summary.json')))['test']
    assert set(saved) == {'iou_f1', 'folds', 'cpu_s'}
    csv_rows = list(csv.DictReader(open(osp.join(tmp_path, 'cv_folds.csv'))))
    assert [r['coco/segm_mAP_l'] for r in csv_rows] == ['nan', '0.2']
    table = markdown_table(summary, 'T', metrics)
    assert '| variant | folds | iou_f1 | CPU s / fold |' in table
    assert '| test | 2 | 0.500 ± 0.141 | 15 ± 7 |' in table


def test_classification_table_unchanged():
    summary = {'test': dict(accuracy=(0.5, 0.1), balanced_accuracy=(0.4, 0.1),
                            macro_f1=(0.3, 0.1), folds=2)}
    assert markdown_table(summary).splitlines()[:2] == [
        '| variant | folds | accuracy | balanced accuracy | macro-F1 | CPU s / fold |',
        '|---|---|---|---|---|---|']
