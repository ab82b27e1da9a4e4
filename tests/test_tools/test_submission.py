"""Submission: ParticleSubmissionMetric on synthetic predictions (threshold, cap, ids,
categories, loadRes, atomic write) and cheap end-to-end runs of tools/submit.py and
tools/test.py --submission (a random-init thin Mask R-CNN on 64×80 demo images),
round-tripped through pycocotools."""
import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmext.evaluation.metrics.submission import (ParticleSubmissionMetric,
                                                 predictions_to_results, validate_with_loadres)
from mmext.testing import load_tool
from mmext.utils import InputError

ROOT = Path(__file__).resolve().parents[2]
DEMO_CFG = ROOT / 'configs' / 'demo' / 'mask-rcnn_r18-thin_fpn_1xb2-240i_demo-particles.py'
H, W = 20, 30


def _masks():
    m = np.zeros((3, H, W), bool)
    m[0, 2:7, 1:11] = True
    m[1, 10:15, 5:9] = True
    m[2, 0:3, 0:3] = True
    return m


def _pred(masks, scores):
    n = len(masks)
    return dict(masks=torch.as_tensor(np.asarray(masks, bool)),
                scores=torch.tensor(scores, dtype=torch.float32),
                labels=torch.zeros(n, dtype=torch.long),
                bboxes=torch.tensor([[1.0, 2.0, 11.0, 7.0]] * n).reshape(-1, 4))


def _sample(img_id, name, masks, scores, shape=(H, W)):
    return dict(img_id=img_id, img_path=f'/data/test/{name}', ori_shape=shape,
                pred_instances=_pred(masks, scores))


def test_predictions_to_results_threshold_cap_and_order():
    m = _masks()
    res = predictions_to_results(_pred(m, [0.3, 0.9, 0.1]), 42, score_thr=0.2)
    assert [r['score'] for r in res] == [pytest.approx(0.9), pytest.approx(0.3)]
    assert all(r['image_id'] == 42 and r['category_id'] == 0 for r in res)  # label index
    assert isinstance(res[0]['segmentation']['counts'], str)
    assert (mask_utils.decode(res[0]['segmentation']) == m[1]).all()
    assert (mask_utils.decode(res[1]['segmentation']) == m[0]).all()
    assert res[1]['bbox'] == [1.0, 2.0, 10.0, 5.0]  # xyxy → xywh
    assert len(predictions_to_results(_pred(m, [0.3, 0.9, 0.1]), 42)) == 3
    top = predictions_to_results(_pred(m, [0.3, 0.9, 0.1]), 42, max_per_img=1)
    assert [r['score'] for r in top] == [pytest.approx(0.9)]
    assert predictions_to_results(_pred(m[:0], []), 42) == []


def _test_json(tmp_path, cat_id=7):
    images = [dict(id=10, file_name='a.png', height=H, width=W),
              dict(id=20, file_name='b.png', height=H, width=W)]
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(dict(images=images, categories=[dict(id=cat_id, name='Normal')])))
    return str(path), images


def _run(metric, samples):
    metric.dataset_meta = dict(classes=('Normal', ))
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_metric_keeps_the_json_ids_and_categories(tmp_path):
    ann, images = _test_json(tmp_path)
    out = tmp_path / 'sub.json'
    m = _masks()
    metric = ParticleSubmissionMetric(str(out), ann_file=ann, score_thr=0.2, max_per_img=2)
    summary = _run(metric, [_sample(10, 'a.png', m, [0.3, 0.9, 0.25]),
                            _sample(20, 'b.png', m[:1], [0.1])])
    assert summary == dict(images=2, predictions=2, images_without_predictions=1)
    results = json.loads(out.read_text())
    assert [(r['image_id'], r['category_id'], r['score']) for r in results] == [
        (10, 7, pytest.approx(0.9)), (10, 7, pytest.approx(0.3))]
    assert not (tmp_path / 'sub.images.json').exists()  # the json holds the ids
    coco = COCO()
    coco.dataset = json.loads(Path(ann).read_text())
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
        loaded = coco.loadRes(str(out))
    assert (loaded.annToMask(loaded.anns[1]) == m[1]).all()


def test_metric_on_a_folder_writes_the_image_list(tmp_path):
    out = tmp_path / 'sub.json'
    m = _masks()
    summary = _run(ParticleSubmissionMetric(str(out)),
                   [_sample(1, 'x.png', m, [0.5, 0.4, 0.3]), _sample(2, 'y.png', m[:2], [0.6, 0.2])])
    assert summary['predictions'] == 5
    listed = json.loads((tmp_path / 'sub.images.json').read_text())
    assert listed == dict(images=[dict(id=1, file_name='x.png', height=H, width=W),
                                  dict(id=2, file_name='y.png', height=H, width=W)],
                          categories=[dict(id=1, name='Normal')])
    assert {r['category_id'] for r in json.loads(out.read_text())} == {1}


def test_metric_errors_leave_no_file(tmp_path):
    ann, _ = _test_json(tmp_path)
    out = tmp_path / 'sub.json'
    m = _masks()
    with pytest.raises(RuntimeError, match='1 test images got no prediction pass, e.g. image 20'):
        _run(ParticleSubmissionMetric(str(out), ann_file=ann), [_sample(10, 'a.png', m, [.5] * 3)])
    # masks of another size than the json's image (height/width in the json wrong)
    with pytest.raises(InputError, match=r'image 20 \(b.png\): masks are \[21, 30\]'):
        _run(ParticleSubmissionMetric(str(out), ann_file=ann),
             [_sample(10, 'a.png', m, [.5] * 3),
              _sample(20, 'b.png', np.zeros((1, H + 1, W), bool) | True, [.5], (H + 1, W))])
    assert list(tmp_path.iterdir()) == [Path(ann)]
    out.write_text('old')
    with pytest.raises(InputError, match='sub.json exists; pass --force'):
        ParticleSubmissionMetric(str(out))


