from .patch_grid_classifier import PatchGridClassifier, grid_starts  # noqa: F401
