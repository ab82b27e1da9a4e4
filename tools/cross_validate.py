"""Cross-validate a config by K folds: classification or particle instance segmentation.

    python tools/cross_validate.py CONFIG --folds 5 [--group-column sample_key] [--seeds 1]
        [--ann-file data/uhcsdb/metadata.csv] [--val-ratio 0.2] [--tta] [--work-dir DIR]
        [--data-root DIR] [--cfg-options k=v ...] [--launcher {none,pytorch,slurm,mpi}]
    python tools/cross_validate.py configs/particles/CONFIG.py --folds 3
        [--ann-file data/emps/annotations/train.json] [--img-dir data/emps/images/train/] ...

For every seed and fold, the rows (images) outside the test fold are split again into
train and an inner validation set; ``tools/train.py`` trains on the first and selects
its best checkpoint on the second, ``tools/test.py`` tests that checkpoint on the fold
(with ``--tta`` a second time with test-time augmentation). Everything a fold needs
lives in ``<work_dir>/seed<S>/fold<K>/`` (its annotation files, a config inheriting
CONFIG, checkpoints, logs, the test report, ``predictions_<variant>.pkl`` and the test
run's ``metrics_<variant>.json``), and a finished step is not run again: rerun the same
command to resume after an interruption (an interrupted training continues from its
last checkpoint). The summary: ``cv_folds.csv`` (per fold), ``cv_summary.json`` /
``cv_summary.md`` (mean +- std of the metrics, CPU seconds per fold) and, for
classification, ``pooled_<variant>/`` (the classification report of all folds'
predictions, confusion matrix included).

Classification (default_scope mmpretrain): stratified (optionally grouped) folds; a
``CSVDataset`` config cross-validates ``<data_root>/metadata.csv`` (or ``--ann-file``),
a folder-per-class config the class folders under its data root; metrics: accuracy,
balanced accuracy, macro-F1.

Particles (default_scope mmdet, ``ParticleDataset`` / ``CocoDataset``): folds by image
of one COCO json (default: the train dataset's, else ``--ann-file``) whose images lie in
one folder (default: the train dataset's ``data_root`` + ``data_prefix.img``, else
``--img-dir``); the test folds are those of ``tools/dataset_converters/split_coco.py
--folds K --seed S``. The fold config points the train/val/test datasets and every
val/test evaluator ``ann_file`` at the fold's ``train/val/test.json``. Metrics: whatever
the test run reports (IoU-F1, precision, recall, COCO segm/bbox mAP ...): all in
``cv_folds.csv`` / ``cv_summary.json``, the headline ones in the table.

Running again with more ``--seeds`` adds the new seeds' folds to the same work dir and
reuses the finished ones; other folds (other data, ``--folds``, ``--group-column``,
``--val-ratio``) are refused. Each step's CPU time (this process and its workers) is
recorded in the fold's ``fold.json``. Under ``--launcher`` every process runs the same
folds (multi-GPU training of each).
"""
import argparse
import contextlib
import glob
import json
import os
import os.path as osp
import resource
import sys

from mmengine.config import DictAction

from mmext.apis import build_test_config, build_train_config, run_test, train
from mmext.datasets.folds import FOLD_SPLITS, FoldSource, fold_indices, write_fold
from mmext.datasets.split import LABEL_COLUMN
from mmext.engine.checkpoint import install_checkpoint_policy
from mmext.utils import InputError, atomic_write, exit_on_input_error
from mmext.utils.terminal import calm_warnings
from mmext.utils.config import (add_launcher_args, get_scope, load_config,
                                 parse_launcher_args)
from mmext.utils.config_walk import EVALUATORS, iter_datasets, iter_evaluators
from mmext.utils.images import config_depth_max
from mmext.utils.jsonio import read_json

