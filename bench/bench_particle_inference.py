"""Particle inference: mmext's test path against plain mmdet's, same weights, same images.

Variants (``VARIANTS``: one line each; a variant is a tool plus a few config lines put in a
child of the particle config or of the plain mmdet config):

* ``mmdet``        mmdet's own ``tools/test.py`` (site-packages/mmdet/.mim/tools) with
                   ``mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py``, one class, the particle
                   test pipeline's scale and test_cfg, ``CocoDataset`` and
                   ``CocoMetric(format_only=True, outfile_prefix=...)``: results json only;
* ``mmext``        mmext's ``tools/test.py`` with
                   ``configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py`` as is
                   (ParticleDataset, COCO mAP + IoU-F1 evaluation, ParticleReportHook,
                   NumClassesCheckHook);
* ``mmext-format-only``  the same with mmdet's format-only CocoMetric as test_evaluator;
* ``mmext-format-only-no-report``  and without ParticleReportHook;
* ``mmext-submission``  mmext's submission path: ``tools/test.py --submission OUT.json
                   --img-dir images/val`` (ParticleSubmissionMetric: RLE, loadRes check,
                   atomic write; no ground truth, no report).

Both model dicts are checked equal before timing. Weights: random init (seed 0), saved
once; with random weights every R-CNN score is ~0.5, above the particle score_thr 0.4, so
both paths keep ``--dets`` detections per image (``model.test_cfg.rcnn.max_per_img``,
100 by default, set in both): the mask pasting and RLE load of a realistic image.
Images: ``mmext.demo`` particle photos, 1024x1280, 60-300 particles.

1. Whole process, the tools as a user runs them, interleaved repetitions: wall time and
   ratio to ``mmdet``.
2. Where the time goes: the ``mmext`` and ``mmdet`` configs once more in this process
   (num_workers=0, so data loading is timed too), inclusive time of each stage.
3. ``--tta`` (3 views, MaskTTAModel merge) against 3x one view, in this process.

Times: CPU seconds (user + system, the tool and its dataloader workers; in process, all
threads), which a shared and loaded machine distorts far less than wall time; wall time
beside them.

    python bench/bench_particle_inference.py [--images 1] [--reps 2] [--dets 100]
        [--variants mmdet mmext ...] [--quick] [--threads 1] [--skip-tta] [--skip-profile]
"""
import argparse
import collections
import contextlib
import functools
import io
import json
import os
import os.path as osp
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PARTICLE_CFG = osp.join(ROOT, 'configs/particles/mask-rcnn_r50_fpn_1xb2-1x_particles.py')
MMEXT_TEST = osp.join(ROOT, 'tools', 'test.py')
FORMAT_ONLY = ("dict(type='CocoMetric', ann_file=ANN, metric=['bbox', 'segm'], "
               "format_only=True, outfile_prefix=OUT + '/results')")
NO_REPORT = "custom_hooks = [dict(type='NumClassesCheckHook')]"
# name: (tool, base config ('particle' or 'plain'), config lines added in a child config)
VARIANTS = {
    'mmdet': ('mmdet', 'plain', ''),
    'mmext': ('mmext', 'particle', ''),
    'mmext-format-only': ('mmext', 'particle', f'test_evaluator = [{FORMAT_ONLY}]'),
    'mmext-format-only-no-report': ('mmext', 'particle',
                                    f'test_evaluator = [{FORMAT_ONLY}]\n{NO_REPORT}'),
    'mmext-submission': ('mmext', 'particle', ''),
}
# extra tools/test.py arguments of a variant ({out}: its output folder, {root}: the data)
VARIANT_ARGS = {'mmext-submission': ('--submission', '{out}/results.segm.json',
                                     '--img-dir', '{root}/images/val', '--force')}
QUICK = ('mmdet', 'mmext', 'mmext-submission')

PLAIN_CFG = """_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
model = dict(roi_head=dict(bbox_head=dict(num_classes=1), mask_head=dict(num_classes=1)),
             test_cfg={test_cfg!r})
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale={scale!r}, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))]
test_dataloader = dict(dataset=dict(
    data_root=ROOT, ann_file='annotations/val.json', data_prefix=dict(img='images/val/'),
    metainfo=dict(classes=('Normal', )), pipeline=test_pipeline))
test_evaluator = {format_only}
"""


