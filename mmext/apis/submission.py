"""Competition submissions: config + checkpoint + test images → COCO results json.

The test set is an images-only COCO json (``ann_file``; its image ids are kept) and/or
an image folder (``img_dir``). A folder given alone is listed sorted by file name and
its images get ids 1, 2, … in that order (the same convention as ``ParticleDataset``'s
folder mode); that image list is written beside the results as ``<out>.images.json``.

Inference runs the way ``tools/test.py`` does: the config's test dataloader (its
dataset pointed at the test images) and ``model.test_step``; ``tta=True`` wraps the
model as ``dict(**cfg.tta_model, module=cfg.model)`` and uses ``cfg.tta_pipeline``.
Predictions become RLEs in one vectorised pycocotools call per image
(:func:`predictions_to_results`), every image is checked to be covered and every mask
to have its image's size; the list is checked with pycocotools' ``COCO.loadRes`` and
written (with the image list) only then, both files put in place together, never over
an existing file without ``force``.
"""
import copy
import json
import os.path as osp
import tempfile
import time
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmext.evaluation.functional.rle import encode_masks
from mmext.utils import InputError, atomic_outputs
from mmext.utils.config import apply_tta, load_config
from mmext.utils.images import folder_images

def load_test_images(ann_file: Optional[str], img_dir: Optional[str]) -> dict:
    """The test set as an images-only COCO dict (``categories`` kept when present)."""
    if ann_file is None:
        return dict(images=folder_images(img_dir), categories=[])
    try:
        with open(ann_file) as f:
            coco = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f'{ann_file}: cannot read COCO json ({e})') from None
    if not isinstance(coco, dict) or not coco.get('images'):
        raise InputError(f'{ann_file}: no "images" to predict on')
    for i, img in enumerate(coco['images']):
        missing = {'id', 'file_name', 'height', 'width'} - set(img)
        if missing:
            raise InputError(f'{ann_file} images[{i}]: missing {sorted(missing)}')
    ids = [img['id'] for img in coco['images']]
    if len(set(ids)) != len(ids):
        raise InputError(f'{ann_file}: duplicate image ids')
    if img_dir is not None:
        for img in coco['images']:
            path = osp.join(img_dir, img['file_name'])
            if not osp.isfile(path):
                raise InputError(f'{ann_file} image {img["id"]}: {path} not found')
    return dict(images=coco['images'], categories=coco.get('categories', []))


def predictions_to_results(pred_instances, image: dict, cat_ids: Sequence[int],
                           score_thr: float = 0.0, max_per_img: Optional[int] = None
                           ) -> List[dict]:
    """One image's predictions → COCO result dicts (RLE with ``str`` counts).

    ``pred_instances`` has ``masks`` (N×H×W bool tensor/array), ``bboxes`` (xyxy),
    ``scores``, ``labels``; ``image`` is its COCO image dict. Keeps scores ≥
    ``score_thr``, then the ``max_per_img`` best; raises :class:`InputError` when the
    masks are not of the image's size.
    """
    scores = _np(pred_instances.scores)
    order = np.argsort(-scores, kind='stable')
    order = order[scores[order] >= score_thr]
    if max_per_img is not None:
        order = order[:max_per_img]
    masks = pred_instances.masks
    h, w = int(image['height']), int(image['width'])
    if tuple(masks.shape[-2:]) != (h, w):
        raise InputError(f'image {image["id"]} ({image.get("file_name")}): masks are '
                         f'{tuple(masks.shape[-2:])} but the image is {(h, w)} '
                         '(height/width in the json differ from the file?)')
    if len(order) == 0:
        return []
    if len(order) < len(scores) or np.any(np.diff(order) < 0):
        masks = masks[order if isinstance(masks, np.ndarray) else _torch_index(order, masks)]
    rles = encode_masks(masks)
    boxes = _np(pred_instances.bboxes)[order].astype(np.float64)
    boxes[:, 2:] -= boxes[:, :2]
    labels = _np(pred_instances.labels)[order]
    num_cats = len(cat_ids)
    return [dict(image_id=image['id'],
                 category_id=int(cat_ids[lab]) if lab < num_cats else int(lab) + 1,
                 segmentation=rle, bbox=[round(float(v), 2) for v in box],
                 score=round(float(s), 5))
            for rle, box, lab, s in zip(rles, boxes, labels.tolist(), scores[order])]