def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Cross-validate a classification or particle config')
    parser.add_argument('config', help='classification or particle config file')
    parser.add_argument('--folds', type=int, default=5, help='number of folds K')
    parser.add_argument('--group-column', help='CSV column whose groups (physical samples) '
                        'are kept whole: never in the test fold and the rest at once')
    parser.add_argument('--seeds', type=int, default=1, help='repeat the K folds with N '
                        'fold seeds (0..N-1; the seed also seeds the training)')
    parser.add_argument('--ann-file', help='CSV, class-folder root or COCO json to '
                        'cross-validate (default: <data_root>/metadata.csv, the class '
                        'folders, or the train dataset\'s json)')
    parser.add_argument('--img-dir', help='particles: folder of the json\'s images '
                        '(default: the train dataset\'s data_root + data_prefix.img)')
    parser.add_argument('--val-ratio', type=float, default=0.2,
                        help='share of the training rows held out to select checkpoints')
    parser.add_argument('--tta', action='store_true',
                        help='also test each fold with test-time augmentation')
    parser.add_argument('--work-dir', help='default: work_dirs/cv/<config name>')
    parser.add_argument('--data-root', help='the config\'s data root (as in tools/train.py)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides passed to every train and test run')
    add_launcher_args(parser, verbose=False,
                      launcher_help='job launcher (every process runs every fold)')
    args = parse_launcher_args(parser, argv)
    if not 0 < args.val_ratio < 1:
        parser.error('--val-ratio must be between 0 and 1')
    return args


def parse_cfg_options(options):
    """The ``--cfg-options`` strings as the dict ``DictAction`` makes of them."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options if options else None


def train_dataset(cfg, path):
    dataset = next((d for name, d in iter_datasets(cfg)
                    if name == 'train_dataloader' and 'ann_file' in d), None)
    if dataset is None:
        raise InputError(f'config {path}: its train dataset has no ann_file to replace')
    return dataset


def find_source(cfg, args):
    """The data to fold and the class names (the config's, else the data's)."""
    dataset = train_dataset(cfg, args.config)
    is_csv = dataset.get('type') == 'CSVDataset'
    path = args.ann_file
    if path is None:
        root = dataset.get('data_root') or ''
        prefix = dataset.get('data_prefix') or ''
        prefix = prefix.get('img_path', '') if isinstance(prefix, dict) else prefix
        path = osp.join(root, 'metadata.csv') if is_csv else osp.join(root, prefix)
        if is_csv and not osp.isfile(path):
            raise InputError(f'{path} not found: give the CSV to cross-validate with '
                             '--ann-file')
    if is_csv != osp.isfile(path):
        kind = 'a CSV' if is_csv else 'a folder of class folders'
        raise InputError(f'{path}: the config\'s {dataset.get("type")} needs {kind}')
    source = FoldSource(path, dataset.get('label_column', LABEL_COLUMN)
                        if is_csv else None, args.group_column)
    classes = list((dataset.get('metainfo') or {}).get('classes') or sorted(set(source.labels)))
    unknown = sorted(set(source.labels) - set(classes))
    if unknown:
        raise InputError(f'{path}: labels {unknown} are not among the config\'s classes '
                         f'{classes}')
    return source, classes, is_csv


def fold_config(config, files, classes, seed, is_csv):
    """Text of a config that inherits ``config`` and reads this fold's files."""
    extra = dict(split_by_folder=False, split_column=None) if is_csv else {}
    lines = [f'_base_ = [{osp.abspath(config)!r}]',
             f'randomness = dict(seed={seed})']
    for split in FOLD_SPLITS:
        dataset = dict(ann_file=osp.abspath(files[split]), metainfo=dict(classes=classes),
                       **extra)
        lines.append(f'{split}_dataloader = dict(dataset={dataset!r})')
    return '\n'.join(lines) + '\n'


