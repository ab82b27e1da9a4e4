"""mmext: OpenMMLab extension for materials-science and medical image analysis."""
import os.path as osp

from setuptools import find_packages, setup


def read_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'mmext', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


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
    package_data={'mmext': ['visualization/templates/*.j2']},
    license='Apache License 2.0',
    zip_safe=False,
)
