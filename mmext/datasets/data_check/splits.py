"""Build each split of a config through the registries and list its images.

Datasets are built from the config's own dataset dicts (``DATASETS.build`` under the
config's default scope, as mmdet's ``browse_dataset.py`` does); no model is built.
"""
from dataclasses import dataclass, field
from typing import Any, List, Optional

import numpy as np
from mmengine.registry import DATASETS

from mmext.utils import InputError
from mmext.utils.config_walk import inner_dataset

SPLITS = ('train', 'val', 'test')


@dataclass
class Sample:
    """One distinct image of a split: path, annotated size, labels (one per
    classification sample, one per non-ignored instance) and boxes (x1, y1, x2, y2)."""
    img_path: str
    labels: List[int]
    width: Optional[int] = None
    height: Optional[int] = None
    boxes: Optional[np.ndarray] = None


@dataclass
class Split:
    """A dataloader's dataset: where it sits in the config and what it holds."""
    name: str
    dataset_cfg: dict
    dataset_path: str  # dotted config path of the dict holding ``pipeline``
    same_as: Optional[str] = None  # an earlier split with the same data
    dataset: Any = None
    samples: List[Sample] = field(default_factory=list)
    dropped: List[dict] = field(default_factory=list)  # images filter_cfg removes
    resize: Any = None  # the pipeline's ResizeStep
    stats: dict = field(default_factory=dict)


def _same_data(a, b):
    """Two dataset dicts read the same images (pipelines and test_mode aside)."""
    def strip(d):
        return {k: v for k, v in d.items() if k not in ('pipeline', 'test_mode')}
    return strip(a) == strip(b)


def find_splits(cfg) -> List[Split]:
    """The splits a config defines (train/val/test dataloaders), aliases marked."""
    splits = []
    for name in SPLITS:
        loader = cfg.get(f'{name}_dataloader')
        if not isinstance(loader, dict) or not isinstance(loader.get('dataset'), dict):
            continue
        path = f'{name}_dataloader.dataset' + inner_dataset(loader['dataset'], 'pipeline')[0]
        split = Split(name, loader['dataset'], path)
        for earlier in splits:
            if earlier.same_as is None and _same_data(earlier.dataset_cfg, split.dataset_cfg):
                split.same_as = earlier.name
                break
        splits.append(split)
    return splits


def inner_dataset_cfg(split):
    """The dataset dict of ``split`` that holds its pipeline (inside any wrapper)."""
    return inner_dataset(split.dataset_cfg, 'pipeline')[1]


def build_dataset(split):
    """``DATASETS.build`` of the split's dataset; any failure is one ``InputError``."""
    cfg = split.dataset_cfg
    try:
        return DATASETS.build(cfg)
    except InputError as exc:
        raise InputError(f'{split.name} dataset: {exc}') from exc
    except Exception as exc:  # a missing ann_file, a bad list file...: the data's fault
        raise InputError(f'{split.name} dataset ({cfg.get("type")}) cannot be built: '
                         f'{type(exc).__name__}: {exc}') from exc


def _sample(info, family):
    if family == 'cls':
        label = info.get('gt_label')
        labels = [int(x) for x in np.atleast_1d(label)] if label is not None else []
        return Sample(info['img_path'], labels)
    instances = [i for i in info.get('instances', []) if not i.get('ignore_flag', 0)]
    boxes = np.array([i['bbox'] for i in instances], dtype=np.float64).reshape(-1, 4)
    return Sample(info['img_path'], [int(i['bbox_label']) for i in instances],
                  info.get('width'), info.get('height'), boxes)


def dataset_samples(dataset, family) -> List[Sample]:
    """One :class:`Sample` per distinct image (wrappers that repeat images count once)."""
    samples = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        if info['img_path'] not in samples:
            samples[info['img_path']] = _sample(info, family)
    return list(samples.values())


def filtered_images(split, family) -> List[dict]:
    """Images of a detection training split that its ``filter_cfg`` drops, with why
    (mmdet's ``filter_data``: no instance with ``filter_empty_gt``, or a shorter side
    below ``min_size`` pixels). Lists the unfiltered annotation file a second time."""
    cfg = inner_dataset_cfg(split)
    filter_cfg = cfg.get('filter_cfg')
    if family != 'det' or not filter_cfg or cfg.get('test_mode'):
        return []
    raw = DATASETS.build(dict(cfg, filter_cfg=None, lazy_init=True)).load_data_list()
    kept = {s.img_path for s in split.samples}
    min_size = filter_cfg.get('min_size', 0)
    dropped = []
    for info in raw:
        if info['img_path'] in kept:
            continue
        side = min(info.get('width', 0), info.get('height', 0))
        if side < min_size:
            dropped.append(dict(path=info['img_path'], kind='min_size',
                                reason=f'shorter side {side} px < {min_size}'))
        else:
            dropped.append(dict(path=info['img_path'], kind='empty', reason='no instances'))
    return dropped
