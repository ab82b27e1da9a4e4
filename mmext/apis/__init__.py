"""High-level workflows built on the registered parts (no registration here)."""
from .submission import (build_model, check_results, load_test_images,
                         predictions_to_results, run_submission)

__all__ = ['build_model', 'check_results', 'load_test_images', 'predictions_to_results',
           'run_submission']
