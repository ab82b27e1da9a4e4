"""Hook that writes the classification report folder after the test loop.

During ``runner.test()`` it collects, per test image, the true label, the predicted
scores, the image path and the penultimate features (captured by a forward pre-hook on
``feature_layer``, so the model is run once), then writes the files listed in
:mod:`mmext.reports.classification_report` into ``out_dir`` (default ``<work_dir>/report``).
The training curves come from the mmengine scalar logs found beside the loaded
checkpoint or in the work dir. It does nothing during training or validation.
"""
import os.path as osp

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmext.registry import CLS_HOOKS
from .gathered_results import gather_test_results


def _find_module(model, name):
    """``model``'s submodule at dotted attribute path ``name``, looking through wrappers
    (DDP, TTA). Attributes, not ``named_modules`` names, so properties such as
    ``StackedLinearClsHead.fc`` (= its last layer) resolve."""
    while True:
        module = model
        for part in name.split('.'):
            module = getattr(module, part, None)
        if isinstance(module, torch.nn.Module):
            return module
        if is_model_wrapper(model) or isinstance(getattr(model, 'module', None),
                                                 torch.nn.Module):
            model = model.module
        else:
            return None


def misclassified_cams(runner, out_dir, results, limit):
    """Grad-CAM overlays (for the predicted class) of the ``limit`` most confidently
    misclassified test images, in ``<out_dir>/gradcam``: ``{img_path: relative path}``.
    Skipped with a log line where the model or pipeline does not allow it (e.g. TTA)."""
    wrong = [r for r in results if r['gt'] >= 0 and r['img_path']
             and int(r['scores'].argmax()) != r['gt'] and osp.isfile(r['img_path'])]
    wrong.sort(key=lambda r: -float(r['scores'].max()))
    if not wrong or limit <= 0:
        return {}
    pipeline = runner.cfg.test_dataloader.dataset.get('pipeline', [])
    if any(t.get('type') == 'TestTimeAug' for t in pipeline):
        runner.logger.info('ClassificationReportHook: TTA pipeline, Grad-CAM skipped')
        return {}
    from mmext.visualization.cam import ClassActivationMapper, cam_file_names
    model = runner.model
    while isinstance(getattr(model, 'module', None), torch.nn.Module):
        model = model.module
    cams = {}
    try:
        mapper = ClassActivationMapper(model, pipeline=pipeline)
        shown = wrong[:limit]
        names = cam_file_names([r['img_path'] for r in shown], mapper.method)
        for r, name in zip(shown, names):
            path, _ = mapper.save(r['img_path'], osp.join(out_dir, 'gradcam'), name=name)
            cams[r['img_path']] = osp.relpath(path, out_dir)
    except Exception as exc:  # a model the CAM library cannot hook: report without CAMs
        runner.logger.warning(f'ClassificationReportHook: Grad-CAM skipped ({exc!r})')
    return cams


