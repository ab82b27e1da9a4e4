"""The checks: each turns split numbers into findings (error / warning / info), a
warning with the ``--cfg-options`` that fix it where a setting can."""
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import List

import numpy as np

from .limits import anchor_info, model_limits
from .resize import find_transform, short_type
from .splits import inner_dataset_cfg
from .stats import image_sizes, object_sizes, resize_factors

#: largest / smallest class count from which a sampler is suggested, and from which
#: ClassBalancedSampler's 'oversample' (every class drawn as often as the largest each
#: epoch) rather than the milder 'sqrt' (weights 1/sqrt(n))
IMBALANCE_WARN = 2.0
IMBALANCE_OVERSAMPLE = 10.0
#: pipeline resize factors beyond which images are called up- / down-scaled a lot
UPSCALE_WARN = 2.0
DOWNSCALE_WARN = 0.25
BALANCED_SAMPLERS = ('ClassBalancedSampler', 'ClassAwareSampler')
BALANCED_DATASETS = ('ClassBalancedDataset', )


@dataclass
class Finding:
    """One result of a check; ``fix`` holds ``key=value`` items for ``--cfg-options``."""
    level: str  # 'error' | 'warning' | 'info'
    check: str
    message: str
    fix: List[str] = field(default_factory=list)
    items: List[str] = field(default_factory=list)

    def as_dict(self):
        out = asdict(self)
        out['cfg_options'] = ('--cfg-options ' + ' '.join(self.fix)) if self.fix else None
        return out


def _real(splits):
    return [s for s in splits if s.same_as is None]


def _labelled(split):
    return bool(inner_dataset_cfg(split).get('ann_file', True))


# -- every family ------------------------------------------------------------------
def check_bad_images(splits, scans):
    findings = []
    for split in _real(splits):
        bad = [(s.img_path, scans[s.img_path].error) for s in split.samples
               if scans[s.img_path].error]
        if bad:
            findings.append(Finding(
                'error', 'bad_images',
                f'{split.name}: {len(bad)} of {len(split.samples)} images cannot be read',
                items=[f'{path}: {reason}' for path, reason in bad]))
    return findings


def check_empty(splits, family):
    findings = []
    for split in _real(splits):
        if not split.samples:
            findings.append(Finding('error', 'empty_split', f'{split.name}: no images'))
        elif family == 'det' and _labelled(split) and not any(s.labels for s in split.samples):
            level = dict(train='error', val='warning').get(split.name, 'info')
            findings.append(Finding(level, 'no_instances',
                                    f'{split.name}: {len(split.samples)} images but no '
                                    'instance (check the category names and ids'
                                    + ('; fine for an unlabelled test set)'
                                       if level == 'info' else ')')))
    return findings


def check_bit_depth(splits, scans):
    """16-bit images: the loader must decode them at full depth, and its ``depth_max``
    (the value loaded as 255) should span the values the images use."""
    findings = []
    for split in _real(splits):
        deep = [scans[s.img_path] for s in split.samples
                if scans[s.img_path].bits == 16 and scans[s.img_path].max_value is not None]
        if not deep:
            continue
        peak = max(d.max_value for d in deep)
        span = 2 ** max(1, peak.bit_length()) - 1  # all ones over the bits the data use
        what = (f'{split.name}: {len(deep)} of {len(split.samples)} images are 16-bit '
                f'(largest value {peak}, {peak.bit_length()} bits)')
        path = f'{split.dataset_path}.pipeline'
        pipeline = inner_dataset_cfg(split).get('pipeline')
        found = (find_transform(pipeline, 'CheckedLoadImageFromFile')
                 or find_transform(pipeline, 'LoadImageFromFile'))
        if found is None or short_type(found[1]['type']) != 'CheckedLoadImageFromFile':
            findings.append(Finding(
                'warning', 'bit_depth',
                f"{what}: mmcv's LoadImageFromFile keeps only their high byte (OpenCV) or "
                'clips them at 255 (pillow); CheckedLoadImageFromFile decodes them at full '
                'depth', fix=[f'{path}.{found[0]}.type=CheckedLoadImageFromFile',
                              f'{path}.{found[0]}.depth_max={span}'] if found else []))
            continue
        index, loader = found
        depth_max = loader.get('depth_max') or 65535
        fix = [f'{path}.{index}.depth_max={span}']
        if peak > depth_max:
            clipped = sum(d.max_value > depth_max for d in deep)
            findings.append(Finding(
                'warning', 'bit_depth',
                f'{what}: depth_max={depth_max} clips {clipped} of them (values above it '
                'load as 255)', fix=fix))
        elif peak <= depth_max // 2:
            findings.append(Finding(
                'warning', 'bit_depth',
                f'{what}: with depth_max={depth_max} the brightest loads as '
                f'{round(peak * 255 / depth_max)} of 255; set depth_max to the range of '
                'the camera or detector (all images alike), at least their largest value',
                fix=fix))
        else:
            findings.append(Finding(
                'info', 'bit_depth',
                f'{what}: loaded as value x 255 / {depth_max} (depth_max)'))
    return findings


