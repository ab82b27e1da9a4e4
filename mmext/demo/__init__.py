"""Deterministic generators of small demo datasets (micrographs, particles)."""
from .micrographs import (DEFAULT_COUNTS, TEXTURE_COUNTS, make_micrograph_dataset,
                          make_texture_micrograph_dataset)
from .particles import make_particle_dataset

__all__ = ['DEFAULT_COUNTS', 'TEXTURE_COUNTS', 'make_micrograph_dataset',
           'make_texture_micrograph_dataset', 'make_particle_dataset']
