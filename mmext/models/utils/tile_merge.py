"""Instances predicted on overlapping tiles, merged across the seams by mask overlap.

A particle near a seam is seen by both tiles: whole by one and cut by the other's edge,
or cut by both. Two pieces from different tiles are the same particle when their masks
agree where both tiles see the image, inside the tiles' common rectangle: their IoU there
is at least ``merge_thr`` (a particle both tiles see whole), or one of them is cut by its
tile's edge and the other covers at least ``merge_thr`` of the smaller there (a cut piece
is a part of its particle: a sliver of a few pixels, where an IoU would be at the mercy of
one pixel's error, included). A piece ends at its tile's edge only inside the neighbour's
area, so a cut particle's pieces cover the same pixels there, while touching particles
share only their masks' errors at the contact. Merged pieces are joined transitively (a particle across a tile corner)
and their masks united; boxes only propose which pairs to compare.
"""
from typing import List, NamedTuple, Sequence, Tuple

import numpy as np


class Piece(NamedTuple):
    """One instance found on one tile, in whole-image coordinates."""
    x0: int  # left column of ``mask`` in the image
    y0: int  # top row of ``mask`` in the image
    mask: np.ndarray  # (h, w) bool, the instance's pixels inside its box
    score: float
    label: int
    tile: int  # index of the tile it came from


class MergedInstance(NamedTuple):
    """One instance of the whole image: its box (x1 y1 x2 y2, exclusive) and mask crop."""
    box: Tuple[int, int, int, int]
    mask: np.ndarray  # (y2 - y1, x2 - x1) bool
    score: float
    label: int


def piece_from_mask(mask: np.ndarray, x_offset: int, y_offset: int, score: float,
                    label: int, tile: int):
    """The :class:`Piece` of a tile-sized bool mask (None when it is empty)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if not len(rows):
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    return Piece(int(x0 + x_offset), int(y0 + y_offset), np.ascontiguousarray(mask[y0:y1, x0:x1]),
                 float(score), int(label), tile)


def _box(piece: Piece) -> Tuple[int, int, int, int]:
    h, w = piece.mask.shape
    return piece.x0, piece.y0, piece.x0 + w, piece.y0 + h


def _intersect(a, b):
    x0, y0, x1, y1 = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _window(piece: Piece, rect) -> np.ndarray:
    """``piece``'s mask inside ``rect`` (x0 y0 x1 y1), zero where it has no pixels."""
    x0, y0, x1, y1 = rect
    out = np.zeros((y1 - y0, x1 - x0), bool)
    inter = _intersect(_box(piece), rect)
    if inter is not None:
        ix0, iy0, ix1, iy1 = inter
        out[iy0 - y0:iy1 - y0, ix0 - x0:ix1 - x0] = piece.mask[
            iy0 - piece.y0:iy1 - piece.y0, ix0 - piece.x0:ix1 - piece.x0]
    return out


def overlap_scores(a: Piece, b: Piece, common) -> Tuple[float, float]:
    """Inside the rectangle ``common`` both their tiles see: the IoU of two pieces'
    masks, and the share of the smaller that the other covers."""
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = _box(a), _box(b)
    window = _intersect((min(ax0, bx0), min(ay0, by0), max(ax1, bx1), max(ay1, by1)), common)
    if window is None:
        return 0.0, 0.0
    wa, wb = _window(a, window), _window(b, window)
    inter = np.count_nonzero(wa & wb)
    smaller = min(np.count_nonzero(wa), np.count_nonzero(wb))
    if not inter:
        return 0.0, 0.0
    return inter / np.count_nonzero(wa | wb), inter / smaller


def _is_cut(box, tile, width: int, height: int) -> bool:
    """Whether a piece's box reaches an edge of its tile inside the image."""
    return ((box[0] <= tile[0] > 0) or (box[1] <= tile[1] > 0)
            or (box[2] >= tile[2] < width) or (box[3] >= tile[3] < height))


def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def merge_pieces(pieces: Sequence[Piece], tiles: Sequence[Tuple[int, int, int, int]],
                 merge_thr: float = 0.5) -> List[MergedInstance]:
    """Instances of the whole image from the ``pieces`` of the ``tiles`` (x0 y0 x1 y1
    each): pieces of different tiles that agree inside the two tiles' common rectangle
    (module docstring) are one instance (transitively), its mask the
    union, its score and label those of its largest piece. Sorted by score."""
    parent = list(range(len(pieces)))
    boxes = np.array([_box(p) for p in pieces], np.int64).reshape(-1, 4)
    tile_of = np.array([p.tile for p in pieces], np.int64)
    width = max(t[2] for t in tiles) if tiles else 0
    height = max(t[3] for t in tiles) if tiles else 0
    cut = [_is_cut(boxes[i], tiles[p.tile], width, height) for i, p in enumerate(pieces)]
    for ta in range(len(tiles)):
        for tb in range(ta + 1, len(tiles)):
            common = _intersect(tiles[ta], tiles[tb])
            if common is None:
                continue
            near = ((boxes[:, 0] < common[2]) & (boxes[:, 2] > common[0])
                    & (boxes[:, 1] < common[3]) & (boxes[:, 3] > common[1]))
            side_a = np.flatnonzero(near & (tile_of == ta))
            side_b = np.flatnonzero(near & (tile_of == tb))
            if not len(side_a) or not len(side_b):
                continue
            ba, bb = boxes[side_a][:, None], boxes[side_b][None]
            touch = ((ba[..., 0] < bb[..., 2]) & (bb[..., 0] < ba[..., 2])
                     & (ba[..., 1] < bb[..., 3]) & (bb[..., 1] < ba[..., 3]))
            for i, j in zip(*np.nonzero(touch)):
                a, b = side_a[i], side_b[j]
                iou, share = overlap_scores(pieces[a], pieces[b], common)
                if iou >= merge_thr or ((cut[a] or cut[b]) and share >= merge_thr):
                    parent[_find(parent, a)] = _find(parent, b)
    groups = {}
    for i in range(len(pieces)):
        groups.setdefault(_find(parent, i), []).append(i)
    merged = []
    for members in groups.values():
        x0, y0 = boxes[members, 0].min(), boxes[members, 1].min()
        x1, y1 = boxes[members, 2].max(), boxes[members, 3].max()
        mask = np.zeros((y1 - y0, x1 - x0), bool)
        for i in members:
            px0, py0, px1, py1 = boxes[i]
            mask[py0 - y0:py1 - y0, px0 - x0:px1 - x0] |= pieces[i].mask
        main = max(members, key=lambda i: (np.count_nonzero(pieces[i].mask), pieces[i].score))
        merged.append(MergedInstance((int(x0), int(y0), int(x1), int(y1)), mask,
                                     pieces[main].score, pieces[main].label))
    merged.sort(key=lambda m: -m.score)
    return merged
