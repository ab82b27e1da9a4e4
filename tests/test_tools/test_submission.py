"""Submission: encoding/validation unit tests and cheap end-to-end runs of tools/submit.py
(a random-init thin Mask R-CNN on 64×80 demo images), round-tripped through pycocotools."""
import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmext.apis.submission import (check_results, load_test_images, predictions_to_results,
                                   validate_with_loadres)
from mmext.testing import load_tool
from mmext.utils import InputError

ROOT = Path(__file__).resolve().parents[2]
DEMO_CFG = ROOT / 'configs' / 'demo' / 'mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py'


def instances(masks, scores, labels=None):
    masks = torch.as_tensor(np.asarray(masks, bool))
    boxes = torch.tensor([[1.0, 2.0, 11.0, 7.0]] * len(masks)).reshape(-1, 4)
    return InstanceData(masks=masks, scores=torch.tensor(scores, dtype=torch.float32),
                        labels=torch.as_tensor(labels or [0] * len(masks)), bboxes=boxes)


def test_predictions_to_results():
    m = np.zeros((3, 20, 30), bool)
    m[0, 2:7, 1:11] = True
    m[1, 10:15, 5:9] = True
    m[2, 0:3, 0:3] = True
    image = dict(id=42, file_name='x.png', height=20, width=30)
    res = predictions_to_results(instances(m, [0.3, 0.9, 0.1]), image, [7], score_thr=0.2)
    assert [r['score'] for r in res] == [pytest.approx(0.9), pytest.approx(0.3)]
    assert all(r['image_id'] == 42 and r['category_id'] == 7 for r in res)
    assert isinstance(res[0]['segmentation']['counts'], str)
    assert (mask_utils.decode(res[0]['segmentation']) == m[1]).all()
    assert (mask_utils.decode(res[1]['segmentation']) == m[0]).all()
    assert res[1]['bbox'] == [1.0, 2.0, 10.0, 5.0]  # xyxy → xywh
    assert len(predictions_to_results(instances(m, [0.3, 0.9, 0.1]), image, [7],
                                      max_per_img=1)) == 1
    # no categories known: label index + 1
    assert predictions_to_results(instances(m[:1], [0.5], [0]), image, [])[0]['category_id'] == 1
    assert predictions_to_results(instances(m[:0], []), image, [1]) == []
    with pytest.raises(InputError, match='image 42'):
        predictions_to_results(instances(m, [0.5] * 3), dict(image, height=21), [1])
    summary = check_results(res, [image, dict(image, id=43)])
    assert summary == dict(images=2, predictions=2, images_without_predictions=1)


def test_load_test_images_errors(tmp_path):
    with pytest.raises(InputError, match='image folder not found'):
        load_test_images(None, str(tmp_path / 'nope'))
    (tmp_path / 't.json').write_text(json.dumps(dict(images=[dict(id=1, file_name='a.png',
                                                                 height=4, width=4)])))
    with pytest.raises(InputError, match='a.png not found'):
        load_test_images(str(tmp_path / 't.json'), str(tmp_path))


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    from mmext.demo import make_particle_dataset
    root = tmp_path_factory.mktemp('submission')
    make_particle_dataset(str(root / 'data'), num_train=1, num_val=2, num_test=3,
                          size=(64, 80), num_range=(3, 6))
    cfg = Config.fromfile(str(DEMO_CFG))
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    ckpt = root / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': ('Normal', )}}}, ckpt)
    # a config with mmext's mask TTA beside it
    tta_cfg = root / 'tta.py'
    tta_cfg.write_text(
        f"_base_ = ['{DEMO_CFG}']\n"
        "tta_model = dict(type='MaskTTAModel', tta_cfg=dict(max_per_img=50))\n"
        "tta_pipeline = [dict(type='LoadImageFromFile'), dict(type='TestTimeAug', "
        "transforms=[[dict(type='Resize', scale=(160, 128), keep_ratio=True)], "
        "[dict(type='RandomFlip', prob=0.), dict(type='RandomFlip', prob=1., "
        "direction='horizontal')], [dict(type='PackDetInputs', meta_keys=('img_id', "
        "'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip', "
        "'flip_direction'))]])]\n")
    return dict(root=root, data=root / 'data', ckpt=str(ckpt), tta_cfg=str(tta_cfg))


