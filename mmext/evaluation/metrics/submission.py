"""Results-dump metric: the test predictions as a competition submission (COCO results json).

mmdet writes results files through ``tools/test.py`` with a format-only metric
(``CocoMetric(format_only=True, outfile_prefix=...)``); :class:`ParticleSubmissionMetric`
is that for the particle challenge: one ``outfile`` with RLE masks (``str`` counts), a
score threshold and a cap per image, checked and written atomically::

    test_dataloader = dict(dataset=dict(ann_file='', data_prefix=dict(img='images/test/')))
    test_evaluator = dict(type='ParticleSubmissionMetric', outfile='submission.json',
                          score_thr=0.4)

With an images-only ``ann_file`` (the test json) the ids, file names, sizes and categories
are that json's; every image in it must be predicted and every mask must have its size.
Without one (an image folder: ``ParticleDataset(ann_file='')`` numbers the sorted file
names 1…N) the list of predicted images is written beside as ``<outfile stem>.images.json``.
Before anything is written the results go through pycocotools' ``COCO.loadRes`` as the
scorer reads them; both files are put in place together (never over an existing file
unless ``overwrite``), or not at all.
"""
import contextlib
import io
import json
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmext.structures.coco_checks import indexed_coco
from mmext.registry import DET_METRICS
from mmext.utils import InputError, atomic_outputs
from mmext.utils.score_range import check_score_thr
from mmext.structures.rle import encode_masks


def predictions_to_results(pred: dict, img_id, score_thr: float = 0.0,
                           max_per_img: Optional[int] = None) -> List[dict]:
    """One image's ``pred_instances`` (``masks`` N×H×W, ``bboxes`` xyxy, ``scores``,
    ``labels``) → COCO result dicts, scores ≥ ``score_thr``, the ``max_per_img`` best;
    ``category_id`` holds the label index (mapped to the json's ids later)."""
    scores = _np(pred['scores'])
    order = np.argsort(-scores, kind='stable')
    order = order[scores[order] >= score_thr][:max_per_img]
    if len(order) == 0:
        return []
    masks = pred['masks']
    if isinstance(masks, (list, tuple)):  # already RLEs
        rles = [dict(masks[i]) for i in order]
    else:
        if len(order) < len(scores) or np.any(np.diff(order) < 0):
            masks = masks[_index_like(order, masks)]
        rles = encode_masks(masks)
    boxes = _np(pred['bboxes'])[order].astype(np.float64)
    boxes[:, 2:] -= boxes[:, :2]
    labels = _np(pred['labels'])[order].tolist()
    return [dict(image_id=img_id, category_id=int(label), segmentation=rle,
                 bbox=[round(float(v), 2) for v in box], score=round(float(s), 5))
            for rle, box, label, s in zip(rles, boxes, labels, scores[order])]


def _np(x):
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


def _index_like(order, masks):
    if hasattr(masks, 'detach'):
        import torch
        return torch.as_tensor(order, device=masks.device)
    return order


def validate_with_loadres(results: List[dict], images: List[dict],
                          categories: List[dict]) -> None:
    """Round-trip ``results`` through ``COCO.loadRes`` as the competition's scorer does;
    also refuse a mask whose size is not its image's."""
    from pycocotools.coco import COCO
    size = {img['id']: [int(img['height']), int(img['width'])] for img in images}
    for r in results:
        if list(r['segmentation']['size']) != size.get(r['image_id'], r['segmentation']['size']):
            img = next(i for i in images if i['id'] == r['image_id'])
            raise InputError(f"image {r['image_id']} ({img.get('file_name')}): masks are "
                             f"{r['segmentation']['size']} but the json says {size[r['image_id']]}"
                             ' (height/width in the json differ from the file?)')
    if not results:
        return  # loadRes cannot take an empty list; nothing to check
    coco = indexed_coco(dict(images=images, categories=categories, annotations=[]), COCO)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            loaded = coco.loadRes(json.loads(json.dumps(results)))
    except Exception as e:
        raise InputError(f'the submission does not load with COCO.loadRes '
                         f'({type(e).__name__}: {e})'.splitlines()[0]) from None
    if len(loaded.anns) != len(results):
        raise InputError(f'COCO.loadRes read {len(loaded.anns)} of {len(results)} results')


