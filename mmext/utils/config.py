"""Config preparation shared by mmext's tools (train, test, predict, submit, app, ...).

One pair of tools drives both OpenMMLab families: the config's ``default_scope``
('mmpretrain' or 'mmdet') picks the family, and these helpers apply the upstream
command-line flags to a config the way each family's own tools do. mmext's modules are
registered by the config's ``custom_imports`` (``Config.fromfile`` imports them), never
imported from here. The test-side switches (checkpoint, visualization, TTA, dump,
submission) are in :mod:`mmext.utils.test_config`.
"""
import os
import os.path as osp
import warnings

from mmengine.config import Config, ConfigDict, DictAction

from .data_root import resolve_data_root, root_key
from .errors import InputError
from .package_configs import allow_package_bases, drop_package_scope

SCOPES = ('mmpretrain', 'mmdet')


class _KeyValueAction(DictAction):
    """mmengine's ``DictAction``; an item without ``=`` is argparse's one error line."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            if '=' not in item:
                parser.error(f'argument {option_string}: {item!r} is not key=value')
        super().__call__(parser, namespace, values, option_string)


def add_config_args(parser, checkpoint=True):
    """Add the flags every config tool shares: ``--data-root``, ``--cfg-options`` and, for
    tools that load a checkpoint, ``--trust-checkpoint``."""
    if checkpoint:
        parser.add_argument('--trust-checkpoint', action='store_true',
                            help='load checkpoints with full pickle (weights_only=False): '
                            'only for files you trust')
    parser.add_argument('--data-root', help='move every data path of the config under this '
                        'folder (the config\'s data_root / particle_data_root)')
    parser.add_argument('--cfg-options', nargs='+', action=_KeyValueAction,
                        help='override config settings, key=value '
                        '(e.g. train_dataloader.batch_size=8)')


def add_launcher_args(parser, verbose=True, launcher_help='job launcher'):
    """Add mmengine's launcher flags (``--launcher``, ``--local-rank`` and, for tools that run
    a Runner, ``--verbose``)."""
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help=launcher_help)
    if verbose:
        parser.add_argument('--verbose', action='store_true',
                            help='show mmengine\'s full logs on the console (always in the log file)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_launcher_args(parser, argv=None):
    """Parse ``argv``; export ``--local-rank`` as ``LOCAL_RANK`` for the older launchers that
    pass it as a flag (torchrun sets the variable itself)."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(path, cfg_options=None, data_root=None):
    """Load a config file (``mmext::`` bases allowed), apply its data root, merge
    ``--cfg-options``, then ``--data-root``; bad paths give one line.

    The config's root variable (``data_root``, or ``particle_data_root`` in the
    particle configs) moves every dataloader and evaluator path under it, also when a
    child config changed it after its base built the dataloaders
    (:func:`~mmext.utils.data_root.resolve_data_root`).
    """
    if not osp.isfile(path):
        raise InputError(f'config file not found: {path}')
    allow_package_bases()
    try:
        cfg = Config.fromfile(path)  # imports the config's custom_imports (mmext)
    except Exception as exc:  # syntax errors, missing _base_ files
        raise InputError(f'cannot read config {path}: {type(exc).__name__}: {exc}') from exc
    drop_package_scope(cfg._cfg_dict)
    resolve_data_root(cfg)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
        if root_key(cfg) in cfg_options:  # --cfg-options data_root=...
            resolve_data_root(cfg)
    if data_root is not None:
        resolve_data_root(cfg, data_root)
    get_scope(cfg, path)
    return cfg


def get_scope(cfg, path=None):
    """Return the config's ``default_scope``; it must be one mmext drives."""
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        where = f'config {path}' if path else 'config'
        raise InputError(f"{where} has default_scope={scope!r}; mmext tools run "
                         f"{' or '.join(repr(s) for s in SCOPES)} configs")
    return scope


def init_scope(cfg, path=None):
    """Make the config's family the default scope (as the Runner, ``init_detector`` and
    mmpretrain's inferencers do) after importing its ``custom_imports``; return it.
    For code that builds modules without a Runner."""
    from mmengine.registry import init_default_scope
    from mmengine.utils import import_modules_from_strings
    scope = get_scope(cfg, path)
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(scope)
    return scope


def register_scope(scope):
    """Import all of the family's modules into its registries (without changing the
    default scope); mmext's own come with the config's ``custom_imports``."""
    if scope == 'mmdet':
        from mmdet.utils import register_all_modules
    else:
        from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)