def check_leakage(leaks):
    if not leaks:
        return []
    pairs = Counter(f'{leak["a"][0]}/{leak["b"][0]}' for leak in leaks)
    return [Finding('error', 'leakage',
                    f'{len(leaks)} identical files across splits '
                    f'({", ".join(f"{k}: {n}" for k, n in pairs.items())})',
                    items=[f'{leak["a"][0]}:{leak["a"][1]} == {leak["b"][0]}:{leak["b"][1]}'
                           for leak in leaks])]


def check_duplicates_within(within):
    return [Finding('warning', 'duplicates',
                    f'{split}: {sum(len(g) - 1 for g in groups)} duplicate images '
                    '(identical content, different files)',
                    items=[' == '.join(g) for g in groups])
            for split, groups in within.items()]


def check_annotated_sizes(splits, scans):
    """Detection: the json's width/height against the decoded image."""
    findings = []
    for split in _real(splits):
        wrong = [f'{s.img_path}: annotated {s.width}x{s.height}, file '
                 f'{scans[s.img_path].size[0]}x{scans[s.img_path].size[1]}'
                 for s in split.samples
                 if s.width and scans[s.img_path].size
                 and tuple(scans[s.img_path].size) != (s.width, s.height)]
        if wrong:
            findings.append(Finding('warning', 'size_mismatch',
                                    f'{split.name}: {len(wrong)} images differ in size from '
                                    'their annotation', items=wrong))
    return findings


def check_filtered(splits):
    """Images the train split's ``filter_cfg`` leaves out (listed by ``filtered_images``)."""
    findings = []
    for split in _real(splits):
        small = [d for d in split.dropped if d['kind'] == 'min_size']
        empty = [d for d in split.dropped if d['kind'] == 'empty']
        if small:
            min_size = inner_dataset_cfg(split)['filter_cfg']['min_size']
            findings.append(Finding(
                'warning', 'filtered_images',
                f'{split.name}: filter_cfg.min_size={min_size} leaves {len(small)} image(s) out '
                'of training (their shorter side is smaller; the filter is on image size, '
                'not object size)', fix=[f'{split.dataset_path}.filter_cfg.min_size=0'],
                items=[f'{d["path"]}: {d["reason"]}' for d in small]))
        if empty:
            findings.append(Finding('info', 'filtered_images',
                                    f'{split.name}: {len(empty)} image(s) without instances '
                                    'are left out of training (filter_cfg.filter_empty_gt)'))
    return findings


def _scale_fix(split, size):
    """``--cfg-options`` items that resize images of ``size`` (w, h) to about their own
    size; a ``CenterCrop`` after the resize shrinks by the same ratio."""
    step, path = split.resize, f'{split.dataset_path}.pipeline'
    scale = step.scale_for(*size)
    fix = [f'{path}.{step.index}.scale={scale}'.replace(' ', '')]
    pipeline = inner_dataset_cfg(split).get('pipeline') or []
    crop = find_transform(pipeline[step.index + 1:], 'CenterCrop')
    old = step.cfg.get('scale')
    if crop and isinstance(scale, int) and isinstance(old, int) and isinstance(
            crop[1].get('crop_size'), int):
        new_crop = max(1, round(crop[1]['crop_size'] * scale / old))
        fix.append(f'{path}.{step.index + 1 + crop[0]}.crop_size={new_crop}')
    return fix


