"""COCO-style dataset of particle photos (one category, ``Normal`` by default).

:class:`ParticleDataset` is mmdet's :class:`~mmdet.datasets.CocoDataset` plus

* class names from the data: a json whose one category has another name (``particle``)
  is adopted with one info line; categories that do not match the config's classes
  otherwise are an :class:`~mmext.utils.InputError` listing both (mmdet would silently
  drop the annotations of every category it does not know);

* annotation checks on the raw COCO dicts (bad polygons, zero-area boxes, annotations of
  missing images or unknown categories, image files missing on disk): an
  :class:`~mmext.utils.InputError` naming the file and annotation, or with
  ``on_invalid='warn'`` the bad items are dropped and one warning counts them per reason;
* an image-folder mode for the unlabelled test set: ``ann_file=''`` lists the images of
  ``data_prefix['img']`` (sorted by name, ``img_id`` 1, 2, ...), reading only their
  headers for the size.

Polygon and RLE (compressed or not) segmentations both go through mmdet's
``LoadAnnotations``; an images-only json (no ``annotations`` / ``categories``) loads as a
test set.
"""
import logging
import os.path as osp
from collections import Counter
from typing import List, Optional

import numpy as np
from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmengine.logging import print_log

from mmext.registry import DET_DATASETS
from mmext.utils import InputError
from mmext.utils.images import folder_images
from mmext.structures.coco_checks import (annotation_field_problems, load_coco_checked, numeric_box,
                                          segmentation_problem)


# reasons, in the order an annotation is checked
ZERO_AREA_BOX = 'zero-area box'
MISSING_IMAGE = 'annotation of a missing image id'
UNKNOWN_CATEGORY = 'unknown category id'
IMAGE_NOT_ON_DISK = 'image file missing on disk'


def find_invalid_annotations(dataset: dict, img_root: Optional[str] = None,
                             check_files: bool = True):
    """Check a raw COCO dict; return ``(bad_anns, missing_imgs)``.

    ``bad_anns`` is a list of ``(ann_index, reason)`` in file order and
    ``missing_imgs`` a list of ``(img_index, path)`` of images whose file is absent
    under ``img_root`` (only when ``check_files``).
    """
    images = dataset.get('images') or []
    anns = dataset.get('annotations') or []
    img_ids = np.array([img['id'] for img in images], dtype=np.int64)
    img_hw = {img['id']: (img.get('height'), img.get('width')) for img in images}
    cat_ids = np.array([c['id'] for c in dataset.get('categories') or []], dtype=np.int64)

    missing_imgs = []
    if check_files and img_root is not None:
        for i, img in enumerate(images):
            path = osp.join(img_root, img['file_name'])
            if not osp.isfile(path):
                missing_imgs.append((i, path))

    reasons = [None] * len(anns)
    if anns:
        ann_img = np.array([a.get('image_id', -1) for a in anns], dtype=np.int64)
        ann_cat = np.array([a.get('category_id', -1) for a in anns], dtype=np.int64)
        boxes = np.array([numeric_box(a.get('bbox')) for a in anns],
                         dtype=np.float64).reshape(-1, 4)
        zero_box = (boxes[:, 2] <= 0) | (boxes[:, 3] <= 0)
        no_img = ~np.isin(ann_img, img_ids)
        no_cat = ~np.isin(ann_cat, cat_ids)
        # one reason per annotation; later assignments take precedence
        for mask, reason in ((zero_box, ZERO_AREA_BOX), (no_cat, UNKNOWN_CATEGORY),
                             (no_img, MISSING_IMAGE)):
            for i in np.flatnonzero(mask):
                reasons[i] = reason
        for i, reason in annotation_field_problems(anns):  # duplicate id, NaN bbox, area
            reasons[i] = reasons[i] or reason
        # the one segmentation validator (structures.coco_checks), per annotation
        for i, ann in enumerate(anns):
            if reasons[i] is None:
                hw = img_hw.get(ann['image_id'])
                reasons[i] = segmentation_problem(ann.get('segmentation'), hw)
    bad_anns = [(i, r) for i, r in enumerate(reasons) if r is not None]
    return bad_anns, missing_imgs


