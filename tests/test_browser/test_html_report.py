"""The HTML report of both families, opened in headless Chromium."""
import os.path as osp

import cv2
import numpy as np

from mmext.demo.particles import make_particle_dataset, simulated_predictions
from mmext.reports.classification_report import write_classification_report
from mmext.structures.rle import gt_rles_by_image
from mmext.structures.coco_io import load_coco_gt
from mmext.reports.particle_report import write_particle_report
from mmext.visualization.html_report import write_classification_html, write_particle_html


def particle_report(root, out_dir):
    make_particle_dataset(root, seed=1, num_train=0, num_val=4, num_test=0, size=(160, 200),
                          num_range=(15, 25))
    coco = load_coco_gt(osp.join(root, 'annotations', 'val.json'))
    rng = np.random.default_rng(0)
    images = []
    for img_id, rles in sorted(gt_rles_by_image(coco).items()):
        preds, scores = simulated_predictions(rles, rng, miss=0.1 * len(images), false=2)
        images.append(dict(image_id=img_id, gt_rles=rles, pred_rles=preds, scores=scores,
                           img_path=osp.join(root, 'images', 'val',
                                             coco.imgs[img_id]['file_name'])))
    out = write_particle_report(out_dir, images, um_per_px=0.8, log=lambda *_: None)
    write_particle_html(out_dir, out['summary_dict'], metrics={'coco/segm_mAP': 0.5},
                        config_name='mask-rcnn_demo-particles.py', checkpoint='iter_240.pth')
    return out


def check_page(page, url, rendered_images):
    page.goto(url)
    page.wait_for_load_state('load')
    assert page.errors == []
    assert page.locator('#metrics tbody tr').count() >= 5
    images = rendered_images(page)
    assert images and all(natural > 0 and shown > 0 for _, natural, shown in images), images
    assert not any(src.startswith(('http', '//', '/')) for src, _, _ in images)  # offline


def sorted_column(page, name):
    header = page.locator('#per-image th', has_text=name).first
    header.click()
    col = page.eval_on_selector_all('#per-image th', f'hs => hs.findIndex(h => h.textContent'
                                    f'.trim().startsWith("{name}"))')
    return page.eval_on_selector_all(
        '#per-image tbody tr', f'rs => rs.map(r => r.cells[{col}].textContent.trim())')


def test_particle_report_page(page, tmp_path, screenshot, rendered_images):
    out_dir = str(tmp_path / 'report')
    out = particle_report(str(tmp_path / 'data'), out_dir)
    check_page(page, 'file://' + osp.join(out_dir, 'index.html'), rendered_images)
    assert page.inner_text('#config-name') == 'mask-rcnn_demo-particles.py'
    metrics = page.inner_text('#metrics')
    assert 'iou_f1' in metrics and f"{out['summary_dict']['iou_f1']:.4g}" in metrics
    # worst first: the first overlay shown is the image with the lowest IoU-F1
    first = page.locator('.worst img').first.get_attribute('src')
    rows = page.eval_on_selector_all('#per-image tbody tr', 'rs => rs.length')
    assert rows == 4
    values = [float(v) for v in sorted_column(page, 'iou_f1')]  # ascending
    assert values == sorted(values)
    lowest = page.locator('#per-image tbody tr').first.locator('td').nth(1).inner_text()
    assert first == f'overlays/{lowest}'
    values = [float(v) for v in sorted_column(page, 'iou_f1')]  # clicked again: descending
    assert values == sorted(values, reverse=True)
    assert page.locator('a[href="particles.csv"]').count() == 1
    screenshot(page, 'particle_report.png')


def test_classification_report_page(page, tmp_path, screenshot, rendered_images):
    out_dir = str(tmp_path / 'report')
    rng = np.random.default_rng(0)
    paths = []
    for i in range(8):
        path = str(tmp_path / f'img_{i}.png')
        cv2.imwrite(path, rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
        paths.append(path)
    scores = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.8, 0.1],
                       [0.1, 0.6, 0.3], [0.25, 0.35, 0.4], [0.1, 0.2, 0.7], [0.5, 0.15, 0.35]])
    gt = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    write_classification_report(out_dir, scores, ['ferrite', 'pearlite', 'martensite'], gt,
                                paths, log=lambda *_: None)
    write_classification_html(out_dir, metrics={'accuracy/top1': 62.5},
                              config_name='resnet18_demo-micrographs.py')
    check_page(page, 'file://' + osp.join(out_dir, 'index.html'), rendered_images)
    assert page.locator('#metrics', has_text='balanced_accuracy').count() == 1
    # three mistakes, most confident first: img_7 (0.5), img_2 (0.5), img_5 (0.4)
    captions = page.locator('.worst figcaption').all_inner_texts()
    assert len(captions) == 3 and captions[-1].startswith('img_5.png')
    assert page.locator('#per-image td.bad').count() == 3
    scores_col = [float(v) for v in sorted_column(page, 'score')]
    assert scores_col == sorted(scores_col)
    screenshot(page, 'classification_report.png')