def check_image_scale(splits, scans):
    """Images much smaller (or larger) than the pipeline's resize scale."""
    findings = []
    for split in _real(splits):
        sizes = image_sizes(split.samples, scans)
        if split.resize is None or not sizes:
            continue
        factors = resize_factors(sizes, split.resize)
        median = tuple(int(v) for v in np.median(np.array(sizes), axis=0))
        fix = _scale_fix(split, median)
        up, down = factors[:, 0].max(), factors[:, 1].min()
        if up > UPSCALE_WARN:
            w, h = sizes[int(factors[:, 0].argmax())]
            findings.append(Finding(
                'warning', 'upscaled',
                f'{split.name}: {split.resize.describe()} enlarges images up to x{up:.1f} '
                f'(e.g. {w}x{h}; median image {median[0]}x{median[1]})', fix=fix))
        if down < DOWNSCALE_WARN:
            w, h = sizes[int(factors[:, 1].argmin())]
            findings.append(Finding(
                'warning', 'downscaled',
                f'{split.name}: {split.resize.describe()} shrinks images down to x{down:.2f} '
                f'(e.g. {w}x{h}; median image {median[0]}x{median[1]}): fine detail is lost',
                fix=fix))
    return findings


# -- classification ----------------------------------------------------------------
def suggest_sampler_mode(ratio):
    """ClassBalancedSampler mode for a largest/smallest class ratio (None: balanced)."""
    if ratio < IMBALANCE_WARN:
        return None
    return 'sqrt' if ratio < IMBALANCE_OVERSAMPLE else 'oversample'


def train_balancing(cfg):
    """The train dataloader's class balancing (sampler or dataset wrapper), or None."""
    loader = cfg.get('train_dataloader') or {}
    sampler = loader.get('sampler') or {}
    if short_type(sampler.get('type')) in BALANCED_SAMPLERS:
        mode = sampler.get('mode')
        return short_type(sampler['type']) + (f'(mode={mode!r})' if mode else '')
    dataset = loader.get('dataset') or {}
    if short_type(dataset.get('type')) in BALANCED_DATASETS:
        return short_type(dataset['type'])
    return None


def check_class_balance(cfg, splits, family):
    """Largest/smallest class of the train split, and the sampler that evens it."""
    train = next((s for s in splits if s.name == 'train'), None)
    if train is None or not train.samples:
        return [], None
    counts = train.stats['per_class']
    findings = []
    missing = [c for c, n in counts.items() if n == 0]
    if missing:
        findings.append(Finding('warning', 'class_missing',
                                f'train: no {"image" if family == "cls" else "instance"} of '
                                f'class {", ".join(missing)}'))
    present = {c: n for c, n in counts.items() if n > 0}
    if len(present) < 2:
        return findings, None
    largest, smallest = max(present, key=present.get), min(present, key=present.get)
    ratio = present[largest] / present[smallest]
    mode = suggest_sampler_mode(ratio)
    balancing = train_balancing(cfg)
    info = dict(ratio=round(ratio, 2), largest=[largest, present[largest]],
                smallest=[smallest, present[smallest]], train_sampler=balancing,
                suggested=None)
    if mode is None:
        return findings, info
    message = (f'train: class imbalance {ratio:.1f}:1 ({largest} {present[largest]}, '
               f'{smallest} {present[smallest]})')
    if balancing:
        findings.append(Finding('info', 'imbalance', f'{message}, balanced by {balancing}'))
        return findings, info
    prefix = 'train_dataloader.sampler.'
    if family == 'cls':
        info['suggested'] = f'ClassBalancedSampler(mode={mode!r})'
        fix = [f'{prefix}_delete_=True', f'{prefix}type=ClassBalancedSampler',
               f'{prefix}mode={mode}']
    else:  # mmdet's sampler draws images class by class
        info['suggested'] = 'ClassAwareSampler'
        fix = [f'{prefix}_delete_=True', f'{prefix}type=ClassAwareSampler']
    findings.append(Finding('warning', 'imbalance',
                            f'{message}: sample with {info["suggested"]}', fix=fix))
    return findings, info


def check_class_coverage(splits):
    """Classes seen in training but absent from an evaluation split."""
    train = next((s for s in _real(splits) if s.name == 'train'), None)
    if train is None:
        return []
    findings = []
    for split in _real(splits):
        if split is train or not any(s.labels for s in split.samples):
            continue  # an unlabelled (test) split: reported by check_empty
        absent = [c for c, n in split.stats['per_class'].items()
                  if n == 0 and train.stats['per_class'].get(c, 0) > 0]
        if absent:
            findings.append(Finding('warning', 'class_missing',
                                    f'{split.name}: no sample of class {", ".join(absent)} '
                                    '(its recall cannot be measured)'))
    return findings


# -- detection ---------------------------------------------------------------------
def densest_image(splits):
    """``(instances, split, path)`` of the image with the most instances, or None."""
    best = None
    for split in _real(splits):
        for s in split.samples:
            if best is None or len(s.labels) > best[0]:
                best = (len(s.labels), split.name, s.img_path)
    return best