@CLS_HOOKS.register_module()
class ClassificationReportHook(Hook):
    """Collect test predictions and write the evaluation report.

    Args:
        out_dir (str, optional): Report folder; default ``<work_dir>/report``.
        topk (int): Top-k classes in ``results.csv`` and top-k accuracy. Defaults to 3.
        feature_layer (str): Module whose *input* is the penultimate feature
            (``head.fc`` for mmpretrain's linear and stacked heads). If the model has
            no such module, the input of ``head`` (last backbone/neck output) is used.
        max_grid_images (int): Images in ``predictions_grid.png``. Defaults to 100.
        grid_tile (int): Tile size of the grid in pixels. Defaults to 128.
        train_log_dirs (list[str], optional): Extra folders to search for training logs.
        tsne_seed (int): Seed of the t-SNE embedding.
        max_cams (int): Misclassified images shown with Grad-CAM in ``index.html``.
    """
    priority = 'LOW'

    def __init__(self, out_dir=None, topk=3, feature_layer='head.fc', max_grid_images=100,
                 grid_tile=128, train_log_dirs=None, tsne_seed=0, max_cams=12):
        self.out_dir = out_dir
        self.topk = topk
        self.feature_layer = feature_layer
        self.max_grid_images = max_grid_images
        self.grid_tile = grid_tile
        self.train_log_dirs = list(train_log_dirs or [])
        self.tsne_seed = tsne_seed
        self.max_cams = max_cams
        self._handle = None
        self._feats = []
        self._results = []

    # feature capture -------------------------------------------------------
    def _capture(self, module, args):
        x = args[0]
        if isinstance(x, (tuple, list)):  # input of a head: tuple of stage outputs
            x = x[-1]
        if isinstance(x, torch.Tensor):
            self._feats.append(x.detach().flatten(1).float().cpu())

    def before_test_epoch(self, runner):
        self._feats, self._results = [], []
        module = _find_module(runner.model, self.feature_layer)
        if module is None:
            module = _find_module(runner.model, 'head')
            runner.logger.info(f'ClassificationReportHook: no module {self.feature_layer!r}; '
                               'using the input of model.head as features')
        if module is not None:
            self._handle = module.register_forward_pre_hook(self._capture)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        outputs = outputs or []
        feats = self._take_features(len(outputs))
        for i, sample in enumerate(outputs):
            get = sample.get  # DataSample.get reads metainfo and data fields
            gt = get('gt_label')
            self._results.append(dict(
                sample_idx=get('sample_idx', -1),
                img_path=get('img_path', None),
                scores=get('pred_score').detach().float().cpu().numpy(),
                gt=int(gt.flatten()[0]) if gt is not None and len(gt) else -1,
                feat=None if feats is None else feats[i].numpy()))

    def _take_features(self, batch_size):
        """Captured features of this batch; TTA (several forwards) gets averaged."""
        feats, self._feats = self._feats, []
        if not feats or batch_size == 0:
            return None
        feats = torch.cat(feats) if len({f.shape[1] for f in feats}) == 1 else None
        if feats is None or len(feats) % batch_size:
            return None
        return feats.reshape(-1, batch_size, feats.shape[1]).mean(0)

    def after_test_epoch(self, runner, metrics=None):
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
        results = gather_test_results(runner, self._results, 'ClassificationReportHook')
        self._results = []
        if results is None:
            return
        from mmext.reports.classification_report import write_classification_report
        from mmext.utils.images import config_depth_max
        from mmext.visualization.train_log import find_scalar_logs
        classes = self._classes(runner, results[0]['scores'].shape[0])
        feats = None
        if all(r['feat'] is not None for r in results):
            feats = np.stack([r['feat'] for r in results])
        load_from = getattr(runner, '_load_from', None) or ''
        log_dirs = self.train_log_dirs + [osp.dirname(osp.abspath(load_from)) if load_from
                                          else None, runner.work_dir]
        out_dir = self.out_dir or osp.join(runner.work_dir, 'report')
        write_classification_report(
            out_dir, np.stack([r['scores'] for r in results]), classes,
            gt_labels=np.array([r['gt'] for r in results]),
            img_paths=[r['img_path'] if r['img_path'] is not None else str(r['sample_idx'])
                       for r in results],
            features=feats, topk=self.topk,
            # this test run's own log holds no training records and is skipped when read;
            # excluding its folder instead drops the training log when both runs share
            # mmengine's one-second timestamp folder
            train_logs=find_scalar_logs(log_dirs),
            max_grid_images=self.max_grid_images, grid_tile=self.grid_tile,
            tsne_seed=self.tsne_seed, depth_max=config_depth_max(runner.cfg),
            log=runner.logger.info)
        from mmext.visualization.html_report import write_classification_html
        cams = misclassified_cams(runner, out_dir, results, self.max_cams)
        write_classification_html(out_dir, runner, metrics, cams=cams, max_worst=self.max_cams)

    @staticmethod
    def _classes(runner, num_classes):
        meta = getattr(runner.test_dataloader.dataset, 'metainfo', None) or {}
        classes = meta.get('classes')
        if classes is None or len(classes) != num_classes:
            classes = [str(i) for i in range(num_classes)]
        return list(classes)
