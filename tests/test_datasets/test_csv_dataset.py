import csv
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from PIL import Image

import mmext.modules  # noqa: F401  (registers mmext's modules)
from mmext.datasets.csv_dataset import CSVDataset
from mmext.utils import InputError
from mmpretrain.registry import DATASETS

COLUMNS = ['path', 'magnification', 'label']


def write_png(path, mode):
    gray = np.arange(16, dtype=np.uint8).reshape(4, 4) * 10
    if mode == 'P':
        img = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), 'P')
        img.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 759)
    elif mode == 'L':
        img = Image.fromarray(gray, 'L')
    else:
        img = Image.fromarray(np.stack([gray] * 3, -1), 'RGB')
    img.save(path)


def make_set(root, rows, split_files):
    """rows: list of dicts; split_files: {split: [file names]} copied into split folders."""
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'metadata.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, list(rows[0]) if rows else COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    for split, names in split_files.items():
        os.makedirs(osp.join(root, split), exist_ok=True)
        for i, name in enumerate(names):
            write_png(osp.join(root, split, name), ['RGB', 'P', 'L'][i % 3])
    return root


def good_rows():
    return [
        dict(path='a1.png', magnification='500x', label='pearlite'),
        dict(path='a2.png', magnification='', label='spheroidite'),
        dict(path='a3.png', magnification='1000x', label='network'),
        dict(path='a4.png', magnification='1000x', label='pearlite'),
    ]


def build(root, split='train', **kwargs):
    return CSVDataset(ann_file='metadata.csv', data_root=str(root), data_prefix=split, **kwargs)


def test_reads_split_columns_and_sorted_classes(tmp_path):
    root = make_set(tmp_path, good_rows(), {'train': ['a1.png', 'a2.png'], 'val': ['a3.png']})
    ds = build(root)
    assert len(ds) == 2
    # classes: sorted labels of the whole CSV, the same for every split
    assert ds.metainfo['classes'] == ('network', 'pearlite', 'spheroidite')
    info = ds.get_data_info(0)
    assert info['img_path'] == osp.join(str(root), 'train', 'a1.png')
    assert info['gt_label'] == 1 and info['magnification'] == '500x'
    assert ds.get_data_info(1)['magnification'] is None  # empty cell is fine
    val = build(root, 'val')
    assert val.metainfo['classes'] == ds.metainfo['classes']
    assert val.get_gt_labels().tolist() == [0]


def test_registered_and_classes_from_config(tmp_path):
    root = make_set(tmp_path, good_rows(), {'train': ['a1.png', 'a3.png']})
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        ds = DATASETS.build(dict(type='CSVDataset', data_root=str(root), ann_file='metadata.csv',
                                 data_prefix='train',
                                 metainfo=dict(classes=('pearlite', 'network', 'spheroidite'))))
    assert ds.get_gt_labels().tolist() == [0, 1]


def test_custom_column_names(tmp_path):
    rows = [dict(file='x.png', phase='b', note=''), dict(file='y.png', phase='a', note='n')]
    root = make_set(tmp_path, rows, {'train': ['x.png', 'y.png']})
    ds = build(root, path_column='file', label_column='phase')
    assert ds.get_gt_labels().tolist() == [1, 0]
    assert ds.get_data_info(1)['note'] == 'n'


def test_palette_and_grayscale_become_three_channel_rgb(tmp_path):
    root = make_set(tmp_path, good_rows()[:3], {'train': ['a1.png', 'a2.png', 'a3.png']})
    for backend in ('cv2', 'pillow'):
        ds = build(root, pipeline=[dict(type='LoadImageFromFile', imdecode_backend=backend)])
        imgs = [ds[i]['img'] for i in range(3)]
        assert all(img.ndim == 3 and img.shape[2] == 3 for img in imgs)
        # a2.png is the palette image: palette index 0 is pure red -> BGR (0, 0, 255)
        assert imgs[1][0, 0].tolist() == [0, 0, 255]
        assert imgs[1][0, 1].tolist() == [0, 255, 0]
        # a3.png is grayscale: three equal channels with the original values
        assert (imgs[2][..., 0] == imgs[2][..., 2]).all()
        assert imgs[2][1, 1].tolist() == [50, 50, 50]


def test_missing_column(tmp_path):
    rows = [dict(path='a1.png', phase='pearlite')]  # no 'label' column
    root = make_set(tmp_path, rows, {'train': ['a1.png']})
    with pytest.raises(InputError, match="missing column 'label'"):
        build(root)


def test_duplicate_path(tmp_path):
    rows = good_rows() + [dict(path='a2.png', magnification='', label='x')]
    root = make_set(tmp_path, rows, {'train': ['a1.png']})
    with pytest.raises(InputError, match=r"line 6: duplicate path 'a2.png' \(first at line 3\)"):
        build(root)


def test_unknown_label_when_classes_given(tmp_path):
    root = make_set(tmp_path, good_rows(), {'train': ['a1.png', 'a2.png']})
    with pytest.raises(InputError, match="line 3: unknown label 'spheroidite'"):
        build(root, metainfo=dict(classes=('network', 'pearlite')))


