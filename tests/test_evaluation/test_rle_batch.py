"""Many compressed RLEs at once: the batch decoder against pycocotools, and the vectorised
screen of the json readers never passing what the one-by-one check rejects."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from mmext.structures.coco_checks import rle_problem
from mmext.structures.rle import decode_counts_strings
from mmext.structures.coco_io import well_formed_rles


def _runs(mask):
    """Column-major run lengths of a mask, starting with a (maybe empty) run of zeros."""
    flat = mask.ravel(order='F').astype(np.int8)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    runs = np.diff(bounds).tolist()
    return [0] + runs if flat.size and flat[0] else runs


def _encode(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(size=rle['size'], counts=rle['counts'].decode())


def test_batch_decode_matches_pycocotools():
    rng = np.random.default_rng(0)
    masks = [rng.random(rng.integers(1, 200, 2)) < rng.random() * 0.3 for _ in range(60)]
    masks += [np.ones((300, 400), bool), np.zeros((5, 3), bool)]  # long counts, one run
    rles = [_encode(m) for m in masks]
    runs, starts = decode_counts_strings([r['counts'] for r in rles])
    assert len(starts) == len(rles) + 1
    for i, m in enumerate(masks):
        assert runs[starts[i]:starts[i + 1]].tolist() == _runs(m)
    runs, starts = decode_counts_strings([rles[0]['counts'], '', rles[1]['counts']])
    assert runs[starts[2]:].tolist() == _runs(masks[1]) and starts[1] == starts[2]
    hws = [tuple(r['size']) for r in rles]
    assert well_formed_rles(rles, hws).all()
    hws[3] = (hws[3][0] + 1, hws[3][1])  # the wrong image size: left to the full check
    assert well_formed_rles(rles, hws).tolist() == [i != 3 for i in range(len(rles))]


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(counts=st.lists(st.one_of(
    st.text(alphabet=st.characters(min_codepoint=48, max_codepoint=111), max_size=10),
    st.text(max_size=6)), min_size=1, max_size=4),
       size=st.sampled_from([[6, 7], [1, 1], [3, 2]]))
def test_screen_passes_only_what_the_full_check_passes(counts, size):
    segs = [dict(size=size, counts=c) for c in counts]
    ok = well_formed_rles(segs, [tuple(size)] * len(segs))
    for seg, passed in zip(segs, ok):
        if passed:
            assert rle_problem(seg, tuple(size)) is None
            assert mask_utils.decode(dict(seg, counts=seg['counts'].encode())).shape == \
                tuple(size)