def cpu_seconds():
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Steps:
    """Runs the train and test steps (:mod:`mmext.apis`) in this process, output to a log
    file; ``run`` returns its CPU seconds and what the step returned (the test metrics)."""

    def __init__(self, args, rank, progress):
        self.args, self.rank, self.progress = args, rank, progress

    def train(self, cfg_path, work_dir, resume, cfg_options):
        cfg = build_train_config(cfg_path, work_dir, cfg_options, self.args.data_root,
                                 self.args.launcher, resume='auto' if resume else None)
        return train(cfg, self.args.launcher, verbose=True)

    def test(self, cfg_path, checkpoint, work_dir, out, tta, cfg_options):
        cfg = build_test_config(cfg_path, checkpoint, cfg_options, self.args.data_root,
                                work_dir=work_dir, launcher=self.args.launcher, tta=tta,
                                out=out)
        return run_test(cfg, self.args.launcher, verbose=True)

    def run(self, step, step_args, log, name, options=()):
        """``step(*step_args, cfg_options)``; each step's console (the full mmengine log)
        goes to its fold's log file."""
        log = log if self.rank == 0 else f'{log}.rank{self.rank}'
        cfg_options = parse_cfg_options([f'experiment_name={name}', *self.args.cfg_options,
                                         *options])
        start = cpu_seconds()
        with open(log, 'a') as f, contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
            try:
                with exit_on_input_error(config=step_args[0]):
                    result = step(*step_args, cfg_options)
                code = 0
            except SystemExit as exc:  # InputError in the step: 'error: ...', exit 2
                code = exc.code
            except Exception:
                import traceback
                traceback.print_exc()
                code = 1
        if code:
            tail = open(log).read().strip().splitlines()[-1:] or ['']
            raise InputError(f'{name} failed ({tail[0]}); full log: {log}')
        return cpu_seconds() - start, result


def best_checkpoint(work_dir):
    """The best checkpoint the training saved, else its last one."""
    from mmengine.runner import find_latest_checkpoint
    best = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')), key=osp.getmtime)
    return best[-1] if best else find_latest_checkpoint(work_dir)


def run_fold(steps, fold_dir, cfg_path, tag, variants):
    """Train (or resume) and test one fold; skip what is already done. Return its
    record: checkpoint, CPU seconds of training and of each test variant."""
    record_path = osp.join(fold_dir, 'fold.json')
    record = read_json(record_path) if osp.isfile(record_path) else {}
    if 'checkpoint' not in record:
        # an interrupted training left checkpoints: continue from the latest
        resume = osp.isfile(osp.join(fold_dir, 'last_checkpoint'))
        cpu, _ = steps.run(steps.train, (cfg_path, fold_dir, resume),
                           osp.join(fold_dir, 'train.log'), f'{tag}_train')
        record.update(checkpoint=best_checkpoint(fold_dir),
                      train_cpu_s=record.get('train_cpu_s', 0) + cpu)
        save_record(steps, record_path, record)
    steps.progress.update(1)
    for variant in variants:
        pkl = osp.join(fold_dir, f'predictions_{variant}.pkl')
        if not osp.isfile(pkl):
            tmp = osp.join(fold_dir, f'.predictions_{variant}.tmp.pkl')
            cpu, metrics = steps.run(
                steps.test, (cfg_path, record['checkpoint'], osp.join(fold_dir, variant), tmp,
                             variant == 'tta'),
                osp.join(fold_dir, f'{variant}.log'), f'{tag}_{variant}')
            if steps.rank == 0:  # the metrics first: the predictions mark the step done
                write_metrics(osp.join(fold_dir, f'metrics_{variant}.json'), metrics)
                os.replace(tmp, pkl)
            record[f'{variant}_cpu_s'] = cpu
            save_record(steps, record_path, record)
        steps.progress.update(1)
    return record


def write_metrics(path, metrics):
    """The test run's metrics as json (numpy values as numbers or lists)."""
    with atomic_write(path) as f:
        json.dump(dict(metrics or {}), f, indent=2,
                  default=lambda v: v.tolist() if hasattr(v, 'tolist') else str(v))


def save_record(steps, path, record):
    if steps.rank == 0:
        with atomic_write(path) as f:
            json.dump(record, f, indent=2)
    barrier()


def barrier():
    from mmengine.dist import barrier as dist_barrier
    dist_barrier()  # no-op without a process group


def init_distributed(cfg, launcher):
    """Start the process group once, before the first fold, as the tools would."""
    if launcher == 'none':
        return []
    import torch
    from mmext.engine.cpu_distributed import setup_cpu_distributed
    if torch.cuda.is_available():
        from mmengine.dist import init_dist
        init_dist(launcher, **cfg.get('env_cfg', {}).get('dist_cfg', {}))
        return []
    setup_cpu_distributed(cfg, launcher)  # the tools then skip it: pass its settings on
    return ['model_wrapper_cfg.type=CPUDistributedDataParallel',
            'env_cfg.dist_cfg.backend=gloo']


