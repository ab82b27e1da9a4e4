"""Particle report numbers and files on a two-image case computed by hand.

Image A (20x20, grey): ground truth g1 = rows 0-9 x cols 0-9 (100 px), g2 = rows 10-19 x
cols 10-19 (100 px), g3 = rows 0-4 x cols 15-19 (25 px). Predictions:
p1 rows 0-9 x cols 0-4 (50 px, score 0.3): IoU 0.5 with g1;
p2 rows 0-9 x cols 0-7 (80 px, score 0.9): IoU 0.8 with g1 -> g1's TP, p1 its duplicate;
p3 = g2 (score 0.8): IoU 1; p4 rows 15-19 x cols 0-4 (25 px, score 0.6): overlaps nothing.
g3 is missed. A: ΣIoU 1.8, TP 2, FP 1, FN 1 -> P = R = F1 = 0.6.
Image B (10x10): one ground truth rows 2-5 x cols 2-5 (16 px), no prediction: FN 1, F1 0.
Set: ΣIoU 1.8, TP 2, FP 1, FN 2 -> P 0.6, R 0.45, F1 0.54/1.05.
Sweep: score_thr 0.35 drops p1 (the duplicate): FP 0 -> P 0.9, R 0.45, F1 0.6 (the best);
0.85 keeps p2 only: ΣIoU 0.8, TP 1, FN 3 -> P 0.8, R 0.2, F1 0.32; 0.95 keeps nothing: 0.
Equivalent diameters √(4A/π): gt areas 16, 25, 100, 100; predicted 50, 80, 100, 25;
two-sample KS statistic 0.25.
"""
import csv
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from mmext.evaluation.functional.particle_matching import match_image
from mmext.structures.rle import encode_masks
from mmext.reports.particle_report import write_particle_report


def boxes_to_rles(shape, boxes):
    masks = np.zeros((len(boxes), *shape), np.uint8)
    for m, (r0, r1, c0, c1) in zip(masks, boxes):
        m[r0:r1 + 1, c0:c1 + 1] = 1
    return encode_masks(masks)


def ecd(area):
    return np.sqrt(4 * area / np.pi)


@pytest.fixture
def hand_case(tmp_path):
    img_a, img_b = str(tmp_path / 'a.png'), str(tmp_path / 'b.png')
    cv2.imwrite(img_a, np.full((20, 20, 3), 128, np.uint8))
    cv2.imwrite(img_b, np.full((10, 10, 3), 128, np.uint8))
    return [
        dict(image_id=1, img_path=img_a,
             gt_rles=boxes_to_rles((20, 20), [(0, 9, 0, 9), (10, 19, 10, 19), (0, 4, 15, 19)]),
             pred_rles=boxes_to_rles((20, 20), [(0, 9, 0, 4), (0, 9, 0, 7), (10, 19, 10, 19),
                                                (15, 19, 0, 4)]),
             scores=np.array([0.3, 0.9, 0.8, 0.6])),
        dict(image_id=2, img_path=img_b, gt_rles=boxes_to_rles((10, 10), [(2, 5, 2, 5)]),
             pred_rles=[], scores=np.zeros(0)),
    ]


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_match_image_outcomes(hand_case):
    a = hand_case[0]
    m = match_image(a['gt_rles'], a['pred_rles'])
    assert m['pred_iou'].tolist() == pytest.approx([0.5, 0.8, 1.0, 0.0])
    assert m['pred_tp'].tolist() == [False, True, True, False]
    assert m['pred_duplicate'].tolist() == [True, False, False, False]
    assert m['gt_iou'].tolist() == pytest.approx([0.8, 1.0, 0.0])
    assert tuple(m['counts']) == pytest.approx((1.8, 2, 1, 1))


