"""Datasets, samplers and transforms of both families, and the light helpers that read and
split the data (no torch there). Import the module you need, e.g.
``from mmext.datasets.particle_dataset import ParticleDataset``; registration:
:func:`mmext.registry.register_all_modules`."""