def _np(x):
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


def _torch_index(order, like):
    import torch
    return torch.as_tensor(order, device=like.device)


def check_results(results: List[dict], images: List[dict]) -> Dict[str, int]:
    """Every result on a known image with a mask of that image's size; counts images
    without predictions (allowed, reported)."""
    size = {img['id']: [int(img['height']), int(img['width'])] for img in images}
    per_image = dict.fromkeys(size, 0)
    for r in results:
        if r['image_id'] not in size:
            raise RuntimeError(f'result for unknown image {r["image_id"]}')
        if list(r['segmentation']['size']) != size[r['image_id']]:
            raise RuntimeError(f'image {r["image_id"]}: mask size {r["segmentation"]["size"]}'
                               f' != {size[r["image_id"]]}')
        per_image[r['image_id']] += 1
    return dict(images=len(size), predictions=len(results),
                images_without_predictions=sum(1 for n in per_image.values() if n == 0))


def validate_with_loadres(results: List[dict], images: List[dict],
                          categories: List[dict]) -> None:
    """Round-trip ``results`` through ``COCO.loadRes`` as the competition's scorer does."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    if not results:
        return  # loadRes cannot take an empty list; nothing to check
    coco = COCO()
    coco.dataset = dict(images=images, categories=categories, annotations=[])
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            coco.createIndex()
            loaded = coco.loadRes(json.loads(json.dumps(results)))
    except Exception as e:
        raise InputError(f'the submission does not load with COCO.loadRes '
                         f'({type(e).__name__}: {e})'.splitlines()[0]) from None
    if len(loaded.anns) != len(results):
        raise InputError(f'COCO.loadRes read {len(loaded.anns)} of {len(results)} results')


def _test_dataloader_cfg(cfg, coco_file: str, img_dir: str, num_workers):
    loader = copy.deepcopy(cfg.test_dataloader)
    dataset = loader.dataset
    while 'dataset' in dataset and 'ann_file' not in dataset:  # unwrap dataset wrappers
        dataset = dataset.dataset
    dataset.update(ann_file=coco_file, data_root='', data_prefix=dict(img=img_dir),
                   test_mode=True)
    dataset.pop('indices', None)
    if num_workers is not None:
        loader.num_workers = num_workers
        if num_workers == 0:
            loader.persistent_workers = False
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    loader.pop('batch_sampler', None)
    return loader


def build_model(cfg, checkpoint: str, device: str = 'cpu'):
    """The config's model with the checkpoint's weights, in eval mode on ``device``.
    No backbone weights download."""
    from mmengine.registry import MODELS
    from mmengine.runner import load_checkpoint
    model = MODELS.build(copy.deepcopy(cfg.model))
    if not osp.isfile(checkpoint):
        raise InputError(f'{checkpoint}: no such checkpoint')
    # as mmdet's init_detector: tolerate extra keys, but log any mismatch
    ckpt = load_checkpoint(model, checkpoint, map_location='cpu', strict=False,
                           logger='current')
    meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
    if 'dataset_meta' in meta:
        model.dataset_meta = meta['dataset_meta']
    return model.to(device).eval()


def run_submission(config, checkpoint: str, out: str, ann_file: Optional[str] = None,
                   img_dir: Optional[str] = None, score_thr: float = 0.0,
                   max_per_img: Optional[int] = None, tta: bool = False,
                   force: bool = False, device: Optional[str] = None,
                   num_workers: Optional[int] = None, cfg_options: Optional[dict] = None,
                   progress: bool = True, data_root: Optional[str] = None) -> dict:
    """Predict on the test images and write the results json; returns a summary with
    counts and the seconds spent per stage (``time_*``)."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    from mmengine.utils import ProgressBar

    if ann_file is None and img_dir is None:
        raise InputError('give the test set: --ann test.json and/or --img-dir folder')
    images_out = osp.splitext(out)[0] + '.images.json' if ann_file is None else None
    for path in filter(None, (out, images_out)):
        if osp.exists(path) and not force:
            raise InputError(f'{path} exists; pass --force to overwrite it')
    t_start = time.perf_counter()
    if isinstance(config, Config):
        cfg = config
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    else:
        cfg = load_config(config, cfg_options, data_root)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    if tta:  # wraps cfg.model in cfg.tta_model, tests with cfg.tta_pipeline
        apply_tta(cfg, config if isinstance(config, str) else '')
    if img_dir is None:
        ds = cfg.test_dataloader.dataset
        img_dir = osp.join(ds.get('data_root', '') or '', ds.get('data_prefix', {}).get('img', ''))
    test_set = load_test_images(ann_file, img_dir)
    images = test_set['images']
    classes = (cfg.get('metainfo') or {}).get('classes') or \
        cfg.test_dataloader.dataset.get('metainfo', {}).get('classes')
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = build_model(cfg, checkpoint, device=device)
    classes = classes or (getattr(model, 'dataset_meta', None) or {}).get('classes')

    with tempfile.TemporaryDirectory() as tmp:
        coco_file = osp.join(tmp, 'test_images.json')
        cats = test_set['categories'] or (
            [dict(id=i + 1, name=c) for i, c in enumerate(classes)] if classes else [])
        with open(coco_file, 'w') as f:
            json.dump(dict(images=images, categories=cats, annotations=[]), f)
        loader = Runner.build_dataloader(
            _test_dataloader_cfg(cfg, coco_file, img_dir, num_workers))
        dataset = loader.dataset
        cat_ids = list(getattr(dataset, 'cat_ids', []) or [])
        if classes and len(cat_ids) != len(classes):
            warnings.warn('the test json has no categories matching the classes; '
                          'category_id = class index + 1')
            cat_ids = []
        by_id = {img['id']: img for img in images}
        results, seen = [], set()
        t_infer = t_encode = 0.0  # inference includes data loading
        bar = ProgressBar(len(dataset)) if progress else None
        t0 = time.perf_counter()
        with torch.no_grad():
            for data in loader:
                outputs = model.test_step(data)
                t1 = time.perf_counter()
                t_infer += t1 - t0
                for sample in outputs:
                    img_id = sample.metainfo['img_id']
                    seen.add(img_id)
                    results += predictions_to_results(sample.pred_instances, by_id[img_id],
                                                      cat_ids, score_thr, max_per_img)
                    if bar:
                        bar.update()
                t0 = time.perf_counter()
                t_encode += t0 - t1
    if progress:
        print()
    missing = set(by_id) - seen
    if missing:
        raise RuntimeError(f'{len(missing)} test images got no prediction pass, '
                           f'e.g. image {min(missing)}')
    summary = check_results(results, images)
    if summary['images_without_predictions']:
        warnings.warn(f"{summary['images_without_predictions']} of {summary['images']} "
                      'images have no prediction')
    t0 = time.perf_counter()
    validate_with_loadres(results, images, cats)
    with atomic_outputs(overwrite=force) as outputs:  # --force checked again here
        json.dump(results, outputs.open(out), separators=(',', ':'))
        if images_out:
            json.dump(dict(images=images, categories=cats), outputs.open(images_out), indent=1)
    t_write = time.perf_counter() - t0
    summary.update(out=out, images_json=images_out, time_inference=t_infer,
                   time_encode=t_encode, time_write=t_write,
                   time_total=time.perf_counter() - t_start)
    return summary