def test_report_files_and_numbers(hand_case, tmp_path):
    out_dir = str(tmp_path / 'report')
    out = write_particle_report(out_dir, hand_case, um_per_px=0.5, score_thr=0.3,
                                log=lambda *_: None)
    s = json.load(open(osp.join(out_dir, 'summary.json')))
    assert s['iou_f1'] == pytest.approx(0.54 / 1.05)
    assert s['iou_precision'] == pytest.approx(0.6)
    assert s['iou_recall'] == pytest.approx(0.45)
    assert (s['tp'], s['fp'], s['fn'], s['gt_instances'], s['pred_instances']) == (2, 1, 2, 4, 4)
    assert s['best_score_thr'] == pytest.approx(0.35)
    assert s['best_score_thr_iou_f1'] == pytest.approx(0.6)
    assert s['size_ks_stat'] == pytest.approx(0.25)
    assert s['size_unit'] == 'µm'
    gt_ecd_um = 0.5 * ecd(np.array([16, 25, 100, 100]))
    assert s['gt_ecd_d50_um'] == pytest.approx(np.median(gt_ecd_um))
    assert s['pred_ecd_d90_um'] == pytest.approx(
        np.percentile(0.5 * ecd(np.array([25, 50, 80, 100])), 90))

    rows = read_csv(osp.join(out_dir, 'per_image.csv'))
    assert [r['file_name'] for r in rows] == ['a.png', 'b.png']
    a, b = rows
    assert (a['gt_instances'], a['pred_instances'], a['tp'], a['fp'], a['fn']) == \
        ('3', '4', '2', '1', '1')
    assert float(a['sum_iou']) == pytest.approx(1.8) and float(a['iou_f1']) == pytest.approx(0.6)
    assert a['false_detections'] == '1'
    assert (b['fn'], float(b['iou_f1'])) == ('1', 0.0)
    assert b['overlay'] == 'overlays/b.png'  # worst image drawn first

    particles = read_csv(osp.join(out_dir, 'particles.csv'))
    pred = [r for r in particles if r['source'] == 'pred']
    gt = [r for r in particles if r['source'] == 'gt']
    assert [r['outcome'] for r in pred] == ['duplicate', 'tp', 'tp', 'false_detection']
    assert [r['outcome'] for r in gt] == ['found', 'found', 'missed', 'missed']
    assert [float(r['area_px2']) for r in pred] == [50, 80, 100, 25]
    assert [float(r['area_um2']) for r in pred] == [12.5, 20, 25, 6.25]
    assert float(pred[0]['equivalent_diameter_um']) == pytest.approx(0.5 * ecd(50), rel=1e-5)
    assert float(gt[1]['feret_max_px']) == pytest.approx(np.hypot(10, 10), rel=1e-5)
    assert float(gt[1]['aspect_ratio']) == pytest.approx(1.0, abs=1e-6)
    assert float(pred[1]['solidity']) == pytest.approx(1.0, abs=1e-6)
    for col in ('circularity', 'feret_min_px', 'perimeter_um'):
        assert col in pred[0]

    sweep = {round(float(r['score_thr']), 2): r for r in read_csv(out['score_sweep_csv'])}
    assert float(sweep[0.0]['iou_f1']) == pytest.approx(0.54 / 1.05)
    assert float(sweep[0.35]['iou_f1']) == pytest.approx(0.6)
    assert float(sweep[0.85]['iou_f1']) == pytest.approx(0.32)
    assert float(sweep[0.95]['iou_f1']) == 0

    for name in ('size_distribution.png', 'score_sweep.png', 'overlays/a.png',
                 'size_distribution.csv'):
        assert osp.getsize(osp.join(out_dir, name)) > 0, name


def test_overlay_marks_misses_and_false_detections(hand_case, tmp_path):
    out_dir = str(tmp_path / 'report')
    write_particle_report(out_dir, hand_case, log=lambda *_: None)
    img = cv2.imread(osp.join(out_dir, 'overlays', 'a.png'))
    top, right = 24, 20 + 6  # title bar; left panel + gap
    # left panel: green ground-truth outline on g1's corner, grey inside g2's outline
    assert tuple(img[top + 0, 0]) == (80, 220, 80)
    assert tuple(img[top + 14, 14]) == (128, 128, 128)
    # right panel: missed g3 filled magenta (blended), p4 outlined in the false-detection
    # colour, p3 (IoU 1) outlined green
    b, g, r = img[top + 2, right + 17].astype(int)
    assert b > g + 80 and r > g + 80
    assert tuple(img[top + 19, right + 0]) == (255, 160, 0)
    b, g, r = img[top + 10, right + 10].astype(int)
    assert g > r + 60 and g > b + 30


def test_overlay_shows_a_16bit_image_through_depth_max(hand_case, tmp_path):
    """A 12-bit photo in a 16-bit PNG: the grey stays grey, not near black."""
    cv2.imwrite(hand_case[0]['img_path'], np.full((20, 20), 2048, np.uint16))
    top = 24
    for depth_max, grey in ((None, 8), (4095, 128)):  # round(2048 * 255 / depth_max)
        out_dir = str(tmp_path / f'report{depth_max}')
        write_particle_report(out_dir, hand_case[:1], depth_max=depth_max, log=lambda *_: None)
        img = cv2.imread(osp.join(out_dir, 'overlays', 'a.png'))
        assert tuple(img[top + 14, 14]) == (grey, grey, grey)


def test_report_without_ground_truth(hand_case, tmp_path):
    for img in hand_case:
        img['gt_rles'] = None
    out_dir = str(tmp_path / 'report')
    out = write_particle_report(out_dir, hand_case, log=lambda *_: None)
    s = out['summary_dict']
    assert s['pred_instances'] == 4 and 'iou_f1' not in s
    assert not osp.exists(osp.join(out_dir, 'score_sweep.csv'))
    assert {r['source'] for r in read_csv(osp.join(out_dir, 'particles.csv'))} == {'pred'}
