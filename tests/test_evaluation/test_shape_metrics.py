"""Particle shape metrics on analytic shapes, the RLE crop decoder and the report tool."""
import csv
import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmext.structures.rle import decode_crop, encode_masks, rle_counts
from mmext.evaluation.functional.shape_metrics import (compare_distributions,
                                                       feret_diameters,
                                                       shape_metrics_from_rles, summarize,
                                                       to_physical)
from mmext.testing import encode_masks_dense, load_tool, shape_metrics_from_masks

H, W = 160, 200


def disc(cy, cx, r):
    yy, xx = np.mgrid[:H, :W]
    return (yy - cy) ** 2 + (xx - cx) ** 2 < r * r


def rect(y, x, h, w):
    m = np.zeros((H, W), bool)
    m[y:y + h, x:x + w] = True
    return m


@pytest.mark.parametrize('r', [12, 25, 40])
def test_disc(r):
    m = shape_metrics_from_rles(encode_masks(disc(80.3, 100.6, r)[None]))
    area = np.pi * r * r
    assert abs(m['area'][0] - area) / area < 0.01
    assert m['equivalent_diameter'][0] == pytest.approx(2 * r, rel=0.005)
    assert m['circularity'][0] == pytest.approx(1.0, abs=0.03)
    assert m['perimeter'][0] == pytest.approx(2 * np.pi * r, rel=0.02)
    assert m['aspect_ratio'][0] == pytest.approx(1.0, abs=0.02)
    assert m['major_axis'][0] == pytest.approx(2 * r, rel=0.02)
    assert m['solidity'][0] == pytest.approx(1.0, abs=0.04) and m['solidity'][0] <= 1
    # Feret widths are taken over whole pixel squares: up to ~1 px above 2r
    assert 2 * r - 0.5 <= m["feret_min"][0] <= m["feret_max"][0] <= 2 * r + 1.5
    assert (m['centroid_x'][0], m['centroid_y'][0]) == (pytest.approx(100.6, abs=0.05),
                                                        pytest.approx(80.3, abs=0.05))


def test_rectangle():
    h, w = 30, 80
    m = shape_metrics_from_rles(encode_masks(rect(20, 40, h, w)[None]))
    assert m['area'][0] == h * w
    # pixel-centre moments: variance (w² − 1)/12 per axis
    assert m['aspect_ratio'][0] == pytest.approx(np.sqrt((w * w - 1) / (h * h - 1)))
    assert m['aspect_ratio'][0] == pytest.approx(w / h, rel=0.002)
    assert m['feret_max'][0] == pytest.approx(np.hypot(w, h), rel=1e-6)
    assert m['feret_min'][0] == pytest.approx(h, rel=1e-6)
    assert m['solidity'][0] == pytest.approx(1.0)
    assert m['orientation'][0] == pytest.approx(0.0, abs=1e-6)
    assert m['centroid_x'][0] == pytest.approx(40 + (w - 1) / 2)
    # corners are slightly rounded by the smoothing: perimeter ~2 % short
    assert m["circularity"][0] == pytest.approx(4 * np.pi * h * w / (2 * (h + w)) ** 2, rel=0.05)
    assert m['perimeter'][0] == pytest.approx(2 * (h + w), rel=0.03)


def test_rotated_rectangle_feret_and_l_shape_solidity():
    # square rotated 45°: Feret max = side·√2 (diagonal), min = side (within pixelisation)
    side = 40
    pts = np.array([[100, 80 - side / np.sqrt(2)], [100 + side / np.sqrt(2), 80],
                    [100, 80 + side / np.sqrt(2)], [100 - side / np.sqrt(2), 80]])
    rle = mask_utils.merge(mask_utils.frPyObjects([pts.ravel().tolist()], H, W))
    m = shape_metrics_from_rles([rle])
    assert m['feret_max'][0] == pytest.approx(side * np.sqrt(2), rel=0.03)
    assert m['feret_min'][0] == pytest.approx(side, rel=0.04)
    ell = rect(20, 20, 40, 10) | rect(50, 20, 10, 40)  # L: area 700 of a 40×40 hull
    s = shape_metrics_from_rles(encode_masks(ell[None]))['solidity'][0]
    assert s == pytest.approx(700 / (1600 - 30 * 30 / 2), rel=0.01)


def test_feret_of_polygon():
    fmax, fmin = feret_diameters(np.array([[0, 0], [4, 0], [4, 3], [0, 3]]))
    assert (fmax, fmin) == (pytest.approx(5.0), pytest.approx(3.0))


