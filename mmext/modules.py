"""Importing this module registers every mmext module into the upstream registries.

It is the configs' entry (``custom_imports = dict(imports=['mmext.modules'])``, which
``Config.fromfile`` imports) and what :func:`mmext.registry.register_all_modules` imports.
It installs no checkpoint policy: the tools do (:mod:`mmext.engine.checkpoint`).
"""
import os

# albumentations (imported by mmdet) otherwise asks the network for updates at import
os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')

from mmext.datasets import csv_dataset, particle_dataset, samplers, transforms  # noqa: E402,F401
from mmext import engine, models  # noqa: E402,F401
from mmext.evaluation import metrics  # noqa: E402,F401
