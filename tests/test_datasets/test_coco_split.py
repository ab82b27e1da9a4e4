"""COCO train/val and k-fold splits: determinism, disjointness, annotations follow images."""
import json
from pathlib import Path

import pytest

from mmext.datasets.coco_split import cv_folds, k_folds, split_train_val, write_splits
from mmext.testing import load_tool
from mmext.utils import InputError


def make_coco(n=23):
    images = [dict(id=100 + i, file_name=f'{i}.png', height=8, width=8) for i in range(n)]
    anns = [dict(id=j, image_id=100 + j % n, category_id=1, bbox=[0, 0, 2, 2], area=4,
                 segmentation=[[0, 0, 2, 0, 2, 2]], iscrowd=0) for j in range(3 * n)]
    return dict(info=dict(description='t'), images=images, annotations=anns,
                categories=[dict(id=1, name='Normal')])


def ids(part):
    return {img['id'] for img in part['images']}


def check_consistent(part, coco):
    assert part['categories'] == coco['categories'] and part['info'] == coco['info']
    assert {a['image_id'] for a in part['annotations']} <= ids(part)
    expected = sum(1 for a in coco['annotations'] if a['image_id'] in ids(part))
    assert len(part['annotations']) == expected


def test_train_val_split():
    coco = make_coco()
    train, val = split_train_val(coco, val_ratio=0.2, seed=0)
    assert len(val['images']) == 5 and len(train['images']) == 18
    assert not ids(train) & ids(val) and ids(train) | ids(val) == ids(coco)
    check_consistent(train, coco)
    check_consistent(val, coco)
    assert split_train_val(coco, 0.2, seed=0) == (train, val)  # deterministic
    assert ids(split_train_val(coco, 0.2, seed=1)[1]) != ids(val)
    # independent of the order of images in the json
    shuffled = dict(coco, images=coco['images'][::-1])
    assert ids(split_train_val(shuffled, 0.2, seed=0)[1]) == ids(val)


def test_k_folds():
    coco = make_coco()
    folds = k_folds(coco, 5, seed=3)
    vals = [ids(v) for _, v in folds]
    assert sorted(len(v) for v in vals) == [4, 4, 5, 5, 5]
    assert set().union(*vals) == ids(coco)
    assert sum(len(v) for v in vals) == len(coco['images'])  # disjoint
    for train, val in folds:
        assert not ids(train) & ids(val) and ids(train) | ids(val) == ids(coco)
        check_consistent(train, coco)
    assert k_folds(coco, 5, seed=3) == folds


def test_cv_folds_test_parts_are_the_k_folds():
    coco = make_coco()
    folds = cv_folds(coco, 4, seed=2, val_ratio=0.25)
    assert [ids(test) for *_, test in folds] == [ids(v) for _, v in k_folds(coco, 4, seed=2)]
    for train, val, test in folds:
        assert not ids(train) & ids(val) and not (ids(train) | ids(val)) & ids(test)
        assert ids(train) | ids(val) | ids(test) == ids(coco)
        assert len(val['images']) == round(0.25 * (len(ids(coco)) - len(ids(test))))
        for part in (train, val, test):
            check_consistent(part, coco)
    assert cv_folds(coco, 4, seed=2, val_ratio=0.25) == folds
    with pytest.raises(InputError, match='fold 1: 1 image'):
        cv_folds(make_coco(2), 2)


@pytest.mark.parametrize('kwargs', [dict(val_ratio=0), dict(val_ratio=1.5)])
def test_bad_ratio(kwargs):
    with pytest.raises(InputError):
        split_train_val(make_coco(), **kwargs)


def test_bad_input():
    with pytest.raises(InputError, match='folds'):
        k_folds(make_coco(3), 4)
    bad = make_coco(3)
    bad['annotations'][0]['image_id'] = 999
    with pytest.raises(InputError, match='annotation 0: image_id 999'):
        split_train_val(bad)


def test_tool_writes_files(tmp_path, capsys):
    src = tmp_path / 'ann.json'
    src.write_text(json.dumps(make_coco()))
    tool = load_tool('split_coco')
    tool.main([str(src), '--folds', '3', '--out-dir', str(tmp_path / 'folds')])
    val0 = json.loads((tmp_path / 'folds' / 'fold_0' / 'val.json').read_text())
    assert len(val0['images']) == 8 and 'fold_2/train.json' in capsys.readouterr().out
    written = write_splits(str(src), str(tmp_path / 'split'), val_ratio=0.3, seed=0)
    assert sorted(Path(p).name for p in written) == ['train.json', 'val.json']
    assert not list((tmp_path / 'split').glob('.*.tmp'))
    with pytest.raises(SystemExit) as e:
        tool.main([str(tmp_path / 'missing.json'), '--out-dir', str(tmp_path / 'x')])
    assert e.value.code == 2


def test_rerun_with_other_folds_leaves_no_stale_member(tmp_path):
    src = tmp_path / 'ann.json'
    src.write_text(json.dumps(make_coco()))
    out = tmp_path / 'folds'
    write_splits(str(src), str(out), folds=4, seed=0)
    assert sorted(p.name for p in out.iterdir()) == [f'fold_{k}' for k in range(4)]
    write_splits(str(src), str(out), folds=2, seed=0)
    assert sorted(p.name for p in out.iterdir()) == ['fold_0', 'fold_1']
    val = [json.loads((out / f'fold_{k}' / 'val.json').read_text()) for k in range(2)]
    ids = [{im['id'] for im in v['images']} for v in val]
    assert not ids[0] & ids[1] and len(ids[0] | ids[1]) == len(make_coco()['images'])
    write_splits(str(src), str(out), val_ratio=0.25, seed=0)  # a train/val split replaces them
    assert sorted(p.name for p in out.iterdir()) == ['train.json', 'val.json']


def test_out_dir_inside_a_file_is_one_error_and_writes_nothing(tmp_path, capsys):
    src = tmp_path / 'ann.json'
    src.write_text(json.dumps(make_coco()))
    (tmp_path / 'file').write_text('x')
    with pytest.raises(SystemExit) as e:
        load_tool('split_coco').main([str(src), '--folds', '2', '--out-dir',
                                      str(tmp_path / 'file' / 'folds')])
    assert e.value.code == 2
    assert 'cannot write there' in capsys.readouterr().err
