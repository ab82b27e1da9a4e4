"""Share of RLE encoding + JSON writing in the time of a whole submission run.

Runs ``mmext.apis.run_submission`` once (a random-init model: the particle Mask R-CNN
R50-FPN config by default, at the competition's 1024×1280 on generated particle
photos) and prints the stages it timed: inference (with data loading), RLE encoding
and result building, JSON writing, and the rest (config, model build, checkpoint).
Random weights give the model's maximum number of full-size masks per image, i.e. the
encoding load is at its worst.

    python bench/bench_submission.py [--config CFG] [--images 3] [--device cpu]
"""
import argparse
import os.path as osp
import tempfile
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CFG = osp.join(ROOT, 'configs', 'particles', 'mask-rcnn_r50_fpn_1xb2-1x_particles.py')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=DEFAULT_CFG)
    parser.add_argument('--images', type=int, default=3)
    parser.add_argument('--height', type=int, default=1024)
    parser.add_argument('--width', type=int, default=1280)
    parser.add_argument('--device', default=None)
    args = parser.parse_args()

    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    from mmext.apis import run_submission
    from mmext.demo import make_particle_dataset
    with tempfile.TemporaryDirectory() as tmp:
        make_particle_dataset(osp.join(tmp, 'data'), num_train=0, num_val=0,
                              num_test=args.images, size=(args.height, args.width),
                              num_range=(50, 70))
        cfg = Config.fromfile(args.config)
        init_default_scope(cfg.get('default_scope', 'mmdet'))
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        ckpt = osp.join(tmp, 'random.pth')
        torch.save({'state_dict': model.state_dict(),
                    'meta': {'dataset_meta': {'classes': ('Normal', )}}}, ckpt)
        del model
        t0 = time.perf_counter()
        s = run_submission(cfg, ckpt, osp.join(tmp, 'submission.json'),
                           ann_file=osp.join(tmp, 'data', 'annotations', 'test.json'),
                           img_dir=osp.join(tmp, 'data', 'images', 'test'),
                           device=args.device, num_workers=0, progress=False)
        total = time.perf_counter() - t0
        size = osp.getsize(osp.join(tmp, 'submission.json'))
    other = total - s['time_inference'] - s['time_encode'] - s['time_write']
    print(f"{osp.basename(args.config)} on {s['images']} images {args.height}×{args.width} "
          f"({'cuda' if torch.cuda.is_available() and args.device != 'cpu' else 'cpu'}), "
          f"{s['predictions']} predictions, {size / 1e6:.1f} MB json")
    for name, t in (('inference + data loading', s['time_inference']),
                    ('RLE encoding + results', s['time_encode']),
                    ('JSON writing', s['time_write']), ('config/model/checkpoint', other)):
        print(f'{name:26s} {t:8.3f} s  {100 * t / total:6.2f} %')
    share = (s['time_encode'] + s['time_write']) / total
    print(f'encoding + writing share: {100 * share:.2f} %  (goal <= 5 %)')
    # the crop-based encoder against one pycocotools call on the whole H×W×N stack
    from mmext.evaluation.functional.rle import encode_masks
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
