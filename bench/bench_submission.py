"""Share of RLE encoding + JSON writing in the time of a whole submission run.

Runs the submission path of ``tools/test.py --submission`` / ``tools/submit.py`` once
in-process (a random-init model: the particle Mask R-CNN R50-FPN config by default, at
the competition's 1024×1280 on generated particle photos) and prints where the time
goes: ``ParticleSubmissionMetric.process`` (RLE encoding and result building),
``compute_metrics`` (``loadRes`` check and JSON writing), the Runner's test loop less
those (inference with data loading), and the rest (config, Runner, model build,
checkpoint). Random weights give the model's maximum number of full-size masks per
image, i.e. the encoding load is at its worst.

    python bench/bench_submission.py [--config CFG] [--images 3] [--device cpu]
"""
import argparse
import os
import os.path as osp
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CFG = osp.join(ROOT, 'configs', 'particles', 'mask-rcnn_r50_fpn_1xb2-1x_particles.py')


def _timed(cls, name, totals):
    real = getattr(cls, name)

    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - t0

    setattr(cls, name, wrapper)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CFG)
    parser.add_argument('--images', type=int, default=3)
    parser.add_argument('--height', type=int, default=1024)
    parser.add_argument('--width', type=int, default=1280)
    parser.add_argument('--device', choices=['cpu', 'cuda'], default=None)
    args = parser.parse_args()
    if args.device == 'cpu':
        os.environ['CUDA_VISIBLE_DEVICES'] = ''

    import torch
    from mmengine.registry import MODELS, DefaultScope
    from mmengine.runner import Runner

    from mmext.demo import make_particle_dataset
    from mmext.evaluation.metrics.submission import ParticleSubmissionMetric
    from mmext.utils.config import load_config
    from mmext.utils.test_config import prepare_test_cfg
    totals = {}
    _timed(ParticleSubmissionMetric, 'process', totals)
    _timed(ParticleSubmissionMetric, 'compute_metrics', totals)
    _timed(Runner, 'test', totals)
    with tempfile.TemporaryDirectory() as tmp:
        make_particle_dataset(osp.join(tmp, 'data'), num_train=0, num_val=0,
                              num_test=args.images, size=(args.height, args.width),
                              num_range=(50, 70))
        cfg = load_config(args.config)
        with DefaultScope.overwrite_default_scope(cfg.default_scope):
            torch.manual_seed(0)
            model = MODELS.build(cfg.model)
        ckpt = osp.join(tmp, 'random.pth')
        torch.save({'state_dict': model.state_dict(),
                    'meta': {'dataset_meta': {'classes': ('Normal', )}}}, ckpt)
        del model
        out = osp.join(tmp, 'submission.json')
        t0 = time.perf_counter()
        prepare_test_cfg(cfg, ckpt, args.config, work_dir=osp.join(tmp, 'work'), submission=dict(
            outfile=out, ann_file=osp.join(tmp, 'data', 'annotations', 'test.json'),
            img_dir=osp.join(tmp, 'data', 'images', 'test'), num_workers=0))
        metrics = Runner.from_cfg(cfg).test()
        total = time.perf_counter() - t0
        size = osp.getsize(out)
    encode, write = totals['process'], totals['compute_metrics']
    infer = totals['test'] - encode - write
    print(f"{osp.basename(args.config)} on {metrics['submission/images']} images "
          f"{args.height}×{args.width} ({'cuda' if torch.cuda.is_available() else 'cpu'}), "
          f"{metrics['submission/predictions']} predictions, {size / 1e6:.1f} MB json")
    for name, t in (('inference + data loading', infer), ('RLE encoding + results', encode),
                    ('loadRes check + JSON writing', write),
                    ('config/Runner/model/checkpoint', total - totals['test'])):
        print(f'{name:30s} {t:8.3f} s  {100 * t / total:6.2f} %')
    print(f'encoding + writing share: {100 * (encode + write) / total:.2f} %  (goal <= 5 %)')
    # the crop-based encoder against one pycocotools call on the whole H×W×N stack
    from mmext.structures.rle import encode_masks
    from mmext.testing import encode_masks_dense
    gen = torch.Generator().manual_seed(0)
    masks = torch.zeros(300, args.height, args.width, dtype=torch.bool)
    for m in masks:
        y, x = torch.randint(0, args.height - 80, (2, ), generator=gen).tolist()
        h, w = torch.randint(5, 80, (2, ), generator=gen).tolist()
        m[y:y + h, x:x + w] = True
    t0 = time.perf_counter()
    fast = encode_masks(masks)
    t1 = time.perf_counter()
    dense = encode_masks_dense(masks)
    t2 = time.perf_counter()
    print(f'encoding 300 full-size masks: crop-based {t1 - t0:.3f} s, dense stack '
          f'{t2 - t1:.3f} s ({(t2 - t1) / (t1 - t0):.0f}x), identical: {fast == dense}')


if __name__ == '__main__':
    main()