@DET_METRICS.register_module()
class ParticleSubmissionMetric(BaseMetric):
    """Write the predictions as a COCO results json (the submission); score nothing.

    Args:
        outfile: the results json to write.
        ann_file: images-only COCO json of the test set (its ids, names, sizes,
            categories); None: the predicted images, listed in ``<stem>.images.json``.
        score_thr: drop predictions scoring below it (after the model's own threshold).
        max_per_img: keep at most this many per image (best first).
        overwrite: replace existing output files (``--force``); checked when built
            (before inference) and again when the files are put in place.

    Metrics (prefix ``submission``): ``images``, ``predictions``,
    ``images_without_predictions``.
    """
    default_prefix: Optional[str] = 'submission'

    def __init__(self, outfile: str, ann_file: Optional[str] = None, score_thr: float = 0.0,
                 max_per_img: Optional[int] = None, overwrite: bool = False,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.outfile = outfile
        self.images_file = None if ann_file else osp.splitext(outfile)[0] + '.images.json'
        self.score_thr = check_score_thr(score_thr)
        self.max_per_img, self.overwrite = max_per_img, overwrite
        for path in filter(None, (self.outfile, self.images_file)):
            if osp.exists(path) and not overwrite:
                raise InputError(f'{path} exists; pass --force to overwrite it')
        self._coco = None
        if ann_file:
            from pycocotools.coco import COCO

            from mmext.structures.coco_checks import load_coco_checked
            self._coco = load_coco_checked(ann_file, COCO)
            if not self._coco.dataset['images']:
                raise InputError(f'{ann_file}: no "images" to predict on')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Encode each image's kept predictions (RLE) as they come."""
        for sample in data_samples:
            height, width = sample['ori_shape'][:2]
            image = dict(id=sample['img_id'], file_name=osp.basename(sample['img_path']),
                         height=int(height), width=int(width))
            self.results.append((image, predictions_to_results(
                sample['pred_instances'], sample['img_id'], self.score_thr,
                self.max_per_img)))

    def _images_and_categories(self, seen: List[dict]):
        classes = (self.dataset_meta or {}).get('classes') or ()
        if self._coco is None:
            return seen, [dict(id=i + 1, name=c) for i, c in enumerate(classes)]
        images = self._coco.dataset['images']
        missing = {img['id'] for img in images} - {img['id'] for img in seen}
        if missing:
            raise RuntimeError(f'{len(missing)} test images got no prediction pass, '
                               f'e.g. image {min(missing)}')
        return images, self._coco.dataset.get('categories') or []

    def compute_metrics(self, results: list) -> dict:
        """Map labels to category ids, validate with ``loadRes``, write the files."""
        seen = list({img['id']: img for img, _ in results}.values())
        images, categories = self._images_and_categories(seen)
        classes = list((self.dataset_meta or {}).get('classes') or ())
        by_name = {c.get('name'): c['id'] for c in categories}
        cat_ids = [by_name[c] for c in classes] if classes and all(
            c in by_name for c in classes) else [c['id'] for c in categories]
        preds = [r for _, rs in results for r in rs]
        for r in preds:
            label = r['category_id']
            r['category_id'] = int(cat_ids[label]) if label < len(cat_ids) else label + 1
        validate_with_loadres(preds, images, categories)
        with atomic_outputs(overwrite=self.overwrite) as outputs:
            json.dump(preds, outputs.open(self.outfile), separators=(',', ':'))
            if self.images_file:
                json.dump(dict(images=images, categories=categories),
                          outputs.open(self.images_file), indent=1)
        with_preds = {r['image_id'] for r in preds}
        empty = sum(img['id'] not in with_preds for img in images)
        where = f' (image ids: {self.images_file})' if self.images_file else ''
        print_log(f'{len(preds)} predictions on {len(images)} images ({empty} without any) '
                  f'written to {self.outfile}{where}', logger='current')
        return dict(images=len(images), predictions=len(preds),
                    images_without_predictions=empty)