@DET_DATASETS.register_module()
class ParticleDataset(CocoDataset):
    """Particle instance segmentation in COCO format (category ``Normal``).

    Args:
        on_invalid (str): ``'error'`` (default) raises :class:`InputError` at the first
            bad annotation or missing image; ``'warn'`` drops them and logs one warning
            with counts per reason.
        check_files (bool): check that every listed image exists on disk.
        **kwargs: see :class:`mmdet.datasets.CocoDataset`; ``ann_file=''`` lists the
            images of ``data_prefix['img']`` instead (unlabelled test set).
    """

    METAINFO = dict(classes=('Normal',), palette=[(220, 20, 60)])

    def __init__(self, *args, on_invalid: str = 'error', check_files: bool = True,
                 **kwargs):
        if on_invalid not in ('error', 'warn'):
            raise InputError(f"ParticleDataset: on_invalid must be 'error' or 'warn', "
                             f'got {on_invalid!r}')
        self.on_invalid = on_invalid
        self.check_files = check_files
        self._dropped_ann_ids = set()
        self._missing_img_ids = set()
        super().__init__(*args, **kwargs)

    # -- loading -------------------------------------------------------------------
    def load_data_list(self) -> List[dict]:
        if not self.ann_file:
            return self._load_image_folder()
        if not osp.isfile(self.ann_file):
            raise InputError(f'{self.ann_file}: annotation file not found')
        data_list = super().load_data_list()
        if self._missing_img_ids:
            data_list = [d for d in data_list if d['img_id'] not in self._missing_img_ids]
        return data_list

    @property
    def COCOAPI(self):  # noqa: N802  (CocoDataset calls ``self.COCOAPI(path)``)
        return self._load_checked_coco

    def _load_checked_coco(self, path: str) -> COCO:
        """Load the json with pycocotools, then check its raw dicts."""
        coco = load_coco_checked(path, COCO)
        coco.dataset.setdefault('categories', [])  # images-only test jsons
        self._match_classes(coco.dataset['categories'])
        self._check(coco.dataset)
        return coco

    def _match_classes(self, categories: List[dict]) -> None:
        """Take the json's class names, or fail when they cannot be matched."""
        names = [c.get('name') for c in categories]
        classes = tuple(self._metainfo['classes'])
        if not names or sorted(names) == sorted(classes):
            return
        if len(names) == 1 and len(classes) == 1:
            print_log(f'{self.ann_file}: category {names[0]!r} taken as the class '
                      f'(the config says {classes[0]!r})', logger='current',
                      level=logging.INFO)
            self._metainfo['classes'] = (names[0], )
            return
        raise InputError(f"{self.ann_file}: categories {', '.join(map(repr, names))} do not "
                         f"match the config's classes {', '.join(map(repr, classes))}; set "
                         "metainfo=dict(classes=(...)) and the heads' num_classes to the "
                         "json's categories")

    def _check(self, dataset: dict) -> None:
        bad_anns, missing_imgs = find_invalid_annotations(
            dataset, self.data_prefix.get('img', ''), self.check_files)
        images, anns = dataset.get('images') or [], dataset.get('annotations') or []
        if not anns and not self.test_mode:
            raise InputError(f'{self.ann_file}: no annotations: a training set needs '
                             'instances (an images-only json is for testing)')
        if self.on_invalid == 'error':
            if bad_anns:
                i, reason = bad_anns[0]
                more = f' (and {len(bad_anns) - 1} more)' if len(bad_anns) > 1 else ''
                raise InputError(f"{self.ann_file}: annotation id {anns[i].get('id')} "
                                 f"(image id {anns[i].get('image_id')}): {reason}{more}")
            if missing_imgs:
                i, path = missing_imgs[0]
                more = f' (and {len(missing_imgs) - 1} more)' if len(missing_imgs) > 1 else ''
                raise InputError(f"{self.ann_file}: image id {images[i]['id']}: "
                                 f'{IMAGE_NOT_ON_DISK}: {path}{more}')
        self._dropped_ann_ids = {anns[i].get('id') for i, _ in bad_anns}
        self._missing_img_ids = {images[i]['id'] for i, _ in missing_imgs}
        if bad_anns or missing_imgs:
            counts = Counter(r for _, r in bad_anns)
            parts = [f'{n} {reason}' for reason, n in counts.most_common()]
            if missing_imgs:
                parts.append(f'{len(missing_imgs)} images ({IMAGE_NOT_ON_DISK})')
            print_log(f"{self.ann_file}: dropped {len(bad_anns)} annotations and "
                      f"{len(missing_imgs)} images: {'; '.join(parts)}",
                      logger='current', level=logging.WARNING)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        if self._dropped_ann_ids:
            raw_data_info = dict(raw_data_info, raw_ann_info=[
                a for a in raw_data_info['raw_ann_info']
                if a.get('id') not in self._dropped_ann_ids])
        return super().parse_data_info(raw_data_info)

    def _load_image_folder(self) -> List[dict]:
        """One entry per image file in ``data_prefix['img']``, no instances."""
        folder = self.data_prefix.get('img', '')
        images = folder_images(folder)
        self.cat_ids = list(range(1, len(self.metainfo['classes']) + 1))
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        self.cat_img_map = {cat_id: [] for cat_id in self.cat_ids}
        return [dict(img_path=osp.join(folder, img['file_name']), img_id=img['id'],
                     seg_map_path=None, height=img['height'], width=img['width'], instances=[])
                for img in images]
