import os
import os.path as osp

import numpy as np
import pytest

from mmext.datasets.split import split_counts, write_split
from mmext.testing import load_tool
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


def test_tool(tmp_path, capsys):
    tool = load_tool('split_dataset')
    root = make_folders(tmp_path / 'data', {'a': 10, 'b': 10})
    tool.main([root, '--ratios', '0.6', '0.2', '0.2', '--out-dir', str(tmp_path / 'ann')])
    assert len(read_lines(tmp_path / 'ann' / 'train.txt')) == 12
    assert 'wrote' in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        tool.main([str(tmp_path / 'nope')])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('error: ') and 'nope' in err[0]


def write_metadata(path, n_samples=40, seed=0):
    """A CSV of micrographs (generic label column): 1-5 micrographs per sample, 3 classes at 6:3:1."""
    import csv
    import random
    rng = random.Random(seed)
    rows = []
    for s in range(n_samples):
        label = rng.choice(['pearlite'] * 6 + ['network'] * 3 + ['martensite'])
        for k in range(rng.randint(1, 5)):
            rows.append(dict(path=f'm{s}_{k}.png', sample_key=f'S{s}',
                             label=label))
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def read_csv(path):
    import csv
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def test_csv_split_keeps_groups_whole_and_stratifies(tmp_path):
    from mmext.datasets.split import write_csv_split
    rows = write_metadata(tmp_path / 'metadata.csv')
    summary = write_csv_split(str(tmp_path / 'metadata.csv'), (0.7, 0.15, 0.15), seed=0,
                              group_column='sample_key')
    splits = {s: read_csv(tmp_path / f'{s}.csv') for s in ('train', 'val', 'test')}
    paths = [r['path'] for split in splits.values() for r in split]
    assert sorted(paths) == sorted(r['path'] for r in rows)
    groups = {s: {r['sample_key'] for r in split} for s, split in splits.items()}
    assert not (groups['train'] & groups['val'] or groups['train'] & groups['test']
                or groups['val'] & groups['test'])
    for s, split in splits.items():
        assert set(split[0]) == {'path', 'sample_key', 'label'}
        share = len(split) / len(rows)
        assert abs(share - {'train': 0.7, 'val': 0.15, 'test': 0.15}[s]) < 0.1, (s, share)
        assert summary['counts'][s] == [sum(r['label'] == c for r in split)
                                        for c in summary['classes']]
    assert (tmp_path / 'classes.txt').read_text().split() == \
        ['martensite', 'network', 'pearlite']


def test_csv_split_deterministic_and_ungrouped_exact(tmp_path):
    from mmext.datasets.split import write_csv_split
    write_metadata(tmp_path / 'metadata.csv')
    for out, seed in (('a', 0), ('b', 0), ('c', 1)):
        write_csv_split(str(tmp_path / 'metadata.csv'), (0.7, 0.15, 0.15), seed=seed,
                        out_dir=str(tmp_path / out), group_column='sample_key')
    assert (tmp_path / 'a' / 'val.csv').read_bytes() == (tmp_path / 'b' / 'val.csv').read_bytes()
    assert (tmp_path / 'a' / 'val.csv').read_bytes() != (tmp_path / 'c' / 'val.csv').read_bytes()
    # without groups each class is split by the largest remainder, as for folders
    summary = write_csv_split(str(tmp_path / 'metadata.csv'), (0.8, 0.2), seed=0,
                              out_dir=str(tmp_path / 'd'))
    totals = np.sum([summary['counts'][s] for s in ('train', 'val')], axis=0)
    assert summary['counts']['train'] == [split_counts(n, (0.8, 0.2))[0] for n in totals]
    assert summary['groups'] == {}


@pytest.mark.parametrize('extra, message', [
    (['--group-column', 'sample'], "metadata.csv: missing column 'sample' (columns: path, "
     "sample_key, label)"),
    (['--label-column', 'phase'], "metadata.csv: missing column 'phase'"),
])
def test_split_tool_bad_columns(run_tool, tmp_path, extra, message):
    write_metadata(tmp_path / 'metadata.csv')
    proc = run_tool('tools/dataset_converters/split_dataset.py', str(tmp_path / 'metadata.csv'), *extra,
                    check=False)
    assert proc.returncode == 2
    assert message in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / 'train.csv').exists()


def test_split_tool_on_a_csv_prints_counts_and_groups(run_tool, tmp_path):
    write_metadata(tmp_path / 'metadata.csv', n_samples=12, seed=2)
    proc = run_tool('tools/dataset_converters/split_dataset.py', str(tmp_path / 'metadata.csv'),
                    '--group-column', 'sample_key', '--ratios', '0.6', '0.2', '0.2')
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ['class', 'train', 'val', 'test']
    groups = next(line.split() for line in lines if line.startswith('groups'))
    assert sum(map(int, groups[1:])) == 12
    assert (tmp_path / 'test.csv').exists()
    # a group folder-per-class set has no columns
    proc = run_tool('tools/dataset_converters/split_dataset.py', str(tmp_path), '--group-column', 'x', check=False)
    assert proc.returncode == 2 and 'groups need an annotation CSV' in proc.stderr
