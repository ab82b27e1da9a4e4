"""Whole-process ``tools/analysis_tools/eval_iou_f1.py GT RESULTS`` vs an official-style scorer.

The competition's scorer reads the two jsons with json + pycocotools and calls
``pycocotools.mask.iou`` once per (prediction, ground truth) pair
(:func:`mmext.testing.iou_weighted_f1_reference`, run in its own light process). Both
run as fresh processes on the same generated competition-sized pair of files (350 images
of 1024×1280, 60 ground truths and 100 predictions each, see ``bench_iou_f1.py``); the
values must agree to 1e-9.

The tool's time is the best of 3 runs; wall and CPU (user + system) seconds are printed.

    python bench/bench_eval_iou_f1_tool.py [--images 350] [--with-map] [--quick]
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np
from pycocotools import mask as mask_utils

from bench_iou_f1 import H, W, make_image

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'eval_iou_f1.py')
KEYS = ('iou_f1', 'iou_precision', 'iou_recall', 'sum_iou', 'tp', 'fp', 'fn')
# the official-style scorer: json + pycocotools in, pair-by-pair IoUs, numbers out
REFERENCE = """
import json, sys
from pycocotools.coco import COCO
from mmext.testing.oracles import iou_weighted_f1_reference
coco = COCO(sys.argv[1])
results = json.load(open(sys.argv[2]))
ids = sorted(coco.imgs)
gts = [[coco.annToRLE(a) for a in coco.imgToAnns.get(i, [])] for i in ids]
preds = {i: [] for i in ids}
for r in results:
    preds[r['image_id']].append(r['segmentation'])
m = iou_weighted_f1_reference(gts, [preds[i] for i in ids])
json.dump(m, open(sys.argv[3], 'w'))
"""


def write_case(folder, num_images, seed=0):
    """The gt json (compressed-RLE annotations) and the results json of a generated set."""
    rng = np.random.default_rng(seed)
    images, anns, results = [], [], []
    for img_id in range(1, num_images + 1):
        gts, preds = make_image(rng)
        images.append(dict(id=img_id, file_name=f'{img_id:04d}.png', height=H, width=W))
        for rle in gts:
            rle['counts'] = rle['counts'].decode('ascii')
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=1, iscrowd=0,
                             segmentation=rle, area=float(mask_utils.area(rle)),
                             bbox=mask_utils.toBbox(rle).tolist()))
        for rle, score in zip(preds, rng.uniform(0.05, 1, len(preds))):
            rle['counts'] = rle['counts'].decode('ascii')
            results.append(dict(image_id=img_id, category_id=1, segmentation=rle,
                                score=round(float(score), 4)))
    gt_path, res_path = osp.join(folder, 'gt.json'), osp.join(folder, 'results.json')
    with open(gt_path, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='Normal')]), f)
    with open(res_path, 'w') as f:
        json.dump(results, f)
    return gt_path, res_path


def timed(cmd, env=None, repeat=1):
    """Best of ``repeat`` runs: ``(wall s, CPU s of the process)``."""
    best = None
    for _ in range(repeat):
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=REPO)
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
        best = (wall, cpu) if best is None or wall < best[0] else best
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=350)
    parser.add_argument('--quick', action='store_true', help='30 images')
    parser.add_argument('--with-map', action='store_true',
                        help='also time the tool with --coco-map (minutes at full size)')
    args = parser.parse_args()
    num = 30 if args.quick else args.images
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        gt, res = write_case(tmp, num)
        out_tool, out_ref = osp.join(tmp, 'tool.json'), osp.join(tmp, 'ref.json')
        rows = [('eval_iou_f1.py GT RESULTS',
                 timed([sys.executable, TOOL, gt, res, '--out', out_tool], env, repeat=3))]
        if args.with_map:
            rows.append(('eval_iou_f1.py --coco-map (+ COCOeval)',
                         timed([sys.executable, TOOL, gt, res, '--coco-map', '--out',
                                osp.join(tmp, 'map.json')], env)))
        t_ref = timed([sys.executable, '-c', REFERENCE, gt, res, out_ref], env)
        with open(out_tool) as f:
            tool = json.load(f)
        with open(out_ref) as f:
            ref = json.load(f)
    equal = all(abs(tool[k] - ref[k]) <= 1e-9 for k in KEYS)
    print(f'{num} images {H}×{W}, {tool["tp"] + tool["fn"]} ground truths, '
          f'{tool["num_predictions"]} predictions; whole processes')
    print('| scorer | wall s | CPU s | speed-up (wall) | speed-up (CPU) |\n'
          '|---|---:|---:|---:|---:|')
    for name, (wall, cpu) in [('official-style pair-by-pair', t_ref)] + rows:
        print(f'| {name} | {wall:.2f} | {cpu:.2f} | {t_ref[0] / wall:.1f}x | '
              f'{t_ref[1] / cpu:.1f}x |')
    print(f"values equal to 1e-9: {equal} (F1 {tool['iou_f1']:.12f} vs {ref['iou_f1']:.12f}, "
          f"TP/FP/FN {tool['tp']}/{tool['fp']}/{tool['fn']} vs {ref['tp']}/{ref['fp']}/"
          f"{ref['fn']});  goal >= 20x")
    if not equal:
        raise SystemExit('values differ')


if __name__ == '__main__':
    main()