def check_limits(cfg, splits):
    """Instances per image against every per-image cap of the model and the metric."""
    densest = densest_image(splits)
    limits = model_limits(cfg)
    table = [dict(name=lim.name, key=lim.key, value=lim.value) for lim in limits]
    if not densest or densest[0] == 0:
        return [], table
    n, split, path = densest
    findings = []
    for lim, row in zip(limits, table):
        need = lim.margin * n
        row['needed'] = int(np.ceil(need))
        if lim.value >= need:
            continue
        if lim.margin > 1.5:
            how = f'is under {lim.margin:g} per instance of'
        elif lim.value < n:
            how = 'is below'
        else:
            how = f'leaves under {lim.margin:g}x room over'
        findings.append(Finding(
            'warning', 'max_per_img',
            f'{lim.name} = {lim.value} {how} the densest image\'s {n} instances '
            f'({split}: {path})', fix=[lim.fix(n)]))
    return findings, table


def check_object_sizes(cfg, splits, scans):
    """Objects (sqrt of box area, after the resize) against the smallest anchor and
    the RPN's ``min_bbox_size``."""
    anchor = anchor_info(cfg)
    sizes = {s.name: object_sizes(s.samples, scans, s.resize)[1] for s in _real(splits)}
    everything = np.concatenate(list(sizes.values())) if sizes else np.zeros(0)
    info = None
    findings = []
    if anchor is not None:
        info = dict(head=anchor.head, stride=anchor.stride, scales=list(anchor.scales),
                    ratios=list(anchor.ratios), smallest_anchor=anchor.size,
                    shortest_anchor_side=round(anchor.shortest_side, 1),
                    min_pos_iou=anchor.min_pos_iou,
                    min_matchable_object=round(anchor.min_matchable, 1))
        small = {name: int((v < anchor.min_matchable).sum()) for name, v in sizes.items()}
        if everything.size and sum(small.values()):
            low = float(everything.min())
            fix = anchor.fix(low)
            findings.append(Finding(
                'warning', 'small_objects',
                f'{sum(small.values())} of {everything.size} objects are smaller than '
                f'{anchor.min_matchable:.1f} px after resize (smallest {low:.1f} px; '
                f'sqrt of box area): the smallest anchor ({anchor.size:g} px = stride '
                f'{anchor.stride:g} x scale {min(anchor.scales)}) reaches no IoU >= '
                f'min_pos_iou {anchor.min_pos_iou:g} with them'
                + ('' if fix else '; enlarge the images (pipeline scale)'),
                fix=[fix] if fix else [],
                items=[f'{name}: {n}' for name, n in small.items() if n]))
    rpn_min = ((cfg.get('model') or {}).get('test_cfg') or {}).get('rpn', {}) or {}
    rpn_min = rpn_min.get('min_bbox_size', 0)
    if rpn_min and everything.size and (everything < rpn_min).any():
        findings.append(Finding(
            'warning', 'small_objects',
            f'{int((everything < rpn_min).sum())} objects are smaller than the RPN\'s '
            f'min_bbox_size={rpn_min} px', fix=['model.test_cfg.rpn.min_bbox_size=0']))
    return findings, info


#: the particle recipe from scratch measured best on real EM particles (docs/particles.md)
CPU_RECIPE = 'configs/particles/mask-rcnn_r18-thin_fpn_1xb2-1200i_particles-native.py'
#: what sets that recipe's model apart: Mask R-CNN with anchors fitted to real particle sizes
CPU_RECIPE_ANCHOR_SCALES = [2, 4]


def check_recipe(cfg):
    """A particle model trained from scratch (no ``load_from``, no pretrained backbone)
    other than the CPU recipe's: point to the recipe measured best without weights."""
    model = cfg.get('model') or {}
    if cfg.get('load_from') or (model.get('backbone') or {}).get('init_cfg'):
        return []
    scales = ((model.get('rpn_head') or {}).get('anchor_generator') or {}).get('scales')
    if (model.get('type') in ('MaskRCNN', 'SlicedMaskRCNN')
            and list(scales or []) == CPU_RECIPE_ANCHOR_SCALES):
        return []
    return [Finding(
        'info', 'recipe',
        f"{model.get('type')} is trained from scratch here (no load_from, no pretrained "
        f'backbone): on real EM particles, in the same CPU budget, {CPU_RECIPE} scored best '
        '(docs/particles.md); inherit it and set particle_data_root')]
