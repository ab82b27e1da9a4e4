"""CheckedLoadImageFromFile: corrupt images named in one line, or skipped and counted."""
import struct
import zlib

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmext.datasets.transforms import CheckedLoadImageFromFile
from mmext.utils import InputError


def _png_chunk(kind, data):
    return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))


def write_bomb_png(path, side=20000):
    """A tiny file whose header claims side×side pixels (PIL refuses > 2×89.5 Mpx)."""
    ihdr = struct.pack('>IIBBBBB', side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + _png_chunk(b'IHDR', ihdr)
                     + _png_chunk(b'IDAT', zlib.compress(b'\0' * 64)) + _png_chunk(b'IEND', b''))


def write_bad_images(folder):
    """Every kind of bad image file; returns ``{name: expected message fragment}``."""
    img = (np.random.RandomState(0).rand(48, 64, 3) * 255).astype(np.uint8)
    for ext in ('png', 'jpg'):
        cv2.imwrite(str(folder / f'good.{ext}'), img)
        data = (folder / f'good.{ext}').read_bytes()
        (folder / f'cut.{ext}').write_bytes(data[:len(data) // 2])
    (folder / 'empty.png').write_bytes(b'')
    (folder / 'notes.jpg').write_text('not an image')
    write_bomb_png(folder / 'bomb.png')
    return {
        'cut.png': 'truncated PNG', 'cut.jpg': 'truncated JPEG', 'empty.png': r'empty file \(0',
        'notes.jpg': 'not a readable image',
        'bomb.png': 'too many pixels, refused as a decompression bomb',
        'missing.png': 'image file not found'}


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp('images')
    return folder, write_bad_images(folder)


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_good_images_load_as_upstream(images, backend):
    folder, _ = images
    for ext in ('png', 'jpg'):
        path = str(folder / f'good.{ext}')
        out = CheckedLoadImageFromFile(imdecode_backend=backend)(dict(img_path=path))
        expected = cv2.imread(path) if backend == 'cv2' else out['img']
        assert out['img'].shape == (48, 64, 3) and out['ori_shape'] == (48, 64)
        assert np.array_equal(out['img'], expected)


@pytest.mark.parametrize('name', ['cut.png', 'cut.jpg', 'empty.png', 'notes.jpg', 'bomb.png',
                                  'missing.png'])
def test_bad_image_is_one_line_naming_the_file(images, name):
    folder, expected = images
    path = str(folder / name)
    for backend in ('cv2', 'pillow'):
        with pytest.raises(InputError, match=f'{name}: {expected[name]}') as info:
            CheckedLoadImageFromFile(imdecode_backend=backend)(dict(img_path=path))
        assert '\n' not in str(info.value) and str(info.value).startswith(path)


def test_warn_skips_and_counts(images):
    folder, _ = images
    load = CheckedLoadImageFromFile(on_invalid='warn')
    assert load(dict(img_path=str(folder / 'cut.jpg'))) is None
    assert load(dict(img_path=str(folder / 'empty.png'))) is None
    assert load(dict(img_path=str(folder / 'good.png')))['img'].shape == (48, 64, 3)
    assert sorted(load.skipped) == [str(folder / 'cut.jpg'), str(folder / 'empty.png')]
    with pytest.raises(InputError, match="on_invalid must be 'error' or 'warn'"):
        CheckedLoadImageFromFile(on_invalid='skip')


@pytest.mark.parametrize('scope', ['mmpretrain', 'mmdet'])
def test_registered_for_both_scopes_and_dataset_refetches(tmp_path, scope):
    """In a training dataset, 'warn' makes mmengine draw another (good) sample."""
    from mmengine.dataset import BaseDataset
    from mmengine.registry import TRANSFORMS
    init_default_scope(scope)
    img = np.full((8, 8, 3), 7, np.uint8)
    cv2.imwrite(str(tmp_path / 'good.png'), img)
    (tmp_path / 'zero.png').write_bytes(b'')
    load = TRANSFORMS.build(dict(type='CheckedLoadImageFromFile', on_invalid='warn'))
    assert type(load) is CheckedLoadImageFromFile

    class TwoImages(BaseDataset):

        def load_data_list(self):
            return [dict(img_path=str(tmp_path / 'zero.png')),
                    dict(img_path=str(tmp_path / 'good.png'))]

    dataset = TwoImages(pipeline=[dict(type='CheckedLoadImageFromFile', on_invalid='warn')],
                        serialize_data=False)
    assert dataset[0]['img_path'] == str(tmp_path / 'good.png')
    assert list(dataset.pipeline.transforms[0].skipped) == [str(tmp_path / 'zero.png')]
