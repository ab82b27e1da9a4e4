"""tools/visualization/app.py's Gradio app in headless Chromium: upload an image, get a result; a bad
file gets a message in the page. Random-init demo models, saved as checkpoints."""
import os.path as osp
import socket

import cv2
import numpy as np
import pytest
import torch

DET_CFG = 'configs/demo/mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py'
CLS_CFG = 'configs/demo/resnet18_1xb32-20e_demo-micrographs.py'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def random_checkpoint(config, path, classes):
    from mmengine.registry import MODELS

    from mmext.utils.config import init_scope, load_config
    cfg = load_config(config)
    init_scope(cfg)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=classes))), path)
    return path


@pytest.fixture
def served(tmp_path):
    from mmext.apis.app import build_app, launch
    apps = []

    def serve(config, classes, **kwargs):
        ckpt = random_checkpoint(config, str(tmp_path / 'model.pth'), classes)
        port = free_port()
        demo = launch(build_app(config, ckpt, **kwargs), port=port, block=False)
        apps.append(demo)
        return f'http://127.0.0.1:{port}/'
    yield serve
    for demo in apps:
        demo.close()


def upload(page, path):
    page.locator('input[type=file]').first.set_input_files(path)  # the drop zone's input


def test_particle_app(page, served, tmp_path, screenshot, rendered_images):
    from mmext.demo.particles import render_particle_image
    img, _ = render_particle_image(np.random.default_rng(0), size=(256, 320), num_range=(20, 30))
    image = str(tmp_path / 'particles.png')
    cv2.imwrite(image, img)
    page.goto(served(DET_CFG, ('Normal', ), um_per_px=0.5))
    upload(page, image)
    page.wait_for_function(
        "() => document.querySelector('#status') && "
        "document.querySelector('#status').innerText.includes('particles at score')",
        timeout=60000)
    count = page.locator('#count textarea, #count input').first.input_value()
    assert count.isdigit()
    assert f'{count} particles' in page.inner_text('#status')
    page.wait_for_selector('#overlay img', timeout=20000)
    shown = [i for i in rendered_images(page) if i[1] > 0 and i[2] > 0]
    assert len(shown) >= 2  # overlay and size distribution
    assert page.locator('#csv a', has_text='particles.csv').count() >= 1 or \
        page.locator('#csv', has_text='particles.csv').count() == 1
    screenshot(page, 'app_particles.png')
    assert page.errors == []
    bad = tmp_path / 'notes.png'
    bad.write_text('not an image')
    page.reload()
    upload(page, str(bad))
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.includes('error:')", timeout=30000)
    assert 'notes.png is not an image' in page.inner_text('#status')


def test_classification_app(page, served, tmp_path, screenshot):
    classes = ('martensite', 'network', 'pearlite', 'spheroidite', 'spheroidite+widmanstatten')
    image = str(tmp_path / 'micrograph.png')
    cv2.imwrite(image, np.random.default_rng(0).integers(0, 255, (96, 96, 3), np.uint8))
    page.goto(served(CLS_CFG, classes))
    upload(page, image)
    page.wait_for_function(
        "() => document.querySelector('#status') && "
        "document.querySelector('#status').innerText.includes('micrograph.png:')",
        timeout=60000)
    page.wait_for_selector('#overlay img', timeout=20000)
    labels = page.inner_text('#classes')
    assert sum(c in labels for c in classes) >= 3  # top-3 shown
    screenshot(page, 'app_classification.png')
    assert page.errors == []


def test_particle_app_threshold_and_bad_file(tmp_path):
    """The slider re-filters the cached predictions: fewer particles at a higher score
    threshold, table, CSV and count agree; a text file is refused by name."""
    from mmext.apis.app import ParticleApp
    from mmext.demo.particles import render_particle_image
    from mmext.utils import InputError
    from mmext.utils.config import load_config
    img, _ = render_particle_image(np.random.default_rng(1), size=(128, 160), num_range=(10, 15))
    image = str(tmp_path / 'p.png')
    cv2.imwrite(image, img)
    app = ParticleApp(load_config(DET_CFG),
                      random_checkpoint(DET_CFG, str(tmp_path / 'm.pth'), ('Normal', )),
                      um_per_px=0.5)
    result = app.infer(image)
    assert len(result['rles']) > 0
    counts = []
    for thr in (0.0, float(np.median(result['scores'])), 1.01):
        status, overlay, count, table, csv_path, plot = app.render(result, thr)
        assert int(count) == int((result['scores'] >= thr).sum()) == len(table['data'])
        with open(csv_path) as f:
            assert len(f.read().strip().splitlines()) == 1 + int(count)
        assert 'equivalent_diameter_um' in table['headers']
        assert overlay.shape[1] == 160 + 6 and osp.getsize(plot) > 0
        counts.append(int(count))
    assert counts[0] > counts[1] > counts[2] == 0
    bad = tmp_path / 'x.png'
    bad.write_text('text')
    with pytest.raises(InputError, match='x.png is not an image'):
        app.infer(str(bad))
