"""Test-time config preparation for both families (``tools/test.py``, ``tools/submit.py``).

:func:`prepare_test_cfg` applies what mmdet's and mmpretrain's ``tools/test.py`` apply:
the checkpoint (``load_from``), ``--show/--show-dir`` (the family's visualization hook
switched on), ``--tta`` (``cfg.tta_model`` around ``cfg.model``, ``cfg.tta_pipeline``),
``--out`` (the family's dump metric added to the test evaluator); and mmext's
submission: the test set pointed at an image folder or images-only json and the
evaluator replaced by :class:`~mmext.evaluation.metrics.submission.ParticleSubmissionMetric`.
Everything is done on the config, so the Runner builds it all.
"""
import os.path as osp
from typing import Optional

from .config import (add_checkpoint_fit_hook, apply_tta, drop_pretrained_init, get_scope,
                     set_work_dir)
from .config_walk import inner_dataset, iter_evaluators
from .errors import InputError


def enable_visualization(cfg, show=False, show_dir=None, wait_time=2.0, path=''):
    """Draw predictions the way each family's own test tool does."""
    hooks = cfg.get('default_hooks', {})
    if 'visualization' not in hooks:
        raise InputError(f'--show/--show-dir: config {path} has no '
                         'default_hooks.visualization')
    vis = hooks.visualization
    vis.update(show=show, wait_time=wait_time)
    if get_scope(cfg) == 'mmdet':  # mmdet's trigger_visualization_hook
        vis.draw = True
        if show_dir:
            vis.test_out_dir = show_dir
    else:  # mmpretrain's tools/test.py
        vis.update(enable=True, out_dir=show_dir)


def add_dump_metric(cfg, out):
    """``--out``: the family's upstream metric that pickles the predictions."""
    if get_scope(cfg) == 'mmdet':
        if not out.endswith(('.pkl', '.pickle')):
            raise InputError(f'--out {out}: the dump file must end in .pkl or .pickle')
        dump = dict(type='DumpDetResults', out_file_path=out)
    else:
        dump = dict(type='DumpResults', out_file_path=out)
    cfg.test_evaluator = [m for _, m in iter_evaluators(cfg, ('test_evaluator',))] + [dump]


def use_submission(cfg, outfile, ann_file=None, img_dir=None, score_thr=0.0,
                   max_per_img=None, overwrite=False, num_workers=None):
    """Test on the given test set and write a submission instead of scoring.

    ``img_dir`` alone: every image of the folder (``ann_file=''`` of ``ParticleDataset``);
    ``ann_file``: that images-only json, its images in ``img_dir`` (default: the config's
    test image folder); neither: the config's test set as it is.
    """
    if get_scope(cfg) != 'mmdet':
        raise InputError('a submission needs a particle (mmdet scope) config')
    loader = cfg.test_dataloader
    dataset = inner_dataset(loader.dataset, 'ann_file')[1]
    root = dataset.get('data_root') or ''
    if ann_file is not None or img_dir is not None:
        if img_dir is None:
            img_dir = osp.join(root, dataset.get('data_prefix', {}).get('img', ''))
        dataset.update(ann_file=ann_file or '', data_root='', data_prefix=dict(img=img_dir),
                       test_mode=True)
        dataset.pop('indices', None)
    elif dataset.get('ann_file'):
        ann_file = osp.join(root, dataset.ann_file)
    if num_workers is not None:
        loader.num_workers = num_workers
        loader.persistent_workers = num_workers > 0 and loader.get('persistent_workers', False)
    loader.sampler = dict(type='DefaultSampler', shuffle=False)
    loader.pop('batch_sampler', None)
    cfg.test_evaluator = dict(type='ParticleSubmissionMetric', outfile=outfile,
                              ann_file=ann_file or None, score_thr=score_thr,
                              max_per_img=max_per_img, overwrite=overwrite)
    # the report needs ground truth; an unlabelled test set has none
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks') or []
                        if h.get('type') != 'ParticleReportHook']


def prepare_test_cfg(cfg, checkpoint: str, path: str = '', work_dir: Optional[str] = None,
                     launcher: str = 'none', show: bool = False, show_dir: Optional[str] = None,
                     wait_time: float = 2.0, tta: bool = False, out: Optional[str] = None,
                     submission: Optional[dict] = None, cfg_options=None):
    """Apply ``tools/test.py``'s switches to ``cfg`` (in place; returns it).

    ``submission``: keyword arguments of :func:`use_submission` (``outfile`` ...).
    A particle model is scored (IoU-F1, submission) at the score threshold validated in
    training and saved with the checkpoint, unless ``cfg_options`` (``--cfg-options``)
    set a ``score_thr`` or the submission has its own ``score_thr``
    (:func:`mmext.engine.score_threshold.apply_checkpoint_score_thr`).
    """
    if not osp.isfile(checkpoint):
        raise InputError(f'checkpoint not found: {checkpoint}')
    cfg.launcher = launcher
    set_work_dir(cfg, work_dir, path)
    cfg.load_from = checkpoint
    drop_pretrained_init(cfg)  # the checkpoint holds every weight
    add_checkpoint_fit_hook(cfg)  # ... and fits the model exactly
    if submission is not None:
        use_submission(cfg, **submission)
    if get_scope(cfg) == 'mmdet' and not (submission or {}).get('score_thr'):
        from mmext.engine.score_threshold import apply_checkpoint_score_thr
        apply_checkpoint_score_thr(cfg, checkpoint, cfg_options)
    if show or show_dir:
        enable_visualization(cfg, show, show_dir, wait_time, path)
    if tta:
        apply_tta(cfg, path)
    if out:
        add_dump_metric(cfg, out)
    return cfg

