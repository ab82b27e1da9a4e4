"""High-level workflows built on the registered parts (no registration here)."""
from .run_test import build_test_config, run_test
from .train import build_train_config, train

__all__ = ['build_test_config', 'build_train_config', 'run_test', 'train']
