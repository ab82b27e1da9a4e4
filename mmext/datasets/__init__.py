"""Datasets, samplers and transforms of both families.

The registered classes load on first use (``from mmext.datasets import ParticleDataset``)
or through :func:`mmext.registry.register_all_modules`, so that the split tools stay free
of torch, mmdet and mmpretrain.
"""
from mmext.utils.lazy import lazy_exports

__all__ = ['CSVDataset', 'ParticleDataset']
__getattr__ = lazy_exports(__name__, {'CSVDataset': '.csv_dataset',
                                      'ParticleDataset': '.particle_dataset'})
