"""Class activation maps (Grad-CAM and variants) for mmpretrain classifiers.

Uses the ``grad-cam`` package (``pytorch_grad_cam`` >= 1.5, whose CAM classes take no
``use_cuda``: they run on the model's device). The model is built from a config and
checkpoint with mmpretrain's ``get_model``, the image goes through the config's test
pipeline and data preprocessor, and :class:`LogitsModel` hands the CAM library the
logits. The heatmap is resized onto the original image, so an overlay has the size of
its input image (with a center-cropping test pipeline it spans the crop's content).
"""
import hashlib
import os
import os.path as osp

import cv2
import mmcv
import numpy as np
import pytorch_grad_cam as gc
import torch
from mmengine.dataset import Compose, default_collate
from mmengine.utils.dl_utils import is_norm
from pytorch_grad_cam.utils.image import show_cam_on_image
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from torch import nn

from mmext.utils import InputError, atomic_save
from mmext.utils.images import read_display_image

#: longest file name written (file systems allow 255 bytes)
MAX_NAME_BYTES = 200


def _fit_name(stem, suffix, key):
    """``stem + suffix``, the stem shortened (and made unique by a hash of ``key``) when
    the name would exceed :data:`MAX_NAME_BYTES`."""
    if len((stem + suffix).encode()) <= MAX_NAME_BYTES:
        return stem + suffix
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    room = MAX_NAME_BYTES - len(suffix.encode()) - 9
    short = stem.encode()[:room].decode('utf-8', 'ignore')
    return f'{short}-{digest}{suffix}'


def cam_file_names(img_paths, method):
    """One distinct PNG name per image, ``<stem>_<method>.png``: images sharing a stem
    (``a/0.png``, ``b/0.png``, ``0.jpg``) are named by their path below the folder they
    share instead (``a_0.png_gradcam.png``); long names are shortened with a hash."""
    suffix = f'_{method.replace("++", "pp")}.png'  # gradcam++ -> gradcampp
    stems = [osp.splitext(osp.basename(p))[0] for p in img_paths]
    counts = {}
    for stem in stems:
        counts[stem] = counts.get(stem, 0) + 1
    absolute = [osp.abspath(p) for p in img_paths]
    common = osp.commonpath(absolute) if len(absolute) > 1 else ''
    if common in absolute:  # the same file twice: its folder is the common part
        common = osp.dirname(common)
    names = []
    for path, stem in zip(absolute, stems):
        if counts[stem] > 1:
            stem = osp.relpath(path, common).replace(os.sep, '_')
        names.append(_fit_name(stem, suffix, path))
    return names


CAM_METHODS = {
    'gradcam': gc.GradCAM,
    'gradcam++': gc.GradCAMPlusPlus,
    'xgradcam': gc.XGradCAM,
    'eigencam': gc.EigenCAM,
    'eigengradcam': gc.EigenGradCAM,
    'layercam': gc.LayerCAM,
    'hirescam': gc.HiResCAM,
    'gradcamelementwise': gc.GradCAMElementWise,
    'scorecam': gc.ScoreCAM,
    'ablationcam': gc.AblationCAM,
}


class LogitsModel(nn.Module):
    """Wrap an mmpretrain classifier so that ``forward(inputs)`` returns (N, C) logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, inputs):
        out = self.model(inputs, mode='tensor')
        return out[-1] if isinstance(out, (tuple, list)) else out


def resolve_layers(model, names):
    """Modules of ``model`` named ``names`` (dotted, as in ``named_modules``).

    With no names: the last normalisation layer of the backbone.
    """
    modules = dict(model.named_modules())
    if not names:
        norms = [m for n, m in modules.items() if n.startswith('backbone.') and is_norm(m)]
        if not norms:
            raise InputError('the backbone has no norm layer; pass --target-layers')
        return norms[-1:]
    missing = [n for n in names if n not in modules]
    if missing:
        stages = sorted({n.rsplit('.', 1)[0] for n in modules if n.count('.') == 1})
        raise InputError(f'no layer {missing[0]!r} in the model; e.g. one of: '
                         f'{", ".join(stages[:12])}')
    return [modules[n] for n in names]


class ClassActivationMapper:
    """Compute CAM overlays for images with one classifier.

    Args:
        model: an mmpretrain classifier (e.g. from ``mmpretrain.get_model``) that keeps
            its config in ``model._config`` (or pass ``pipeline``).
        method (str): key of :data:`CAM_METHODS` (case-insensitive).
        target_layers (list[str], optional): module names; default: backbone's last norm.
        pipeline (list[dict], optional): test pipeline; default: the config's.
    """

    def __init__(self, model, method='gradcam', target_layers=None, pipeline=None):
        key = method.lower()
        if key not in CAM_METHODS:
            raise InputError(f'unknown CAM method {method!r}; choose from '
                             f'{", ".join(CAM_METHODS)}')
        self.model = model.eval()
        from mmpretrain.registry import TRANSFORMS
        pipeline = pipeline or model._config.test_dataloader.dataset.pipeline
        self.pipeline = Compose([TRANSFORMS.build(t) for t in pipeline])
        self.method = key
        self.cam = CAM_METHODS[key](model=LogitsModel(model),
                                    target_layers=resolve_layers(model, target_layers))

    def __call__(self, img_path, target_class=None, eigen_smooth=False, aug_smooth=False):
        """Return (overlay BGR uint8 of the image's size, CAM in [0,1] same size, class)."""
        try:
            data = self.pipeline(dict(img_path=img_path))
        except Exception as exc:
            raise InputError(f'{img_path}: cannot read image ({type(exc).__name__})') from exc
        inputs = self.model.data_preprocessor(default_collate([data]), False)['inputs']
        with torch.no_grad():
            logits = LogitsModel(self.model)(inputs)
        num_classes = logits.shape[1]
        if target_class is None:
            target_class = int(logits.argmax(1)[0])
        elif not 0 <= target_class < num_classes:
            raise InputError(f'--target-class {target_class}: the model has {num_classes} '
                             f'classes (0..{num_classes - 1})')
        grayscale = self.cam(inputs, targets=[ClassifierOutputTarget(target_class)],
                             eigen_smooth=eigen_smooth, aug_smooth=aug_smooth)[0]
        image = self._display_image(img_path)
        h, w = image.shape[:2]
        grayscale = np.clip(cv2.resize(grayscale, (w, h), interpolation=cv2.INTER_LINEAR), 0, 1)
        overlay = show_cam_on_image(image.astype(np.float32) / 255, grayscale, use_rgb=False)
        return overlay, grayscale, target_class

    def _display_image(self, img_path):
        """The image as the pipeline's loader decodes it (a 16-bit file through its
        ``depth_max``), as 3-channel BGR uint8."""
        loader = self.pipeline.transforms[0]
        if type(loader).__name__.endswith('LoadImageFromFile'):
            image = loader(dict(img_path=img_path))['img']
        else:
            image = read_display_image(img_path)
            if image is None:
                raise InputError(f'{img_path}: not an image OpenCV can read')
        image = np.clip(image, 0, 255).astype(np.uint8)
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image

    def save(self, img_path, out_dir, target_class=None, name=None, overwrite=True,
             **kwargs):
        """Write ``<out_dir>/<name>`` (default: :func:`cam_file_names` of this image
        alone); return (path, class)."""
        overlay, _, cls = self(img_path, target_class, **kwargs)
        out = osp.join(out_dir, name or cam_file_names([img_path], self.method)[0])
        atomic_save(lambda tmp: mmcv.imwrite(overlay, tmp), out, overwrite=overwrite)
        return out, cls