def test_loadres_validation_refuses_a_bad_submission():
    images = [dict(id=1, file_name='a.png', height=4, width=5)]
    rle = mask_utils.encode(np.asfortranarray(np.ones((4, 5), np.uint8)))
    rle['counts'] = rle['counts'].decode()
    good = dict(image_id=1, category_id=1, segmentation=rle, bbox=[0, 0, 5, 4], score=0.5)
    validate_with_loadres([good], images, [dict(id=1, name='Normal')])
    with pytest.raises(InputError, match='does not load with COCO.loadRes'):
        validate_with_loadres([good, dict(good, image_id=7)], images, [])


def test_force_is_checked_at_write_time(tmp_path, monkeypatch):
    """An output that appears while the model runs is not overwritten without --force."""
    import mmext.evaluation.metrics.submission as submission
    out = tmp_path / 'late.json'
    metric = ParticleSubmissionMetric(str(out))
    real = submission.validate_with_loadres

    def validate_then_someone_writes(*args):
        real(*args)
        out.write_text('written meanwhile')

    monkeypatch.setattr(submission, 'validate_with_loadres', validate_then_someone_writes)
    with pytest.raises(InputError, match='late.json exists; pass --force'):
        _run(metric, [_sample(1, 'x.png', _masks(), [0.5, 0.4, 0.3])])
    assert out.read_text() == 'written meanwhile'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['late.json']


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    from mmext.demo import make_particle_dataset
    root = tmp_path_factory.mktemp('submission')
    make_particle_dataset(str(root / 'data'), num_train=1, num_val=2, num_test=3,
                          size=(64, 80), num_range=(3, 6))
    cfg = Config.fromfile(str(DEMO_CFG))
    with DefaultScope.overwrite_default_scope('mmdet'):  # leaves no scope behind
        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
    ckpt = root / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': ('Normal', )}}}, ckpt)
    return dict(root=root, data=root / 'data', ckpt=str(ckpt))


def test_test_py_submission_round_trip(demo, capsys):
    """tools/test.py --submission on a labelled json: loadRes, COCOeval and the IoU-F1
    tool read it; the json's image ids are kept."""
    data, out = demo['data'], demo['root'] / 'val_sub.json'
    gt_file = str(data / 'annotations' / 'val.json')
    metrics = load_tool('test').main([
        str(DEMO_CFG), demo['ckpt'], '--submission', str(out), '--ann', gt_file,
        '--img-dir', str(data / 'images' / 'val'), '--work-dir', str(demo['root'] / 'w1'),
        '--cfg-options', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'])
    results = json.loads(out.read_text())
    gt = json.loads(Path(gt_file).read_text())
    assert metrics['submission/images'] == 2
    assert metrics['submission/predictions'] == len(results) > 0
    assert {r['image_id'] for r in results} <= {img['id'] for img in gt['images']}
    for r in results:
        assert r['segmentation']['size'] == [64, 80] and len(r['bbox']) == 4
        assert isinstance(r['segmentation']['counts'], str)
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
    assert 'submission: ' + str(out) in capsys.readouterr().out
    # refuses to overwrite without --force (one-line error, exit 2), before running the model
    with pytest.raises(SystemExit) as e:
        load_tool('submit').main([str(DEMO_CFG), demo['ckpt'], '--ann', gt_file, '--img-dir',
                                  str(data / 'images' / 'val'), '--out', str(out),
                                  '--work-dir', str(demo['root'] / 'w2')])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert 'pass --force' in err and err.count('\n') == 1


def test_submit_folder_with_tta_threshold_and_cap(demo):
    """tools/submit.py --img-dir --tta: ids 1..N by sorted file name in <out>.images.json,
    every score >= --score-thr, at most --max-per-img per image; an existing output is
    replaced with --force."""
    out = demo['root'] / 'folder_sub.json'
    out.write_text('old')
    args = [str(DEMO_CFG), demo['ckpt'], '--img-dir', str(demo['data'] / 'images' / 'test'),
            '--out', str(out), '--num-workers', '0', '--device', 'cpu', '--force',
            '--work-dir', str(demo['root'] / 'w3')]
    metrics = load_tool('submit').main(args + ['--tta', '--score-thr', '0.3',
                                               '--max-per-img', '4'])
    images = json.loads((demo['root'] / 'folder_sub.images.json').read_text())['images']
    names = sorted(p.name for p in (demo['data'] / 'images' / 'test').glob('*.png'))
    assert [img['file_name'] for img in images] == names
    assert [img['id'] for img in images] == [1, 2, 3]
    results = json.loads(out.read_text())
    assert metrics['submission/images'] == 3 and len(results) == metrics['submission/predictions']
    assert {r['image_id'] for r in results} <= {1, 2, 3}
    assert results and all(r['score'] >= 0.3 for r in results)
    assert np.bincount([r['image_id'] for r in results]).max() <= 4


def test_submission_flags_without_submission_are_refused(capsys):
    with pytest.raises(SystemExit) as e:
        load_tool('test').main([str(DEMO_CFG), 'x.pth', '--score-thr', '0.4'])
    assert e.value.code == 2
    assert capsys.readouterr().err == 'error: --score-thr goes with --submission\n'
