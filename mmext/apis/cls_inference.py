"""Predict image classes with a config + checkpoint (behind ``tools/predict.py``).

Built on mmpretrain's :class:`ImageClassificationInferencer`, given the model built by
``get_model`` and loaded by :func:`~mmext.engine.checkpoint_fit.load_checked` (mmengine's
loader after the check that the checkpoint fits the model), with the class names of the
checkpoint's ``meta.dataset_meta``. Unlike upstream, images
are read by the config's own test pipeline, loader included, so prediction decodes
images exactly as ``tools/test.py`` does.
"""
import os
import os.path as osp

import numpy as np
from mmengine.dataset import Compose, default_collate
from mmpretrain.apis import ImageClassificationInferencer
from mmpretrain.registry import TRANSFORMS

from mmext.utils import InputError
from mmext.utils.images import IMG_EXTENSIONS



class ClassificationPredictor(ImageClassificationInferencer):
    """``ImageClassificationInferencer`` that feeds image paths to the full test pipeline."""

    def _init_pipeline(self, cfg):
        return Compose([TRANSFORMS.build(t) for t in cfg.test_dataloader.dataset.pipeline])

    def preprocess(self, inputs, batch_size=1):
        for path in inputs:
            if not isinstance(path, str):
                raise InputError('ClassificationPredictor takes image file paths')
        samples = map(self._load, inputs)
        yield from map(default_collate, self._get_chunk_data(samples, batch_size))

    def _load(self, path):
        try:
            return self.pipeline(dict(img_path=path))
        except InputError:
            raise  # already names the file (CheckedLoadImageFromFile)
        except Exception as exc:
            raise InputError(f'{path}: cannot read image ({type(exc).__name__}: {exc})'
                             .splitlines()[0]) from exc


def list_images(inputs):
    """Image files named by ``inputs`` (files, or folders searched recursively), sorted."""
    inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    files = []
    for item in map(os.fspath, inputs):
        if osp.isdir(item):
            found = sorted(
                osp.join(root, name) for root, _, names in os.walk(item) for name in names
                if name.lower().endswith(IMG_EXTENSIONS))
            if not found:
                raise InputError(f'{item}: no images ({", ".join(IMG_EXTENSIONS)}) in folder')
            files += found
        elif osp.isfile(item):
            files.append(item)
        else:
            raise InputError(f'{item}: no such image file or folder')
    return files


def _class_names(predictor, cfg, num_classes):
    classes = predictor.classes
    if not classes:
        meta = cfg.test_dataloader.dataset.get('metainfo') or {}
        classes = meta.get('classes')
    if not classes or len(classes) != num_classes:
        classes = [str(i) for i in range(num_classes)]
    return [str(c) for c in classes]


def build_predictor(config, checkpoint, device='cpu'):
    """A :class:`ClassificationPredictor` from a config (path or Config) and checkpoint."""
    from mmext.utils.config import drop_pretrained_init, init_scope, load_config
    cfg = load_config(config) if isinstance(config, str) else config
    init_scope(cfg)
    drop_pretrained_init(cfg)  # the checkpoint holds every weight; nothing to download
    if not osp.isfile(checkpoint):
        raise InputError(f'checkpoint not found: {checkpoint}')
    from mmpretrain.apis import get_model

    from mmext.engine.checkpoint_fit import load_checked
    model = get_model(cfg, pretrained=False, device=device)
    meta = load_checked(model, checkpoint).get('meta') or {}
    if 'dataset_meta' in meta:  # as get_model reads it
        model._dataset_meta = meta['dataset_meta']
    elif 'CLASSES' in meta:
        model._dataset_meta = {'classes': meta['CLASSES']}
    return ClassificationPredictor(model, device=device)


def predict_images(predictor, images, topk=3, batch_size=1):
    """Predict ``images`` (paths); return dicts with class, score and top-k per image.

    Each dict: ``img_path, pred_label, pred_class, pred_score, scores`` (all classes)
    and ``topk`` = [(class, score), ...] best first.
    """
    results = predictor(images, batch_size=batch_size)
    scores = np.stack([r['pred_scores'] for r in results]) if results else np.zeros((0, 0))
    classes = _class_names(predictor, predictor.config, scores.shape[1] if len(scores) else 0)
    out = []
    for path, s in zip(images, scores):
        order = np.argsort(-s, kind='stable')[:min(topk, len(s))]
        out.append(dict(img_path=path, pred_label=int(order[0]), pred_class=classes[order[0]],
                        pred_score=float(s[order[0]]), scores=s,
                        topk=[(classes[i], float(s[i])) for i in order]))
    return out, classes