def test_empty_label_cell(tmp_path):
    rows = good_rows()
    rows[1]['label'] = ''
    root = make_set(tmp_path, rows, {'train': ['a1.png', 'a2.png']})
    with pytest.raises(InputError, match="line 3: empty 'label' cell"):
        build(root)
    # the same empty cell outside the split does not matter
    assert len(build(make_set(tmp_path / 'b', rows, {'train': ['a1.png']}))) == 1


def test_empty_split(tmp_path):
    root = make_set(tmp_path, good_rows(), {'train': []})
    with pytest.raises(InputError, match='empty split'):
        build(root)


def test_missing_split_folder(tmp_path):
    root = make_set(tmp_path, good_rows(), {})
    with pytest.raises(InputError, match='split folder not found'):
        build(root)


def test_image_without_row(tmp_path):
    root = make_set(tmp_path, good_rows(), {'train': ['a1.png', 'stray.png']})
    with pytest.raises(InputError, match='stray.png: image has no row'):
        build(root)


def test_missing_image_when_not_split_by_folder(tmp_path):
    root = make_set(tmp_path, good_rows(), {'images': ['a1.png', 'a2.png', 'a3.png']})
    with pytest.raises(InputError, match='line 5: image not found: .*a4.png'):
        build(root, 'images', split_by_folder=False)
    make_set(tmp_path, good_rows(), {'images': ['a4.png']})
    assert len(build(root, 'images', split_by_folder=False)) == 4


def test_demo_micrographs(tmp_path):
    import mmext.demo as demo
    counts = demo.make_micrograph_dataset(str(tmp_path), seed=0,
                                          counts={'pearlite': 6, 'network': 4}, size=(16, 16))
    sizes = [len(CSVDataset(ann_file=f'{split}.csv', data_root=str(tmp_path),
                            data_prefix='images', split_by_folder=False,
                            label_column='primary_microconstituent'))  # UHCSDB's column
             for split in ('train', 'val', 'test')]
    assert sizes == [counts['train'], counts['val'], counts['test']]


def one_folder_set(root, rows):
    """One CSV over one images/ folder (the UHCSDB layout)."""
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    with open(osp.join(root, 'metadata.csv'), 'w', newline='') as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for row in rows:
        write_png(osp.join(root, 'images', row['path']), 'RGB')
    return str(root)


def test_split_column_over_one_folder(tmp_path):
    rows = [dict(r, split=s) for r, s in zip(good_rows(), ['train', 'train', 'val', 'test'])]
    root = one_folder_set(tmp_path, rows)
    ds = CSVDataset(ann_file='metadata.csv', data_root=root, data_prefix='images',
                    split_column='split', split='train')
    assert [osp.basename(ds.get_data_info(i)['img_path']) for i in range(len(ds))] == \
        ['a1.png', 'a2.png']
    # classes from the whole CSV, so every split gets the same indices
    assert ds.metainfo['classes'] == ('network', 'pearlite', 'spheroidite')
    val = CSVDataset(ann_file='metadata.csv', data_root=root, data_prefix='images',
                     split_column='split', split='val')
    assert len(val) == 1 and val.get_data_info(0)['gt_label'] == 0


def test_split_column_with_unknown_value_names_the_row(tmp_path):
    rows = [dict(r, split=s) for r, s in zip(good_rows(), ['train', 'valid', 'val', 'test'])]
    root = one_folder_set(tmp_path, rows)
    with pytest.raises(InputError, match=r"metadata.csv line 3: 'split' is 'valid', not one of "
                       r"train, val, test"):
        CSVDataset(ann_file='metadata.csv', data_root=root, data_prefix='images',
                   split_column='split', split='train')
    with pytest.raises(InputError, match=r"split='dev' with split_column='split'"):
        CSVDataset(ann_file='metadata.csv', data_root=root, split_column='split', split='dev')


def test_classes_from_the_split_tools_listing(tmp_path, caplog):
    """Split CSVs share classes.txt: a split missing a class keeps the indices."""
    from mmext.datasets.split import write_csv_split
    rows = [dict(path=f'{c}{i}.png', sample_key=f'{c}{i // 2}', label=c)
            for c, n in (('pearlite', 8), ('network', 6), ('martensite', 2)) for i in range(n)]
    root = one_folder_set(tmp_path, rows)
    write_csv_split(osp.join(root, 'metadata.csv'), (0.5, 0.5), seed=0,
                    group_column='sample_key')
    import logging
    with caplog.at_level(logging.INFO):
        datasets = [CSVDataset(ann_file=f'{s}.csv', data_root=root, data_prefix='images',
                               split_by_folder=False) for s in ('train', 'val')]
    for ds in datasets:
        assert ds.metainfo['classes'] == ('martensite', 'network', 'pearlite')
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            name = osp.basename(info['img_path']).rstrip('0123456789.png')
            assert ds.metainfo['classes'][info['gt_label']] == name
    # martensite has one sample: one split lacks it, the indices still agree
    assert sorted(len({ds.get_data_info(i)['gt_label'] for i in range(len(ds))})
                  for ds in datasets) == [2, 3]
