"""Synthetic photos of particles floating in a fluid, with COCO polygon annotations.

Particles are irregular blobs with a dark rim and a lighter core, of varied size,
touching and overlapping (a later particle hides what it covers), some out of focus,
on a noisy, unevenly lit background. Annotations hold the visible part of each.
"""
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from ..utils import atomic_write

CATEGORIES = [{'id': 1, 'name': 'Normal', 'supercategory': 'particle'}]


def _blob_polygon(rng, cx, cy, radius):
    """An irregular closed outline: a circle with low-frequency radial wobble."""
    t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    r = np.full_like(t, radius)
    for freq in (2, 3, 5):
        r += radius * rng.uniform(0, 0.12) * np.sin(freq * t + rng.uniform(0, 2 * np.pi))
    stretch = rng.uniform(0.65, 1.0)
    angle = rng.uniform(0, np.pi)
    x, y = r * np.cos(t), r * np.sin(t) * stretch
    xr = cx + x * np.cos(angle) - y * np.sin(angle)
    yr = cy + x * np.sin(angle) + y * np.cos(angle)
    return np.stack([xr, yr], 1).round().astype(np.int32)


def _background(rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 185 + 25 * np.cos(xx / w * rng.uniform(1, 3)) * np.sin(yy / h * rng.uniform(1, 3))
    return light + rng.normal(0, 6, (h, w))


def _mask_to_polygons(mask):
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]


def render_particle_image(rng, size=(256, 320), num_range=(20, 80)):
    """Return (uint8 gray image HxW, list of visible boolean masks)."""
    h, w = size
    img = _background(rng, h, w)
    owner = np.zeros((h, w), np.int32)  # id of the particle visible at each pixel
    num = int(rng.integers(num_range[0], num_range[1] + 1))
    scale = min(h, w) / 256
    for pid in range(1, num + 1):
        radius = rng.uniform(5, 16) * scale
        poly = _blob_polygon(rng, rng.uniform(0, w), rng.uniform(0, h), radius)
        shape = np.zeros((h, w), np.uint8)
        cv2.fillPoly(shape, [poly], 1)
        if shape.sum() == 0:
            continue
        core = cv2.erode(shape, np.ones((3, 3), np.uint8), iterations=max(1, int(radius / 4)))
        layer = np.where(core > 0, rng.uniform(120, 160), rng.uniform(30, 60)).astype(np.float32)
        alpha = shape.astype(np.float32)
        if rng.random() < 0.2:  # out of focus
            k = int(rng.choice([5, 7]))
            layer = cv2.GaussianBlur(layer * alpha, (k, k), 0)
            alpha = cv2.GaussianBlur(alpha, (k, k), 0)
            layer = np.divide(layer, alpha, out=np.zeros_like(layer), where=alpha > 1e-3)
        img = img * (1 - alpha) + layer * alpha
        owner[shape > 0] = pid
    img = np.clip(img + rng.normal(0, 4, (h, w)), 0, 255).astype(np.uint8)
    masks = []
    for pid in range(1, num + 1):
        mask = (owner == pid).astype(np.uint8)
        if mask.sum() >= 12:
            masks.append(mask)
    return img, masks


def _coco_annotations(masks, image_id, first_ann_id):
    anns = []
    for mask in masks:
        polygons = _mask_to_polygons(mask)
        if not polygons:
            continue
        ys, xs = np.nonzero(mask)
        x0, y0 = int(xs.min()), int(ys.min())
        anns.append({
            'id': first_ann_id + len(anns),
            'image_id': image_id,
            'category_id': 1,
            'segmentation': polygons,
            'area': float(mask.sum()),
            'bbox': [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1],
            'iscrowd': 0,
        })
    return anns


def make_particle_dataset(root, seed=0, num_train=16, num_val=4, num_test=4,
                          size=(256, 320), num_range=(20, 80)):
    """Write ``images/{train,val,test}/*.png`` and ``annotations/{train,val,test}.json``.

    ``test.json`` lists the test images only (no annotations), as the competition gives it.

    Returns:
        dict: number of annotated particles per split.
    """
    rng = np.random.default_rng(seed)
    shutil.rmtree(osp.join(root, 'images'), ignore_errors=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    image_id, ann_id, counts = 1, 1, {}
    for split, num in (('train', num_train), ('val', num_val), ('test', num_test)):
        os.makedirs(osp.join(root, 'images', split))
        images, anns = [], []
        for _ in range(num):
            img, masks = render_particle_image(rng, size, num_range)
            name = f'{split}_{image_id:04d}.png'
            cv2.imwrite(osp.join(root, 'images', split, name), img)
            images.append({'id': image_id, 'file_name': name, 'height': size[0], 'width': size[1]})
            new = _coco_annotations(masks, image_id, ann_id)
            anns += new
            ann_id += len(new)
            image_id += 1
        coco = {'images': images, 'categories': CATEGORIES}
        if split != 'test':
            coco['annotations'] = anns
        counts[split] = len(anns)
        with atomic_write(osp.join(root, 'annotations', f'{split}.json')) as f:
            json.dump(coco, f)
    return counts


def simulated_predictions(gt_rles, rng, miss=0.1, false=1):
    """Imperfect predictions made from ground-truth RLEs (for report demos, tests and
    benchmarks): each particle shifted by up to 2 px, a ``miss`` fraction dropped, a
    few duplicated, ``false`` blobs where nothing is. Returns ``(rles, scores)``."""
    from mmext.structures.rle import encode_masks
    if not gt_rles:
        return [], np.zeros(0)
    h, w = gt_rles[0]['size']
    masks = []
    for rle in gt_rles:
        if rng.random() < miss:
            continue
        m = mask_utils.decode(rle)
        masks.append(np.roll(m, tuple(rng.integers(-2, 3, 2)), axis=(0, 1)))
        if rng.random() < 0.05:
            masks.append(np.roll(m, (3, 3), axis=(0, 1)))
    for _ in range(false):
        blob = np.zeros((h, w), np.uint8)
        cv2.circle(blob, (int(rng.integers(8, w - 8)), int(rng.integers(8, h - 8))), 5, 1, -1)
        masks.append(blob)
    scores = rng.uniform(0.3, 1.0, len(masks))
    return encode_masks(np.stack(masks)), scores
