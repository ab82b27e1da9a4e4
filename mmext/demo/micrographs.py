"""Synthetic steel micrographs in the UHCSDB layout: one ``metadata.csv`` over one
``images/`` folder, several micrographs per physical sample (``sample_key``), and split
CSVs made by :func:`mmext.datasets.split.write_csv_split` with the samples kept whole.

Each class is a texture a ResNet can tell apart after a short CPU training:
globules (spheroidite), lamellae (pearlite), a grain-boundary network, needles
(martensite) and coarse plates (widmanstatten), each drawn at a random scale,
orientation and contrast, with noise.
"""
import os
import os.path as osp
import shutil

import cv2
import numpy as np
from PIL import Image

from ..datasets.split import write_csv_split
from ..utils.csv_text import write_csv

#: images per class; the largest to smallest ratio is 10:1
DEFAULT_COUNTS = {
    'spheroidite': 150,
    'network': 50,
    'pearlite': 30,
    'spheroidite+widmanstatten': 20,
    'martensite': 15,
}
CSV_COLUMNS = ('path', 'sample_key', 'anneal_temperature', 'anneal_time', 'anneal_time_unit',
               'cool_method', 'magnification', 'primary_microconstituent')
SPLIT_RATIOS = (0.6, 0.2, 0.2)
MAX_MICROGRAPHS_PER_SAMPLE = 3


def _globules(rng, h, w, n_range=(25, 60)):
    img = np.full((h, w), 70, np.float32)
    for _ in range(rng.integers(*n_range)):
        r = rng.uniform(1.5, 4.5) * max(h, w) / 96
        cv2.circle(img, (int(rng.uniform(0, w)), int(rng.uniform(0, h))),
                   max(1, int(r)), float(rng.uniform(180, 240)), -1, cv2.LINE_AA)
    return img


def _lamellae(rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, np.pi)
    period = rng.uniform(5, 9) * max(h, w) / 96
    phase = xx * np.cos(theta) + yy * np.sin(theta)
    return 130 + 80 * np.sign(np.sin(2 * np.pi * phase / period))


def _network(rng, h, w):
    img = np.full((h, w), 200, np.float32)
    seeds = np.stack([rng.uniform(0, w, 14), rng.uniform(0, h, 14)], 1)
    subdiv = cv2.Subdiv2D((-w, -h, 3 * w, 3 * h))
    for x, y in seeds:
        subdiv.insert((float(x), float(y)))
    facets, _ = subdiv.getVoronoiFacetList([])
    for facet in facets:
        cv2.polylines(img, [facet.astype(np.int32)], True, 40.0, 2, cv2.LINE_AA)
    return img


