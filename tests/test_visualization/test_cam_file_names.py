"""CAM output names: one distinct, writable file name per image."""
import os.path as osp

from mmext.visualization.cam import MAX_NAME_BYTES, cam_file_names


def test_distinct_stems_keep_their_stem():
    assert cam_file_names(['d/a.png', 'd/b.jpg'], 'gradcam++') == [
        'a_gradcampp.png', 'b_gradcampp.png']


def test_same_stem_in_class_folders_is_named_by_its_path(tmp_path):
    paths = [str(tmp_path / c / '0.png') for c in ('COVID-19', 'Normal')] + [
        str(tmp_path / 'Normal' / '0.jpg'), str(tmp_path / 'Normal' / '1.png')]
    names = cam_file_names(paths, 'gradcam')
    assert names == ['COVID-19_0.png_gradcam.png', 'Normal_0.png_gradcam.png',
                     'Normal_0.jpg_gradcam.png', '1_gradcam.png']


def test_long_names_are_shortened_and_stay_distinct():
    stem = 'é' * 120  # 240 bytes
    paths = [f'/x/{stem}a.png', f'/x/{stem}b.png']
    names = cam_file_names(paths, 'eigencam')
    assert len(set(names)) == 2
    assert all(len(n.encode()) <= MAX_NAME_BYTES and n.endswith('_eigencam.png')
               for n in names)
    assert all(osp.basename(n).startswith('éé') for n in names)