def mmdet_test_tool():
    import mmdet
    return osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'test.py')


def write_variant_configs(tmp, data_root, dets):
    """One child config per variant; returns {name: path} and the shared model dict."""
    from mmengine.config import Config
    particle = Config.fromfile(PARTICLE_CFG)
    test_cfg = particle.model.test_cfg.to_dict()
    test_cfg['rcnn']['max_per_img'] = dets
    scale = particle.particle_scale
    ann = osp.join(data_root, 'annotations', 'val.json')
    paths = {}
    for name, (_, base, lines) in VARIANTS.items():
        out = osp.join(tmp, 'out', name)
        os.makedirs(out, exist_ok=True)
        head = f'ROOT = {data_root!r}\nANN = {ann!r}\nOUT = {out!r}\n'
        if base == 'plain':
            text = PLAIN_CFG.format(test_cfg=test_cfg, scale=scale, format_only=FORMAT_ONLY)
        else:
            text = (f'_base_ = {PARTICLE_CFG!r}\nparticle_data_root = ROOT\n'
                    f'model = dict(test_cfg=dict(rcnn=dict(max_per_img={dets})))\n')
        paths[name] = osp.join(tmp, f'{name}.py')
        with open(paths[name], 'w') as f:
            f.write(head + text + lines + '\n')
    models = {n: Config.fromfile(p).model.to_dict() for n, p in paths.items()}
    for name, model in models.items():
        model['backbone'].pop('init_cfg', None)  # the checkpoint holds every weight
        assert model == models['mmdet'], f'{name}: the model differs from plain mmdet\'s'
    return paths


def save_random_weights(cfg_path, ckpt):
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmdet.registry import MODELS
    from mmext.utils.config import drop_pretrained_init
    cfg = Config.fromfile(cfg_path)
    drop_pretrained_init(cfg)
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': ('Normal', )}}}, ckpt)


def run_tool(name, cfg_path, ckpt, work_dir, threads, out, data_root):
    tool = MMEXT_TEST if VARIANTS[name][0] == 'mmext' else mmdet_test_tool()
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS=str(threads))
    extra = [a.format(out=out, root=data_root) for a in VARIANT_ARGS.get(name, ())]
    r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    proc = subprocess.run([sys.executable, tool, cfg_path, ckpt, '--work-dir', work_dir,
                           *extra], env=env, cwd=ROOT, capture_output=True, text=True)
    wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.exit(f'{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')
    # CPU time of the tool and its dataloader workers: what a shared, loaded machine
    # distorts least
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu


def detections_per_image(tmp, name):
    path = osp.join(tmp, 'out', name, 'results.segm.json')
    if not osp.isfile(path):
        return None
    dets = json.load(open(path))
    per_image = collections.Counter(d['image_id'] for d in dets)
    return statistics.mean(per_image.values()) if per_image else 0.0


class StageTimer:
    """Inclusive CPU time (all threads of the process) of named functions, by wrapping
    them in place."""

    def __init__(self):
        self.times = collections.defaultdict(float)
        self.calls = collections.Counter()

    def wrap(self, owner, attr, label):
        fn = getattr(owner, attr)
        times, calls = self.times, self.calls

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            t0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                times[label] += time.process_time() - t0
                calls[label] += 1
        setattr(owner, attr, timed)

    def reset(self):
        self.times.clear()
        self.calls.clear()


