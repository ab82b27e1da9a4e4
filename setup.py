"""mmext: OpenMMLab extension for materials-science and medical image analysis."""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'mmext', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def ship_configs():
    """Put ``configs/`` at ``mmext/.mim/configs``, where mmengine's ``Config`` resolves
    ``_base_ = 'mmext::...'`` (as mmdet's ``mmdet::``): a copy for wheels and
    ``pip install .``, a link to the clone's folder for editable installs."""
    src, dst = osp.join(HERE, 'configs'), osp.join(HERE, 'mmext', '.mim', 'configs')
    if not osp.isdir(src):  # building from an unpacked wheel/sdist that holds the copy
        return
    if osp.islink(dst):
        os.remove(dst)
    elif osp.isdir(dst):
        shutil.rmtree(dst)
    os.makedirs(osp.dirname(dst), exist_ok=True)
    # mmengine reads the model index first; with no metafiles it takes the path as given
    with open(osp.join(osp.dirname(dst), 'model-index.yml'), 'w') as f:
        f.write('Import: []\n')
    if {'develop', 'editable_wheel'} & set(sys.argv):
        os.symlink(osp.relpath(src, osp.dirname(dst)), dst)
    else:
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


ship_configs()


setup(
    name='mmext',
    version=read_version(),
    description='OpenMMLab extension: micrograph / medical classification and particle '
    'instance segmentation on mmpretrain and mmdet',
    long_description=open('README.md', encoding='utf-8').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'bench')),
    python_requires='>=3.9',
    # compatible ranges; requirements/*.txt pin the tested versions
    install_requires=[
        'torch>=2.6',
        'torchvision',
        'mmengine>=0.10.4,<0.11',
        'mmcv>=2.0.0,<2.2.0',
        'mmdet>=3.3.0,<3.4',
        'mmpretrain>=1.2.0,<1.3',
        'setuptools<81',  # mmengine resolves mmdet::/mmpretrain:: bases via pkg_resources
        'numpy',
        'opencv-python',
        'pycocotools',
        'matplotlib',
        'scikit-learn',
        'scipy',
        'grad-cam>=1.5',
        'jinja2>=3',
        'tqdm',
    ],
    extras_require={'tests': ['hypothesis', 'pytest', 'scikit-image', 'playwright'],
                    'app': ['gradio==6.31.0', 'pillow<13']},
    package_data={'mmext': ['visualization/templates/*.j2', '.mim/model-index.yml',
                           '.mim/configs/**/*.py']},
    license='Apache License 2.0',
    zip_safe=False,
)
