"""High-level workflows built on the registered parts (no registration here)."""
from .run_test import run_test

__all__ = ['run_test']
