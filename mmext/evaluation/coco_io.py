"""Reading COCO ground-truth and results jsons into per-image RLE lists.

Shared by ``tools/eval_iou_f1.py`` and ``tools/particle_shapes.py``; bad input raises
:class:`mmext.utils.InputError` with a one-line message.
"""
import contextlib
import io
import json
from typing import Dict, List, Optional

from pycocotools.coco import COCO

from mmext.utils import InputError
from .functional.rle import segmentation_to_rle


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError(f'{path}: no such file') from None
    except json.JSONDecodeError as e:
        raise InputError(f'{path}: not valid JSON ({e})') from None


def load_coco_gt(path) -> COCO:
    """A quiet :class:`COCO` from a ground-truth json (``annotations`` optional)."""
    data = read_json(path)
    if not isinstance(data, dict) or 'images' not in data:
        raise InputError(f'{path}: not a COCO ground-truth json (no "images")')
    data.setdefault('annotations', [])
    data.setdefault('categories', [])
    for i, img in enumerate(data['images']):
        missing = {'id', 'height', 'width'} - set(img)
        if missing:
            raise InputError(f'{path} images[{i}]: missing {sorted(missing)}')
    coco = COCO()
    coco.dataset = data
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    for ann in data['annotations']:
        if ann.get('image_id') not in coco.imgs:
            raise InputError(f'{path} annotation {ann.get("id")}: unknown image_id '
                             f'{ann.get("image_id")}')
        if 'segmentation' not in ann:
            raise InputError(f'{path} annotation {ann.get("id")}: no segmentation')
    return coco


def gt_rles_by_image(coco: COCO) -> Dict[int, List[dict]]:
    """``{image_id: [RLE, ...]}`` for every image of ``coco`` (empty lists included)."""
    out = {}
    for img_id, info in coco.imgs.items():
        out[img_id] = [segmentation_to_rle(a['segmentation'], info['height'], info['width'])
                       for a in coco.imgToAnns.get(img_id, [])]
    return out


def load_results(path, coco: Optional[COCO] = None, score_thr: float = 0.0) -> List[dict]:
    """The results list of ``path``, checked against ``coco``'s images, with RLE
    ``segmentation`` and those below ``score_thr`` dropped."""
    results = read_json(path)
    if not isinstance(results, list):
        raise InputError(f'{path}: a results json must be a list of detections')
    kept = []
    for i, det in enumerate(results):
        if not isinstance(det, dict) or 'image_id' not in det or 'segmentation' not in det:
            raise InputError(f'{path} entry {i}: needs "image_id" and "segmentation"')
        if det.get('score', 1.0) < score_thr:
            continue
        seg = det['segmentation']
        if coco is not None:
            if det['image_id'] not in coco.imgs:
                raise InputError(f'{path} entry {i}: image_id {det["image_id"]} is not in '
                                 'the ground-truth json')
            info = coco.imgs[det['image_id']]
            h, w = info['height'], info['width']
            if isinstance(seg, dict) and list(seg.get('size', [])) != [h, w]:
                raise InputError(f'{path} entry {i}: mask size {seg.get("size")} differs '
                                 f'from image {det["image_id"]} size {[h, w]}')
        elif isinstance(seg, dict) and 'size' in seg:
            h, w = seg['size']
        else:
            raise InputError(f'{path} entry {i}: polygon segmentation needs the '
                             'ground-truth json for the image size')
        kept.append(dict(det, segmentation=segmentation_to_rle(seg, h, w)))
    return kept


def result_rles_by_image(results: List[dict], image_ids) -> Dict[int, List[dict]]:
    """``{image_id: [RLE, ...]}`` for ``image_ids`` (empty where no detection)."""
    out = {img_id: [] for img_id in image_ids}
    for det in results:
        out.setdefault(det['image_id'], []).append(det['segmentation'])
    return out
