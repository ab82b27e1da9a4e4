import numpy as np

from mmext.datasets.transforms import RandomTranspose


def test_transpose_swaps_rows_and_columns_and_img_shape():
    img = np.arange(2 * 3 * 3).reshape(2, 3, 3).astype(np.uint8)
    out = RandomTranspose(prob=1.)(dict(img=img.copy(), img_shape=(2, 3)))
    assert out['img'].shape == (3, 2, 3) and out['img_shape'] == (3, 2)
    assert np.array_equal(out['img'][:, :, 0], img[:, :, 0].T)
    same = RandomTranspose(prob=0.)(dict(img=img.copy(), img_shape=(2, 3)))
    assert np.array_equal(same['img'], img) and same['img_shape'] == (2, 3)
    np.random.seed(0)
    flips = [RandomTranspose(prob=0.5)(dict(img=img, img_shape=(2, 3)))['transposed']
             for _ in range(200)]
    assert 70 < sum(flips) < 130