STAGES = [  # (label, import path of the owner, attribute); inclusive, nested by indentation
    ('test loop (all)', 'mmengine.runner.loops.TestLoop', 'run'),
    ('  data pipeline (load, resize, pack)', 'mmengine.dataset.base_dataset.Compose',
     '__call__'),
    ('  model.test_step', 'mmdet.models.detectors.base.BaseDetector', 'test_step'),
    ('    data preprocessor', 'mmdet.models.data_preprocessors.DetDataPreprocessor',
     'forward'),
    ('    backbone (ResNet-50)', 'mmdet.models.backbones.ResNet', 'forward'),
    ('    neck (FPN)', 'mmdet.models.necks.FPN', 'forward'),
    ('    RPN head (+ proposals NMS)', 'mmdet.models.dense_heads.RPNHead', 'predict'),
    ('    RoI box head (+ NMS)', 'mmdet.models.roi_heads.StandardRoIHead', 'predict_bbox'),
    ('    RoI mask head (+ pasting)', 'mmdet.models.roi_heads.StandardRoIHead',
     'predict_mask'),
    ('      mask pasting to full size',
     'mmdet.models.roi_heads.mask_heads.fcn_mask_head', '_do_paste_mask'),
    ('  CocoMetric.process (RLE encoding)', 'mmdet.evaluation.metrics.CocoMetric', 'process'),
    ('  CocoMetric.compute_metrics', 'mmdet.evaluation.metrics.CocoMetric',
     'compute_metrics'),
    ('    results2json (JSON writing)', 'mmdet.evaluation.metrics.CocoMetric',
     'results2json'),
    ('  IoUWeightedF1Metric.process', 'registry:METRICS:IoUWeightedF1Metric', 'process'),
    ('  IoUWeightedF1Metric.compute_metrics', 'registry:METRICS:IoUWeightedF1Metric',
     'compute_metrics'),
    ('  ParticleReportHook.after_test_iter', 'registry:HOOKS:ParticleReportHook',
     'after_test_iter'),
    ('  ParticleReportHook.after_test_epoch', 'registry:HOOKS:ParticleReportHook',
     'after_test_epoch'),
    ('  MaskTTAModel merge', 'registry:MODELS:MaskTTAModel', '_merge_single_sample'),
]


def install_stage_timers():
    import importlib

    import mmdet.registry as registry
    timer = StageTimer()
    for label, owner, attr in STAGES:
        if owner.startswith('registry:'):
            _, reg, name = owner.split(':')
            obj = getattr(registry, reg).get(name)
        else:
            module, _, cls = owner.rpartition('.')
            try:
                obj = getattr(importlib.import_module(module), cls)
            except ModuleNotFoundError:  # a module-level function
                obj = importlib.import_module(owner)
                obj = obj if hasattr(obj, attr) else None
        if obj is not None:
            timer.wrap(obj, attr, label)
    return timer


