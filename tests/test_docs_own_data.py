"""The "Your own data" blocks of docs/own_data.md run as written, in a fresh project folder holding
data shaped like a user's: UHCSDB-style micrographs (one CSV over one image folder,
several micrographs per sample, a class with 5 images, fewer classes than the config
lists), a folder-per-class X-ray set with odd image sizes, and particles whose COCO
category is called ``particle``. Only the epochs are capped and pretrained downloads
skipped (no network here)."""
import json
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mmext.demo import make_micrograph_dataset, make_particle_dataset

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
# appended to every tools/train.py command: 1 epoch, no downloads, no worker processes
TRAIN_CAPS = ['train_cfg.max_epochs=1', 'model.backbone.init_cfg=None', 'load_from=None'] + [
    f'{split}_dataloader.{key}' for split in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')]


def own_data_doc():
    return open(osp.join(REPO, 'docs', 'own_data.md'), encoding='utf-8').read()


def code_blocks(section):
    return re.findall(r'```(\w+)\n(.*?)```', section, re.S)


def shell_commands(block):
    """The commands of a bash block: comments dropped, continuations joined."""
    joined = re.sub(r'\\\n\s*', ' ', block)
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.strip().startswith('#')]


def make_user_data(root):
    make_micrograph_dataset(osp.join(root, 'data', 'uhcsdb'), seed=5, size=(48, 64), counts={
        'spheroidite': 20, 'network': 8, 'pearlite': 6, 'martensite': 5})
    for i, name in enumerate(('COVID-19', 'Normal', 'Pneumonia-Bacterial', 'Pneumonia-Viral')):
        folder = osp.join(root, 'data', 'chest_xray', name)
        os.makedirs(folder)
        for k in range(5):
            h, w = 40 + 7 * k, 52 + 3 * i  # odd sizes
            cv2.imwrite(osp.join(folder, f'{k}.png'), np.full((h, w), 30 * i + 5 * k, np.uint8))
    particles = osp.join(root, 'data', 'my_particles')
    make_particle_dataset(particles, seed=2, num_train=2, num_val=1, num_test=1,
                          size=(96, 120), num_range=(6, 10))
    for split in ('train', 'val'):
        path = osp.join(particles, 'annotations', f'{split}.json')
        with open(path) as f:
            coco = json.load(f)
        coco['categories'] = [dict(id=1, name='particle')]
        with open(path, 'w') as f:
            json.dump(coco, f)


@pytest.fixture
def project(tmp_path):
    shutil.copytree(osp.join(REPO, 'configs'), tmp_path / 'configs')
    os.symlink(osp.join(REPO, 'tools'), tmp_path / 'tools')
    make_user_data(str(tmp_path))
    return tmp_path


def test_doc_blocks_are_found():
    blocks = code_blocks(own_data_doc())
    assert [lang for lang, _ in blocks] == ['bash', 'python', 'bash']
    commands = [c for lang, b in blocks if lang == 'bash' for c in shell_commands(b)]
    assert sum(c.startswith('python tools/train.py') for c in commands) == 3
    assert sum(c.startswith('python tools/analysis_tools/check_data.py') for c in commands) == 2


def test_doc_own_data_runs_as_written(project):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    for lang, block in code_blocks(own_data_doc()):
        if lang == 'python':  # a config file, its path in the first line
            path = block.splitlines()[0].lstrip('# ').strip()
            os.makedirs(project / osp.dirname(path), exist_ok=True)
            (project / path).write_text(block)
            continue
        for command in shell_commands(block):
            args = shlex.split(command)
            assert args[0] == 'python'
            if args[1] == 'tools/train.py':
                args += ['--cfg-options', *TRAIN_CAPS]
            proc = subprocess.run([sys.executable, *args[1:]], cwd=project, env=env,
                                  capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, f'{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}'
    # each training wrote its checkpoint under work_dirs/<config name>/
    for name in ('resnet50-finetune_1xb16-adam-50e_micrographs-224px',
                 'resnet50-bnhead_1xb16-adam-50e_chest-xray-256px',
                 'mask-rcnn_r50_fpn_1xb2-1x_my-particles'):
        assert (project / 'work_dirs' / name / 'epoch_1.pth').is_file(), name
    # the split kept each sample in one split
    import csv
    samples = []
    for split in ('train', 'val', 'test'):
        with open(project / 'data' / 'uhcsdb' / f'{split}.csv') as f:
            samples.append({r['sample_key'] for r in csv.DictReader(f)})
    assert not (samples[0] & samples[1] or samples[0] & samples[2] or samples[1] & samples[2])