def _needles(rng, h, w):
    img = np.full((h, w), 150, np.float32)
    for _ in range(rng.integers(25, 45)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        angle = rng.choice([0.25, 1.3, 2.4]) * np.pi / 2 + rng.normal(0, 0.08)
        length = rng.uniform(0.15, 0.4) * w
        dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
        cv2.line(img, (int(x - dx), int(y - dy)), (int(x + dx), int(y + dy)),
                 float(rng.choice([40, 235])), 1, cv2.LINE_AA)
    return img


def _plates(rng, h, w):
    img = _globules(rng, h, w, (10, 25))
    for _ in range(rng.integers(3, 6)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        angle = rng.uniform(0, 180)
        size = (float(rng.uniform(0.5, 0.9) * w), float(rng.uniform(0.06, 0.1) * h))
        box = cv2.boxPoints(((float(x), float(y)), size, float(angle))).astype(np.int32)
        cv2.fillPoly(img, [box], 25.0, cv2.LINE_AA)
    return img


TEXTURES = {
    'spheroidite': _globules,
    'network': _network,
    'pearlite': _lamellae,
    'spheroidite+widmanstatten': _plates,
    'martensite': _needles,
}


def render_micrograph(label, rng, size=(96, 96)):
    """One grayscale uint8 texture image of class ``label``."""
    h, w = size
    img = TEXTURES[label](rng, h, w)
    img = img * rng.uniform(0.8, 1.1) + rng.normal(0, 12, (h, w))
    return np.clip(cv2.GaussianBlur(img, (3, 3), 0), 0, 255).astype(np.uint8)


# Harder set: every class has the same coarse grain structure; only the texture inside
# the grains (2-4 px features) differs, which resizing the micrograph down erases.

#: images per class of the texture set; largest to smallest 30:1 (UHCSDB: 55:1)
TEXTURE_COUNTS = {
    'spheroidite': 150,
    'pearlite': 45,
    'network': 20,
    'spheroidite+widmanstatten': 8,
    'martensite': 5,
}


def _grain_map(rng, h, w):
    """Voronoi grain index of every pixel (6-13 grains)."""
    seeds = rng.uniform(0, 1, (int(rng.integers(6, 14)), 2)) * (h, w)
    yy, xx = np.mgrid[0:h, 0:w]
    dist = (yy[..., None] - seeds[:, 0])**2 + (xx[..., None] - seeds[:, 1])**2
    return dist.argmin(-1)


def _fine_stripes(h, w, theta, period):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.sign(np.sin(2 * np.pi * (xx * np.cos(theta) + yy * np.sin(theta)) / period))


def _fine_dots(rng, h, w):
    dots = (rng.random((h, w)) < 0.12).astype(np.float32)
    return 2 * (dots - dots.mean()) / max(dots.std(), 1e-6) / 3


def _fine_needles(rng, h, w):
    img = np.zeros((h, w), np.float32)
    base = rng.uniform(0, np.pi)
    for _ in range(int(h * w / 40)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        angle = base + rng.choice([0, 1, 2]) * np.pi / 3 + rng.normal(0, 0.05)
        length = rng.uniform(3, 7)
        dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
        cv2.line(img, (int(x - dx), int(y - dy)), (int(x + dx), int(y + dy)), 1.0, 1)
    return 2 * (img - img.mean()) / max(img.std(), 1e-6) / 3


def _fine_texture(label, rng, h, w, grains):
    """Zero-mean texture of about unit amplitude; orientation and period per grain."""
    out = np.zeros((h, w), np.float32)
    for g in range(grains.max() + 1):
        mask = grains == g
        theta, period = rng.uniform(0, np.pi), rng.uniform(2.6, 3.6)
        if label == 'pearlite':
            tex = _fine_stripes(h, w, theta, period)
        elif label == 'network':  # cross-hatch
            tex = (_fine_stripes(h, w, theta, period) *
                   _fine_stripes(h, w, theta + np.pi / 2, period))
        elif label == 'martensite':
            tex = _fine_needles(rng, h, w)
        elif label == 'spheroidite+widmanstatten' and rng.random() < 0.5:
            tex = _fine_stripes(h, w, theta, period + 1)  # dots with lamellar grains
        else:
            tex = _fine_dots(rng, h, w)
        out[mask] = tex[mask]
    return out


def render_texture_micrograph(label, rng, size=(160, 160)):
    """One grayscale uint8 image of class ``label`` of the texture set."""
    h, w = size
    grains = _grain_map(rng, h, w)
    levels = rng.uniform(90, 170, grains.max() + 1)
    img = levels[grains] + rng.uniform(25, 45) * _fine_texture(label, rng, h, w, grains)
    img = img + rng.normal(0, rng.uniform(6, 12), (h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def _save_png(gray, path, mode):
    if mode == 'L':
        Image.fromarray(gray, 'L').save(path)
    elif mode == 'P':
        Image.fromarray(gray, 'L').convert('RGB').convert('P', palette=Image.ADAPTIVE).save(path)
    else:
        rgb = np.stack([gray, gray, np.clip(gray.astype(np.int16) + 8, 0, 255).astype(np.uint8)], -1)
        Image.fromarray(rgb, 'RGB').save(path)


def _samples(rng, counts, min_samples=1):
    """``[(label, n_micrographs)]``: each class's images grouped into physical samples
    of 1 to 3 micrographs, a class into at least ``min_samples`` samples where it can."""
    samples = []
    for label, n in counts.items():
        most = max(1, min(MAX_MICROGRAPHS_PER_SAMPLE, n // min_samples))
        while n > 0:
            k = int(min(n, rng.integers(1, most + 1)))
            samples.append((label, k))
            n -= k
    return samples


def _write_micrographs(root, rng, samples, render, seed):
    """Write ``images/``, ``metadata.csv`` and the grouped split for ``samples``.

    ``render(label, rng)`` draws one grayscale image; the random draws happen in the
    same order for every generator, so a seed always writes the same bytes.
    """
    order = rng.permutation(len(samples))  # file numbers are not grouped by class
    shutil.rmtree(osp.join(root, 'images'), ignore_errors=True)
    os.makedirs(osp.join(root, 'images'))
    rows, number = [], 0
    for sample_no, idx in enumerate(order, start=1):
        label, n_images = samples[idx]
        condition = {  # one processing history per physical sample
            'anneal_temperature': '' if rng.random() < 0.2 else int(rng.choice([700, 800, 970])),
            'anneal_time': int(rng.choice([5, 90, 1440])),
            'anneal_time_unit': rng.choice(['M', 'H']),
            'cool_method': rng.choice(['Q', 'FC', 'AR']),
        }
        for _ in range(n_images):
            number += 1
            name = f'Croppedmicrograph{number}.png'
            mode = rng.choice(['RGB', 'P', 'L'], p=[0.6, 0.2, 0.2])
            _save_png(render(label, rng), osp.join(root, 'images', name), mode)
            rows.append(dict(condition, path=name, sample_key=f'S{sample_no}',
                             magnification=rng.choice(['1000x', '2000x', '5000x']),
                             primary_microconstituent=label))
    csv_path = osp.join(root, 'metadata.csv')
    write_csv(csv_path, CSV_COLUMNS, rows)
    summary = write_csv_split(csv_path, SPLIT_RATIOS, seed, group_column='sample_key',
                              label_column='primary_microconstituent')  # UHCSDB's column
    return {name: sum(n) for name, n in summary['counts'].items()}


def make_micrograph_dataset(root, seed=0, counts=None, size=(96, 96)):
    """Write a UHCSDB-style set: ``images/``, ``metadata.csv``, ``{train,val,test}.csv``
    and ``classes.txt`` (split by sample, stratified by class).

    Args:
        root (str): output folder (created; existing demo files are overwritten).
        seed (int): random seed; the same seed writes the same bytes.
        counts (dict, optional): images per class; default :data:`DEFAULT_COUNTS`.
        size (tuple): (height, width) of the images.

    Returns:
        dict: number of images per split.
    """
    counts = dict(counts or DEFAULT_COUNTS)
    rng = np.random.default_rng(seed)
    samples = _samples(rng, counts)
    return _write_micrographs(root, rng, samples,
                              lambda label, rng: render_micrograph(label, rng, size), seed)


def make_texture_micrograph_dataset(root, seed=0, counts=None, size=(160, 160)):
    """Write the harder texture set in the same layout as :func:`make_micrograph_dataset`.

    The classes share the coarse grain structure and differ only in 2-4 px texture, at
    the imbalance of :data:`TEXTURE_COUNTS` (30:1); every class with at least 5 images
    comes in at least 5 samples, so grouped 5-fold cross-validation tests each class in
    every fold.
    """
    counts = dict(counts or TEXTURE_COUNTS)
    rng = np.random.default_rng(seed)
    samples = _samples(rng, counts, min_samples=5)
    return _write_micrographs(root, rng, samples,
                              lambda label, rng: render_texture_micrograph(label, rng, size),
                              seed)