def folds_content(path, classes, rows, folds_by_seed):
    """What ``folds.json`` holds: the source, its classes, the SHA-1 of ``rows`` (the text
    the folds depend on) and ``{seed: [{split: rows or image ids}]}``."""
    import hashlib
    return dict(source=osp.abspath(path), classes=classes,
                rows_sha1=hashlib.sha1(rows.encode()).hexdigest(),
                folds={str(seed): [dict(zip(FOLD_SPLITS, fold)) for fold in folds]
                       for seed, folds in folds_by_seed.items()})


def write_folds(work_dir, content):
    """``folds.json`` (the rows of every fold, see :func:`folds_content`). An existing one
    must hold the same data and the same folds for the seeds both have; more seeds are
    added to it."""
    path = osp.join(work_dir, 'folds.json')
    if osp.isfile(path):
        old = read_json(path)
        new = json.loads(json.dumps(content))
        same_seeds = set(old.get('folds', {})) & set(new['folds'])
        if ({k: old.get(k) for k in ('source', 'classes', 'rows_sha1')} !=
                {k: new[k] for k in ('source', 'classes', 'rows_sha1')} or
                any(old['folds'][s] != new['folds'][s] for s in same_seeds)):
            raise InputError(f'{path}: this work dir holds other folds (other data, --folds, '
                             '--group-column or --val-ratio); use another --work-dir')
        content['folds'] = {**old['folds'], **new['folds']}
    with atomic_write(path) as f:
        json.dump(content, f)


class ClassificationFolds:
    """Classification: stratified (grouped) folds of a CSV or a class-folder set."""

    def __init__(self, cfg, args):
        if args.img_dir:
            raise InputError('--img-dir goes with particle configs')
        self.args = args
        self.source, self.classes, self.is_csv = find_source(cfg, args)
        self.folds = {seed: fold_indices(self.source.labels, args.folds, seed,
                                         self.source.groups, args.val_ratio)
                      for seed in range(args.seeds)}
        self.depth_max = config_depth_max(cfg)

    def content(self):
        source = self.source
        rows = '\n'.join(map(str, zip(source.labels, source.groups or source.labels)))
        return folds_content(source.path, self.classes, rows, {
            seed: [[index.tolist() for index in fold] for fold in folds]
            for seed, folds in self.folds.items()})

    def sizes(self, seed, k):
        return {f'n_{s}': len(i) for s, i in zip(FOLD_SPLITS, self.folds[seed][k - 1])}

    def write(self, fold_dir, cfg_path, seed, k):
        files = write_fold(self.source, fold_dir, self.folds[seed][k - 1], self.classes)
        with atomic_write(cfg_path) as f:
            f.write(fold_config(self.args.config, files, self.classes, seed, self.is_csv))

    def title(self):
        args = self.args
        return (f'{osp.basename(args.config)}: {args.folds} folds x {args.seeds} seed(s)'
                f'{", grouped by " + args.group_column if args.group_column else ""}')

    def summarize(self, work_dir, fold_records, variants):
        """Per-fold metrics from the predictions, mean +- std, pooled reports; return
        the Markdown table."""
        from mmext.reports.classification_report import write_classification_report
        from mmext.reports.cross_validation import (fold_metrics, load_predictions,
                                                    markdown_table, write_cv_summary)
        import numpy as np
        rows, pooled = [], {v: [] for v in variants}
        for (seed, fold), (fold_dir, record, sizes) in fold_records.items():
            for variant in variants:
                scores, gt, paths = load_predictions(
                    osp.join(fold_dir, f'predictions_{variant}.pkl'))
                pooled[variant].append((scores, gt, paths))
                rows.append(dict(variant=variant, seed=seed, fold=fold, **sizes,
                                 **fold_metrics(scores, gt),
                                 cpu_s=record['train_cpu_s'] + record[f'{variant}_cpu_s'],
                                 checkpoint=osp.relpath(record['checkpoint'], work_dir)))
        for variant, parts in pooled.items():
            write_classification_report(
                osp.join(work_dir, f'pooled_{variant}'),
                np.concatenate([p[0] for p in parts]), self.classes,
                gt_labels=np.concatenate([p[1] for p in parts]),
                img_paths=[x for p in parts for x in p[2]], depth_max=self.depth_max,
                log=lambda msg: None)
        summary = write_cv_summary(work_dir, rows, self.title())
        return markdown_table(summary, self.title())