def set_work_dir(cfg, work_dir, config_path):
    """CLI > config's own ``work_dir`` > ``./work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def enable_amp(cfg):
    """Mixed precision on a GPU; on a machine without one, warn and keep fp32.

    mmengine's ``AmpOptimWrapper`` asserts a GPU, so a CPU run never builds it.
    """
    import torch
    if not torch.cuda.is_available():
        warnings.warn('--amp ignored: no GPU is available, training in fp32')
        return False
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    return True


def enable_auto_scale_lr(cfg, path=''):
    """Turn on ``auto_scale_lr``; the config must say its ``base_batch_size``."""
    if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
        raise InputError(f'--auto-scale-lr: config {path} has no auto_scale_lr.base_batch_size')
    cfg.auto_scale_lr.enable = True


def set_resume(cfg, resume):
    """``--resume`` alone: latest checkpoint of the work dir; with a path: that file."""
    if resume is None:
        return
    cfg.resume = True
    cfg.load_from = None if resume == 'auto' else resume
    if cfg.load_from and not osp.isfile(cfg.load_from):
        raise InputError(f'checkpoint to resume from not found: {cfg.load_from}')


def add_checkpoint_fit_hook(cfg, finetune=False):
    """Check the checkpoint the Runner loads against its model
    (:class:`~mmext.engine.checkpoint_fit.CheckpointFitHook`): exactly for testing and
    resuming; ``finetune=True`` lets a plain ``load_from`` re-initialise keys."""
    hooks = [h for h in cfg.get('custom_hooks') or [] if h.get('type') != 'CheckpointFitHook']
    cfg.custom_hooks = hooks + [dict(type='CheckpointFitHook', finetune=finetune)]


def drop_pretrained_init(cfg):
    """Remove ``init_cfg=dict(type='Pretrained', ...)`` from the model config.

    Used when ``load_from`` or resume will overwrite every weight anyway: upstream
    initialises weights before loading, which offline would fail on the download.
    Returns the dotted paths that were dropped.
    """
    dropped = []

    def visit(node, path):
        if isinstance(node, dict):
            init = node.get('init_cfg')
            inits = init if isinstance(init, list) else [init]
            if any(isinstance(i, dict) and i.get('type') == 'Pretrained' for i in inits):
                node['init_cfg'] = None
                dropped.append(f'{path}.init_cfg')
            for key, value in node.items():
                visit(value, f'{path}.{key}')
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                visit(value, f'{path}[{i}]')

    visit(cfg.model, 'model')
    return dropped


TTA_VIEWS = {
    # mmpretrain's default: with and without a horizontal flip
    'flip': [[dict(type='RandomFlip', prob=1.), dict(type='RandomFlip', prob=0.)]],
    # the 8 symmetries of the square: 4 flips x (transposed or not), no interpolation
    'dihedral': [[dict(type='RandomFlip', prob=0.)] + [
        dict(type='RandomFlip', prob=1., direction=d)
        for d in ('horizontal', 'vertical', 'diagonal')
    ], [dict(type='RandomTranspose', prob=0.), dict(type='RandomTranspose', prob=1.)]],
}


def default_cls_tta_pipeline(cfg):
    """The test pipeline with ``TestTimeAug`` over the views named by the config's
    ``tta_views``: ``'flip'`` (default, 2 views) or ``'dihedral'`` (8 views)."""
    views = cfg.get('tta_views', 'flip')
    if views not in TTA_VIEWS:
        raise InputError(f"tta_views={views!r}: use one of {', '.join(map(repr, TTA_VIEWS))}")
    pipeline = [dict(t) for t in cfg.test_dataloader.dataset.pipeline]
    transforms = [[dict(t) for t in group] for group in TTA_VIEWS[views]]
    return pipeline[:-1] + [dict(type='TestTimeAug', transforms=[*transforms, pipeline[-1:]])]


def apply_tta(cfg, path=''):
    """Wrap ``cfg.model`` into ``cfg.tta_model`` and test with ``cfg.tta_pipeline``."""
    if get_scope(cfg) == 'mmpretrain':
        cfg.setdefault('tta_model', dict(type='mmpretrain.AverageClsScoreTTA'))
        if 'tta_pipeline' not in cfg:
            cfg.tta_pipeline = default_cls_tta_pipeline(cfg)
    elif 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        raise InputError(f'--tta: config {path} defines no tta_model / tta_pipeline')
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    # mmengine's BaseTTAModel gives the module the wrapper's data_preprocessor, which
    # the Runner fills from the top-level one: keep the model's own where it has one
    if cfg.model.module.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.model.module.data_preprocessor)
