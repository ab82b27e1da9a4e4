import importlib.util
import os
import os.path as osp

import numpy as np
import pytest

from mmext.datasets.split import split_counts, write_split
from mmext.utils import InputError

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def make_folders(root, counts):
    for name, n in counts.items():
        os.makedirs(osp.join(root, name), exist_ok=True)
        for i in range(n):
            ext = '.jpg' if i % 2 else '.png'
            open(osp.join(root, name, f'img{i:03d}{ext}'), 'wb').close()
    open(osp.join(root, 'README.txt'), 'w').close()  # not a class folder
    return str(root)


def read_lines(path):
    with open(path) as f:
        return [line.rsplit(' ', 1) for line in f.read().splitlines()]


COUNTS = {'daisy': 50, 'roses': 31, 'tulips': 7, 'Sun flowers': 20}


def test_stratified_and_complete(tmp_path):
    root = make_folders(tmp_path / 'data', COUNTS)
    summary = write_split(root, (0.8, 0.1, 0.1), seed=3)
    classes = sorted(COUNTS)
    assert summary['classes'] == classes
    assert open(osp.join(root, 'classes.txt')).read().split('\n')[:-1] == classes
    seen = []
    for split, ratio in zip(('train', 'val', 'test'), (0.8, 0.1, 0.1)):
        lines = read_lines(osp.join(root, f'{split}.txt'))
        seen += [path for path, _ in lines]
        per_class = np.bincount([int(label) for _, label in lines], minlength=len(classes))
        for i, name in enumerate(classes):
            # label index matches the folder, each class gets its share (±1) and >= 1
            assert all(p.startswith(name + '/') for p, lab in lines if int(lab) == i)
            assert abs(per_class[i] - ratio * COUNTS[name]) <= 1
            assert per_class[i] >= 1
        assert per_class.tolist() == summary['counts'][split]
    # disjoint and covering, every file is there
    assert len(seen) == len(set(seen)) == sum(COUNTS.values())
    assert all(osp.isfile(osp.join(root, p)) for p in seen)


def test_deterministic_and_seed_dependent(tmp_path):
    root = make_folders(tmp_path / 'data', COUNTS)
    write_split(root, (0.8, 0.1, 0.1), seed=0, out_dir=tmp_path / 'a')
    write_split(root, (0.8, 0.1, 0.1), seed=0, out_dir=tmp_path / 'b')
    write_split(root, (0.8, 0.1, 0.1), seed=1, out_dir=tmp_path / 'c')
    for name in ('train.txt', 'val.txt', 'test.txt', 'classes.txt'):
        assert (tmp_path / 'a' / name).read_bytes() == (tmp_path / 'b' / name).read_bytes()
    assert (tmp_path / 'a' / 'val.txt').read_bytes() != (tmp_path / 'c' / 'val.txt').read_bytes()


def test_custom_dataset_reads_the_files(tmp_path):
    from mmpretrain.datasets import CustomDataset
    root = make_folders(tmp_path / 'data', COUNTS)
    write_split(root, (0.7, 0.3), seed=0)
    ds = CustomDataset(data_root=root, ann_file='val.txt', classes=osp.join(root, 'classes.txt'))
    assert ds.metainfo['classes'] == tuple(sorted(COUNTS))
    info = ds.get_data_info(0)
    assert osp.isfile(info['img_path']) and info['gt_label'] == 0
    assert len(ds) == sum(round(0.3 * n) for n in COUNTS.values())


def test_split_counts():
    assert split_counts(10, (0.8, 0.1, 0.1)) == [8, 1, 1]
    assert split_counts(7, (0.8, 0.1, 0.1)) == [5, 1, 1]  # every split gets one
    assert split_counts(3, (0.8, 0.1, 0.1)) == [1, 1, 1]
    assert sum(split_counts(101, (0.5, 0.25, 0.25))) == 101


@pytest.mark.parametrize('ratios,match', [((0.8, 0.3), 'sum to 1'), ((1.0, ), 'give 2'),
                                          ((0.9, 0.1, 0.0), 'positive')])
def test_bad_ratios(tmp_path, ratios, match):
    root = make_folders(tmp_path / 'data', {'a': 5})
    with pytest.raises(InputError, match=match):
        write_split(root, ratios)


def test_too_small_class_and_empty_folder(tmp_path):
    root = make_folders(tmp_path / 'data', {'a': 5, 'b': 2})
    with pytest.raises(InputError, match="class 'b': 2 image"):
        write_split(root, (0.8, 0.1, 0.1))
    os.makedirs(tmp_path / 'data' / 'c')
    with pytest.raises(InputError, match='c: class folder holds no images'):
        write_split(root, (0.5, 0.5))


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'split_dataset_tool', osp.join(REPO, 'tools', 'split_dataset.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool(tmp_path, capsys):
    tool = load_tool()
    root = make_folders(tmp_path / 'data', {'a': 10, 'b': 10})
    tool.main([root, '--ratios', '0.6', '0.2', '0.2', '--out-dir', str(tmp_path / 'ann')])
    assert len(read_lines(tmp_path / 'ann' / 'train.txt')) == 12
    assert 'wrote' in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        tool.main([str(tmp_path / 'nope')])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ') and 'nope' in err[0]