def test_submission_round_trip(demo, capsys):
    submit = load_tool('submit')
    data, out = demo['data'], demo['root'] / 'val_sub.json'
    gt_file = str(data / 'annotations' / 'val.json')
    s = submit.main([str(DEMO_CFG), demo['ckpt'], '--ann', gt_file,
                     '--img-dir', str(data / 'images' / 'val'), '--out', str(out),
                     '--num-workers', '0', '--device', 'cpu', '--score-thr', '0.1',
                     '--max-per-img', '40'])
    results = json.loads(out.read_text())
    gt = json.loads(Path(gt_file).read_text())
    assert s['images'] == 2 and s['predictions'] == len(results) > 0
    assert {r['image_id'] for r in results} <= {img['id'] for img in gt['images']}
    for r in results:
        assert r['segmentation']['size'] == [64, 80] and r['score'] >= 0.1
        assert isinstance(r['segmentation']['counts'], str) and len(r['bbox']) == 4
    per_image = np.bincount([r['image_id'] for r in results])
    assert per_image.max() <= 40
    # round trip through pycocotools
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(gt_file)
        dt = coco.loadRes(str(out))
        ev = COCOeval(coco, dt, 'segm')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    assert len(dt.anns) == len(results) and len(ev.stats) == 12
    m = load_tool('eval_iou_f1').main([gt_file, str(out)])
    assert 0 <= m['iou_f1'] <= 1 and m['tp'] + m['fn'] == len(gt['annotations'])
    # refuses to overwrite without --force (one-line error, exit 2)
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        submit.main([str(DEMO_CFG), demo['ckpt'], '--ann', gt_file, '--out', str(out)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'pass --force' in err and err.count('\n') == 1


def test_submission_folder_with_tta(demo):
    from mmext.apis import run_submission
    out = demo['root'] / 'folder_sub.json'
    out.write_text('old')
    s = run_submission(demo['tta_cfg'], demo['ckpt'], str(out),
                       img_dir=str(demo['data'] / 'images' / 'test'), tta=True, force=True,
                       device='cpu', num_workers=0, max_per_img=10, progress=False)
    images = json.loads(Path(s['images_json']).read_text())['images']
    names = sorted(p.name for p in (demo['data'] / 'images' / 'test').glob('*.png'))
    assert [img['file_name'] for img in images] == names
    assert [img['id'] for img in images] == [1, 2, 3]
    results = json.loads(out.read_text())
    assert s['images'] == 3 and len(results) == s['predictions'] <= 30
    assert {r['image_id'] for r in results} <= {1, 2, 3}
    assert s['time_encode'] + s['time_write'] < s['time_total']


def test_loadres_validation_refuses_a_bad_submission():
    images = [dict(id=1, file_name='a.png', height=4, width=5)]
    rle = mask_utils.encode(np.asfortranarray(np.ones((4, 5), np.uint8)))
    rle['counts'] = rle['counts'].decode()
    good = dict(image_id=1, category_id=1, segmentation=rle, bbox=[0, 0, 5, 4], score=0.5)
    validate_with_loadres([good], images, [dict(id=1, name='Normal')])
    with pytest.raises(InputError, match='does not load with COCO.loadRes'):
        validate_with_loadres([good, dict(good, image_id=7)], images, [])


def test_force_is_checked_at_write_time(demo, monkeypatch):
    """An --out that appears while the model runs is not overwritten without --force."""
    import mmext.apis.submission as submission
    from mmext.apis import run_submission
    out = demo['root'] / 'late.json'
    real = submission.validate_with_loadres

    def validate_then_someone_writes(*args):
        real(*args)
        out.write_text('written meanwhile')

    monkeypatch.setattr(submission, 'validate_with_loadres', validate_then_someone_writes)
    with pytest.raises(InputError, match='late.json exists; pass --force'):
        run_submission(str(DEMO_CFG), demo['ckpt'], str(out),
                       img_dir=str(demo['data'] / 'images' / 'test'), device='cpu',
                       num_workers=0, progress=False)
    assert out.read_text() == 'written meanwhile'
    assert not (demo['root'] / 'late.images.json').exists()