def test_dense_masks_match_rles_and_empty_mask():
    masks = np.stack([disc(50, 60, 15), rect(100, 100, 20, 30), np.zeros((H, W), bool)])
    a = shape_metrics_from_rles(encode_masks(masks))
    b = shape_metrics_from_masks(masks.transpose(1, 2, 0))
    for k in a:
        np.testing.assert_allclose(a[k], b[k])
    assert np.isnan(a['area'][2])
    assert len(shape_metrics_from_rles([])['area']) == 0


def test_decode_crop_matches_pycocotools():
    rng = np.random.default_rng(0)
    masks = rng.random((4, 37, 53)) < 0.4
    masks[1] = True
    masks[2, :, 10:20] = True  # runs spanning several columns
    for rle in encode_masks(masks):
        full = mask_utils.decode(rle)
        assert rle_counts(rle).sum() == 37 * 53
        assert (decode_crop(rle, (0, 0, 53, 37)) == full).all()
        assert (decode_crop(rle, (5, 3, 20, 10)) == full[3:13, 5:25]).all()


def test_units_summary_and_comparison():
    m = shape_metrics_from_rles(encode_masks(disc(50, 50, 10)[None]))
    p = to_physical(m, 0.5)
    assert p['area_um2'][0] == m['area'][0] * 0.25
    assert p['feret_max_um'][0] == m['feret_max'][0] * 0.5
    s = summarize(np.arange(1, 101, dtype=float))
    assert s['count'] == 100 and s['d50'] == pytest.approx(50.5)
    assert s['d10'] == pytest.approx(10.9) and s['d90'] == pytest.approx(90.1)
    c = compare_distributions(np.arange(10.0), np.arange(10.0) + 100)
    assert c['mean_diff'] == 100 and c['ks_stat'] == 1.0


def test_report_tool(tmp_path):
    rles = encode_masks(np.stack([disc(40, 40, 10), disc(100, 120, 20), rect(10, 150, 10, 30)]))
    gt = dict(images=[dict(id=1, file_name='a.png', height=H, width=W),
                      dict(id=2, file_name='b.png', height=H, width=W)],
              annotations=[dict(id=10 + i, image_id=1 + i // 2, category_id=1,
                                segmentation=r, area=1, bbox=[0, 0, 1, 1], iscrowd=0)
                           for i, r in enumerate(rles)],
              categories=[dict(id=1, name='Normal')])
    res = [dict(image_id=1, category_id=1, segmentation=rles[0], score=0.9),
           dict(image_id=1, category_id=1, segmentation=rles[1], score=0.2)]
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'res.json').write_text(json.dumps(res))
    tool = load_tool('particle_shapes')
    out = tmp_path / 'out'
    tool.main([str(tmp_path / 'res.json'), '--compare',
               str(tmp_path / 'gt.json'), '--um-per-px', '2', '--score-thr', '0.5',
               '--out-dir', str(out)])
    with open(out / 'instances_gt.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 and rows[0]['file_name'] == 'a.png'
    assert float(rows[2]['area_px2']) == 300 and float(rows[2]['area_um2']) == 1200
    with open(out / 'instances_pred.csv') as f:
        assert len(list(csv.DictReader(f))) == 1  # score-thr dropped one
    with open(out / 'images_pred.csv') as f:
        counts = [int(r['count']) for r in csv.DictReader(f)]
    assert counts == [1, 0]
    with open(out / 'comparison.csv') as f:
        comp = {r['metric']: r for r in csv.DictReader(f)}
    assert float(comp['count_per_image']['gt_mean']) == 1.5
    d = comp['equivalent_diameter_um']
    assert int(d['gt_count']) == 3 and int(d['pred_count']) == 1
    assert float(d['pred_mean']) == pytest.approx(float(rows[0]['equivalent_diameter_um']))
    assert float(d['pred_mean']) == pytest.approx(40, rel=0.02)
    with open(out / 'summary.csv') as f:
        assert {r['source'] for r in csv.DictReader(f)} == {'gt', 'pred'}
    assert (out / 'histograms' / 'equivalent_diameter.png').stat().st_size > 1000
    with pytest.raises(SystemExit) as e:  # the reference must be a ground truth
        tool.main([str(tmp_path / 'res.json'), '--compare', str(tmp_path / 'res.json'),
                   '--out-dir', str(out)])
    assert e.value.code == 2


def test_encode_masks_matches_dense_pycocotools():
    import torch
    rng = np.random.default_rng(0)
    for _ in range(20):
        h, w = rng.integers(1, 25, 2)
        m = rng.random((5, h, w)) < rng.random()
        m[0], m[1] = False, True
        m[2, :, : max(1, w // 2)] = True  # runs across column boundaries
        dense = encode_masks_dense(m)
        assert encode_masks(m) == dense == encode_masks(torch.from_numpy(m))
