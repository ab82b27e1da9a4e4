"""mmext: OpenMMLab extension for materials-science and medical image analysis.

``import mmext`` has no side effects: it imports neither torch, mmdet nor mmpretrain,
registers nothing and patches nothing. Registration has one entry,
:func:`mmext.registry.register_all_modules` (configs reach it through
``custom_imports = dict(imports=['mmext.modules'])``); the checkpoint policy is installed
by the tools (:func:`mmext.engine.checkpoint.install_checkpoint_policy`).
"""
from .version import __version__

__all__ = ['__version__']
