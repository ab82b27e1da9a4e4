"""Check a config's data before training (``tools/analysis_tools/check_data.py``).

:func:`check_data` builds every split of a config through the registries of its scope
(no model), decodes and hashes every image, and returns a JSON-ready report: per-split
and per-class counts, bad images, 16-bit images against the loader's ``depth_max``, files
shared across splits, class imbalance with the sampler that evens it, image sizes
against the pipeline's resize, and for detection
instances per image against every per-image cap and object sizes against the smallest
anchor. Each finding is an error (bad images, leakage, an empty split), a warning (with
the ``--cfg-options`` that fix it where a setting can) or an info line.
"""
import logging
import time

from mmengine.registry import DefaultScope

from mmext.utils import InputError
from mmext.utils.config import get_scope, register_scope

from .checks import (Finding, check_annotated_sizes, check_bad_images, check_bit_depth,
                     check_class_balance, check_class_coverage, check_duplicates_within,
                     check_empty,
                     check_filtered, check_image_scale, check_leakage, check_limits,
                     check_object_sizes, check_recipe)
from .images import find_duplicates, scan_images
from .logs import captured_logs
from .resize import find_resize
from .splits import (build_dataset, dataset_samples, filtered_images, find_splits,
                     inner_dataset_cfg)
from .stats import split_stats

__all__ = ['check_data', 'Finding']


def load_splits(cfg, family, log_file=None):
    """Build each split's dataset and list its images; what the datasets log while
    they are built becomes findings (warning or info)."""
    splits = find_splits(cfg)
    findings = []
    with captured_logs(log_file) as records:
        for split in splits:
            if split.same_as is not None:
                continue
            seen = len(records)
            split.dataset = build_dataset(split)
            split.samples = dataset_samples(split.dataset, family)
            split.dropped = filtered_images(split, family)
            split.resize = find_resize(inner_dataset_cfg(split).get('pipeline'))
            findings += [Finding('warning' if level >= logging.WARNING else 'info',
                                 'dataset_log', f'{split.name}: {msg}')
                         for level, msg in records[seen:]]
    return splits, findings


def check_data(cfg, workers=4, log_file=None):
    """Check every split of ``cfg`` (a loaded config); return the report dict.

    ``report['errors']`` counts the error findings (bad images, leakage, empty split);
    a dataset that cannot be built raises :class:`~mmext.utils.InputError`.
    """
    start = time.time()
    scope = get_scope(cfg)
    family = 'det' if scope == 'mmdet' else 'cls'
    register_scope(scope)
    with DefaultScope.overwrite_default_scope(scope):
        splits, findings = load_splits(cfg, family, log_file)
    if not splits:
        raise InputError('the config defines no train/val/test dataloader dataset')
    real = [s for s in splits if s.same_as is None]
    scans = scan_images((p.img_path for s in real for p in s.samples), workers)
    leaks, within = find_duplicates({s.name: [p.img_path for p in s.samples] for s in real},
                                    scans)
    for split in real:
        split.stats = split_stats(split, scans, split.dataset.metainfo.get('classes'),
                                  family, split.resize)
    findings += check_bad_images(splits, scans) + check_empty(splits, family)
    findings += check_bit_depth(splits, scans)
    findings += check_leakage(leaks) + check_duplicates_within(within)
    findings += check_filtered(splits) + check_image_scale(splits, scans)
    balance_findings, imbalance = check_class_balance(cfg, splits, family)
    findings += balance_findings + check_class_coverage(splits)
    limits = anchor = None
    if family == 'det':
        findings += check_annotated_sizes(splits, scans)
        limit_findings, limits = check_limits(cfg, splits)
        size_findings, anchor = check_object_sizes(cfg, splits, scans)
        findings += limit_findings + size_findings + check_recipe(cfg)
    report = dict(
        scope=scope,
        splits={s.name: (dict(same_as=s.same_as) if s.same_as else s.stats) for s in splits},
        bad_images=[dict(split=s.name, path=p.img_path, reason=scans[p.img_path].error)
                    for s in real for p in s.samples if scans[p.img_path].error],
        leakage=leaks,
        duplicates_within_split=within,
        filtered_images={s.name: s.dropped for s in real if s.dropped},
        imbalance=imbalance,
        findings=[f.as_dict() for f in findings],
        errors=sum(f.level == 'error' for f in findings),
        warnings=sum(f.level == 'warning' for f in findings),
        images_checked=len(scans),
        seconds=round(time.time() - start, 2))
    if family == 'det':
        report.update(limits=limits, anchor=anchor)
    return report