def plain(value):
    """``value`` with every ConfigDict a dict (for a config file's text)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def dataset_override(cfg, loader, values):
    """``dict(dataset=...)`` that sets ``values`` in the loader's first dataset with an
    ``ann_file`` (inside ``dataset=`` wrappers such as MultiImageMixDataset)."""
    dataset, depth = (cfg.get(loader) or {}).get('dataset'), 1
    while isinstance(dataset, dict) and 'ann_file' not in dataset:
        dataset, depth = dataset.get('dataset'), depth + 1
    if not isinstance(dataset, dict):
        raise InputError(f'config: {loader} has no dataset with an ann_file to replace')
    for _ in range(depth):
        values = dict(dataset=values)
    return values


def fold_evaluators(cfg, files):
    """The config's val/test evaluators, each metric's ``ann_file`` the fold's json."""
    out = {}
    for name in EVALUATORS:
        if cfg.get(name) is None:
            continue
        evaluator = {name: plain(cfg[name])}
        for _, metric in iter_evaluators(evaluator, (name,)):
            if 'ann_file' in metric:
                metric['ann_file'] = osp.abspath(files[name.split('_')[0]])
        out[name] = evaluator[name]
    return out


def particle_fold_config(cfg, config, files, img_dir, seed):
    """Text of a config that inherits ``config`` and reads this fold's COCO jsons."""
    lines = [f'_base_ = [{osp.abspath(config)!r}]', f'randomness = dict(seed={seed})']
    for split in FOLD_SPLITS:
        values = dict(ann_file=osp.abspath(files[split]),
                      data_prefix=dict(img=osp.abspath(img_dir)))
        override = dataset_override(cfg, f'{split}_dataloader', values)
        lines.append(f'{split}_dataloader = {override!r}')
    lines += [f'{name} = {value!r}' for name, value in fold_evaluators(cfg, files).items()]
    return '\n'.join(lines) + '\n'


def dataset_paths(dataset):
    """``(json, image folder)`` of a COCO-style dataset dict."""
    root = dataset.get('data_root') or ''
    prefix = dataset.get('data_prefix') or ''
    prefix = prefix.get('img', '') if isinstance(prefix, dict) else prefix
    return osp.join(root, dataset.get('ann_file') or ''), osp.join(root, prefix)


