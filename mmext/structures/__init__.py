"""Mask, RLE and COCO helpers (numpy and pycocotools only) shared by datasets, evaluation,
reports and tools, so that those packages do not import each other."""