def run_in_process(cfg_path, ckpt, work_dir, tta=False):
    """tools/test.py's work for one config, in this process (num_workers=0)."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    from mmext.engine.checkpoint import install_checkpoint_policy
    from mmext.utils.config import apply_tta, drop_pretrained_init, load_config
    install_checkpoint_policy()  # as tools/test.py does
    # mmext's tools move the data paths under the config's root variable; mmdet's do not
    plain = VARIANTS[osp.splitext(osp.basename(cfg_path))[0]][1] == 'plain'
    cfg = Config.fromfile(cfg_path) if plain else load_config(cfg_path)
    drop_pretrained_init(cfg)
    cfg.load_from, cfg.work_dir = ckpt, work_dir
    cfg.test_dataloader.num_workers, cfg.test_dataloader.persistent_workers = 0, False
    cfg.log_level = 'WARNING'
    if tta:
        apply_tta(cfg, cfg_path)
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools' prints
        runner = Runner.from_cfg(cfg)
        t0 = time.process_time()
        runner.test()
        return time.process_time() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=1)
    parser.add_argument('--reps', type=int, default=2, help='interleaved whole-process runs')
    parser.add_argument('--dets', type=int, default=100, help='detections kept per image')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (1: idle threads spinning on a shared machine '
                        'inflate CPU time)')
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS), default=list(QUICK))
    parser.add_argument('--quick', action='store_true',
                        help='1 image, 1 repetition, no in-process profile, no TTA')
    parser.add_argument('--skip-profile', action='store_true')
    parser.add_argument('--skip-tta', action='store_true')
    args = parser.parse_args()
    if args.quick:
        args.images, args.reps, args.skip_profile, args.skip_tta = 1, 1, True, True

    import torch
    from mmengine.logging import MMLogger
    from mmext.demo import make_particle_dataset
    from mmext.utils.config import register_scope
    register_scope('mmdet')
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('mmengine', log_level='WARNING')

    tmp_dir = tempfile.TemporaryDirectory()
    tmp = tmp_dir.name
    data_root = osp.join(tmp, 'data') + '/'
    counts = make_particle_dataset(data_root, seed=0, num_train=0, num_val=args.images,
                                   num_test=0, size=(1024, 1280), num_range=(60, 300))
    paths = write_variant_configs(tmp, data_root, args.dets)
    ckpt = osp.join(tmp, 'random.pth')
    save_random_weights(paths['mmext'], ckpt)
    load = os.getloadavg()
    print(f'{args.images} images 1024x1280, {counts["val"]} particles, {args.dets} detections '
          f'kept per image, {args.threads} threads; load average {load[0]:.2f} '
          f'{load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} cores', flush=True)

    # 1. whole process, interleaved
    walls, cpus = collections.defaultdict(list), collections.defaultdict(list)
    for rep in range(args.reps):
        order = args.variants if rep % 2 == 0 else args.variants[::-1]
        for name in order:
            wall, cpu = run_tool(name, paths[name], ckpt, osp.join(tmp, 'work', name),
                                 args.threads, osp.join(tmp, 'out', name), data_root)
            walls[name].append(wall)
            cpus[name].append(cpu)
            print(f'  rep {rep + 1}: {name:28s} wall {wall:7.2f} s  CPU {cpu:7.2f} s',
                  flush=True)
    print('\nwhole process (tools/test.py), median of reps; goal mmext <= 1.02x mmdet')
    print(f'  {"variant":28s} {"CPU s":>8s} {"x mmdet":>8s} {"wall s":>8s} {"x mmdet":>8s} '
          f'{"dets/img":>8s}')
    for name in args.variants:
        row = ''
        for runs in (cpus, walls):
            med = statistics.median(runs[name])
            base = statistics.median(runs['mmdet']) if 'mmdet' in runs else None
            row += f'{med:8.2f} ' + (f'{med / base:8.3f} ' if base else f'{"-":>8s} ')
        dets = detections_per_image(tmp, name)
        dets = f'{dets:8.1f}' if dets is not None else f'{"-":>8s}'
        print(f'  {name:28s} {row}{dets}')

    # 2. where the time goes
    timer = install_stage_timers() if not (args.skip_profile and args.skip_tta) else None
    loops = {}
    if not args.skip_profile:
        cols = {}
        for name in ('mmext', 'mmdet'):
            timer.reset()
            loops[name] = run_in_process(paths[name], ckpt, osp.join(tmp, 'prof', name))
            cols[name] = dict(timer.times)
        print(f'\nwhere the time goes, in process, {args.images} image(s) (inclusive CPU s, '
              'all threads; nested lines are part of the line above)')
        print(f'  {"stage":44s} {"mmext":>8s} {"mmdet":>8s}')
        for label, _, _ in STAGES:
            vals = [cols[n].get(label) for n in ('mmext', 'mmdet')]
            if any(v is not None for v in vals):
                print(f'  {label:44s} ' + ' '.join(
                    f'{v:8.2f}' if v is not None else f'{"-":>8s}' for v in vals))
        print(f'  test loop ratio mmext / mmdet: {loops["mmext"] / loops["mmdet"]:.3f}x')

    # 3. TTA: 3 views against 3x one view
    if not args.skip_tta:
        # format-only, no report: the model, the merge and the results json, not the
        # evaluation and the report, which run once whatever the number of views
        name = 'mmext-format-only-no-report'
        one = run_in_process(paths[name], ckpt, osp.join(tmp, 'prof', 'one'))
        timer.reset()
        tta = run_in_process(paths[name], ckpt, osp.join(tmp, 'prof', 'tta'), tta=True)
        merge = timer.times.get('  MaskTTAModel merge', 0.0)
        print(f'\n--tta (identity + h-flip + v-flip, MaskTTAModel) on {name}, '
              f'{args.images} images, in process')
        print(f'  test loop CPU s: one view {one:8.2f}   3 x one view {3 * one:8.2f}')
        print(f'  --tta {tta:8.2f} = {tta / (3 * one):.3f} x (3 x one view); '
              f'merge {merge:.2f} s ({100 * merge / tta:.1f} %)')
    tmp_dir.cleanup()


if __name__ == '__main__':
    main()