class ParticleFolds:
    """Particle instance segmentation: folds by image of one COCO json."""

    def __init__(self, cfg, args):
        from mmext.datasets.coco_split import cv_folds
        if args.group_column:
            raise InputError('--group-column goes with CSV classification sets; particle '
                             'folds are by image')
        self.cfg, self.args = cfg, args
        ann_file, img_dir = dataset_paths(train_dataset(cfg, args.config))
        self.ann_file, self.img_dir = args.ann_file or ann_file, args.img_dir or img_dir
        if not osp.isfile(self.ann_file):
            raise InputError(f'{self.ann_file}: COCO json not found (--ann-file)')
        if not osp.isdir(self.img_dir):
            raise InputError(f'{self.img_dir}: image folder not found (--img-dir)')
        self.coco = read_json(self.ann_file)
        self.folds = {seed: cv_folds(self.coco, args.folds, seed, args.val_ratio,
                                     name=self.ann_file)
                      for seed in range(args.seeds)}

    def content(self):
        images = sorted((img['id'], img.get('file_name')) for img in self.coco['images'])
        classes = [c.get('name') for c in self.coco.get('categories', [])]
        return folds_content(self.ann_file, classes, '\n'.join(map(str, images)), {
            seed: [[sorted(img['id'] for img in part['images']) for part in fold]
                   for fold in folds] for seed, folds in self.folds.items()})

    def sizes(self, seed, k):
        return {f'n_{s}': len(part['images'])
                for s, part in zip(FOLD_SPLITS, self.folds[seed][k - 1])}

    def write(self, fold_dir, cfg_path, seed, k):
        from mmext.datasets.coco_split import write_coco
        files = {split: write_coco(osp.join(fold_dir, f'{split}.json'), part)
                 for split, part in zip(FOLD_SPLITS, self.folds[seed][k - 1])}
        with atomic_write(cfg_path) as f:
            f.write(particle_fold_config(self.cfg, self.args.config, files, self.img_dir,
                                         seed))

    def title(self):
        args = self.args
        return (f'{osp.basename(args.config)}: {args.folds} folds x {args.seeds} seed(s), '
                'by image')

    def summarize(self, work_dir, fold_records, variants):
        """Per-fold metrics of the test runs and mean +- std; return the Markdown table."""
        from mmext.reports.cross_validation import (PARTICLE_HEADLINE, common_metrics,
                                                    markdown_table, run_metrics,
                                                    write_cv_summary)
        rows, names = [], {}
        for (seed, fold), (fold_dir, record, sizes) in fold_records.items():
            for variant in variants:
                metrics = run_metrics(read_json(
                    osp.join(fold_dir, f'metrics_{variant}.json')))
                names.update(dict.fromkeys(metrics))
                rows.append(dict(variant=variant, seed=seed, fold=fold, **sizes, **metrics,
                                 cpu_s=record['train_cpu_s'] + record[f'{variant}_cpu_s'],
                                 checkpoint=osp.relpath(record['checkpoint'], work_dir)))
        metrics = common_metrics(rows, list(names))
        table = [k for k in PARTICLE_HEADLINE if k in metrics] or metrics[:6]
        summary = write_cv_summary(work_dir, rows, self.title(), metrics=metrics,
                                   columns=list(names), table_metrics=table)
        return markdown_table(summary, self.title(), table)


FAMILIES = {'mmpretrain': ClassificationFolds, 'mmdet': ParticleFolds}


def main(argv=None):
    calm_warnings()
    args = parse_args(argv)
    install_checkpoint_policy()
    with exit_on_input_error():
        cfg = load_config(args.config, parse_cfg_options(args.cfg_options), args.data_root)
        family = FAMILIES[get_scope(cfg, args.config)](cfg, args)
        work_dir = args.work_dir or osp.join(
            'work_dirs', 'cv', osp.splitext(osp.basename(args.config))[0])
        args.cfg_options = [*args.cfg_options, *init_distributed(cfg, args.launcher)]
        from mmengine.dist import get_rank
        rank = get_rank()

        variants = ['test', 'tta'] if args.tta else ['test']
        fold_records, configs = {}, {}
        if rank == 0:
            os.makedirs(work_dir, exist_ok=True)
            write_folds(work_dir, family.content())
        for seed in range(args.seeds):
            for k in range(1, args.folds + 1):
                fold_dir = osp.join(work_dir, f'seed{seed}', f'fold{k}')
                cfg_path = osp.join(fold_dir, f'seed{seed}_fold{k}.py')
                if rank == 0:
                    family.write(fold_dir, cfg_path, seed, k)
                configs[seed, k] = (fold_dir, cfg_path, family.sizes(seed, k))
        barrier()

        from tqdm import tqdm
        total = len(configs) * (1 + len(variants))
        with tqdm(total=total, desc='cross-validation', unit='step', disable=rank != 0,
                  file=sys.stderr, dynamic_ncols=True) as progress:
            steps = Steps(args, rank, progress)
            for (seed, k), (fold_dir, cfg_path, sizes) in configs.items():
                progress.set_postfix_str(f'seed {seed} fold {k}/{args.folds}')
                record = run_fold(steps, fold_dir, cfg_path, f'cv_s{seed}_f{k}', variants)
                fold_records[seed, k] = (fold_dir, record, sizes)
        if rank == 0:
            print(family.summarize(work_dir, fold_records, variants))
            where = ('summary and pooled reports' if isinstance(family, ClassificationFolds)
                     else 'summary')
            print(f'per-fold metrics, {where}: {work_dir}')


if __name__ == '__main__':
    main()
