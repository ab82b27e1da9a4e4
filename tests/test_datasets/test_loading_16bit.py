"""16-bit PNG/TIFF images load at full depth, mapped to uint8 by ``depth_max``.

Without this mmcv's decoders disagree and both lose the image: OpenCV keeps the high byte
(12-bit data turns nearly black) and pillow clips at 255 (16-bit data turns nearly white).
"""
import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

from mmext.datasets.transforms import CheckedLoadImageFromFile
from mmext.utils import InputError
from mmext.utils.images import (config_depth_max, loader_depth_max, read_display_image,
                                sample_bits)

# a 16-bit ramp over the full range, and one of 12-bit data (0..4095) stored in 16 bits
FULL = np.linspace(0, 65535, 32 * 48).reshape(32, 48).round().astype(np.uint16)
TWELVE = np.linspace(0, 4095, 32 * 48).reshape(32, 48).round().astype(np.uint16)


def expected(values, top):
    return np.floor(values.astype(np.float64) * 255 / top + 0.5).clip(0, 255).astype(np.uint8)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('deep')
    cv2.imwrite(str(d / 'full.png'), FULL)
    cv2.imwrite(str(d / 'twelve.png'), TWELVE)
    bgr = np.zeros((8, 10, 3), np.uint16)
    bgr[..., 0], bgr[..., 1], bgr[..., 2] = 65535, 0, 128 * 257  # B, G, R
    cv2.imwrite(str(d / 'colour.png'), bgr)
    Image.fromarray(TWELVE, 'I;16').save(d / 'twelve.tif')
    cv2.imwrite(str(d / 'eight.png'), (FULL // 257).astype(np.uint8))
    data = (d / 'full.png').read_bytes()
    (d / 'cut.png').write_bytes(data[:len(data) // 2])
    return d


def load(path, **kwargs):
    return CheckedLoadImageFromFile(**kwargs)(dict(img_path=str(path)))


def test_sample_bits_from_headers(files):
    assert sample_bits((files / 'full.png').read_bytes()) == 16
    assert sample_bits((files / 'colour.png').read_bytes()) == 16
    assert sample_bits((files / 'twelve.tif').read_bytes()) == 16
    assert sample_bits((files / 'eight.png').read_bytes()) == 8
    ok, jpg = cv2.imencode('.jpg', np.zeros((4, 4), np.uint8))
    assert sample_bits(jpg.tobytes()) == 8
    Image.new('1', (8, 8)).save(files / 'bilevel.png')
    assert sample_bits((files / 'bilevel.png').read_bytes()) == 1


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
def test_full_range_maps_to_0_255_with_either_backend(files, backend):
    out = load(files / 'full.png', imdecode_backend=backend)
    img = out['img']
    assert img.dtype == np.uint8 and img.shape == (32, 48, 3)
    assert out['img_shape'] == out['ori_shape'] == (32, 48)
    assert (img == expected(FULL, 65535)[..., None]).all()
    assert img.min() == 0 and img.max() == 255
    # OpenCV's own 8-bit decode of the full range (v >> 8) differs by at most one level
    opencv = cv2.imread(str(files / 'full.png'), cv2.IMREAD_COLOR)
    assert np.abs(img.astype(int) - opencv).max() <= 1


def test_twelve_bit_data_with_depth_max(files):
    dark = load(files / 'twelve.png')['img']
    assert dark.max() == 16  # 4095 * 255 / 65535: what a wrong depth_max costs
    for name in ('twelve.png', 'twelve.tif'):
        img = load(files / name, depth_max=4095)['img']
        assert (img[..., 1] == expected(TWELVE, 4095)).all() and img.max() == 255
    clipped = load(files / 'full.png', depth_max=4095)['img'][..., 0]
    assert (clipped[FULL >= 4095] == 255).all()  # values above depth_max saturate


def test_colour_keeps_bgr_order_and_grayscale_is_2d(files):
    img = load(files / 'colour.png')['img']
    assert img.shape == (8, 10, 3) and img[0, 0].tolist() == [255, 0, 128]
    gray = load(files / 'full.png', color_type='grayscale')['img']
    assert gray.shape == (32, 48) and (gray == expected(FULL, 65535)).all()
    as_float = load(files / 'full.png', to_float32=True)['img']
    assert as_float.dtype == np.float32 and as_float.max() == 255.0


def test_eight_bit_images_load_as_upstream(files):
    from mmcv.transforms import LoadImageFromFile
    ours = load(files / 'eight.png', depth_max=4095)['img']
    upstream = LoadImageFromFile()(dict(img_path=str(files / 'eight.png')))['img']
    assert np.array_equal(ours, upstream)


def test_bad_depth_max_and_truncated_16bit_file(files):
    for bad in (0, 70000, 4095.0):
        with pytest.raises(InputError, match='depth_max must be an integer in 1..65535'):
            CheckedLoadImageFromFile(depth_max=bad)
    with pytest.raises(InputError, match=r'cut\.png: truncated PNG'):
        load(files / 'cut.png')


@pytest.mark.parametrize('scope', ['mmpretrain', 'mmdet'])
def test_built_from_both_scopes(files, scope):
    import mmext.modules  # noqa: F401  (registers mmext's modules)
    from mmengine.registry import TRANSFORMS
    init_default_scope(scope)
    t = TRANSFORMS.build(dict(type='CheckedLoadImageFromFile', depth_max=4095))
    assert t(dict(img_path=str(files / 'twelve.png')))['img'].max() == 255
    assert 'depth_max=4095' in repr(t)


def test_figures_show_16bit_images_as_the_loader_sees_them(files):
    """Report grids and Grad-CAM overlays read images through ``read_display_image``."""
    shown = read_display_image(str(files / 'twelve.png'), depth_max=4095)
    assert shown.shape == (32, 48, 3) and shown.dtype == np.uint8
    assert (shown == load(files / 'twelve.png', depth_max=4095)['img']).all()
    assert shown.max() == 255
    assert read_display_image(str(files / 'twelve.png')).max() == 16  # 4095/65535*255
    assert (read_display_image(str(files / 'eight.png'))[..., 0] == (FULL // 257)).all()
    assert read_display_image(str(files / 'missing.png')) is None
    assert read_display_image(str(files / 'cut.png')) is None


def test_loader_depth_max_from_dicts_and_built_transforms():
    loader = dict(type='CheckedLoadImageFromFile', depth_max=4095)
    assert loader_depth_max([loader, dict(type='PackInputs')]) == 4095
    assert loader_depth_max([dict(type='LoadImageFromFile'), dict(type='PackInputs')]) is None
    assert loader_depth_max([CheckedLoadImageFromFile(depth_max=1023)]) == 1023
    assert loader_depth_max(None) is None
    cfg = Config(dict(test_dataloader=dict(dataset=dict(type='CustomDataset', pipeline=[
        loader, dict(type='PackInputs')]))))
    assert config_depth_max(cfg) == 4095
    assert config_depth_max(Config()) is None
