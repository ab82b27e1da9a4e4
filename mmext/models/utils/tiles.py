"""Sliced (tiled) inference of a fully convolutional network on images of any size."""
from typing import Callable, List, Tuple

import torch


def tile_spans(length: int, tile: int, overlap: int) -> List[Tuple[int, int, int, int]]:
    """Tiles of ``tile`` px that cover ``length`` px, consecutive ones overlapping by at
    least ``overlap`` px, the last flush with the end. Each is ``(start, end, own_start,
    own_end)``: the tile, and the part of it whose outputs are kept, the tiles' kept parts
    meeting halfway through each overlap (so they partition ``[0, length)``)."""
    if length <= tile:
        return [(0, length, 0, length)]
    stride = tile - overlap
    if stride <= 0:
        raise ValueError(f'tile overlap {overlap} must be smaller than the tile ({tile})')
    starts = list(range(0, length - tile, stride)) + [length - tile]
    spans = []
    for i, start in enumerate(starts):
        own_start = 0 if i == 0 else (starts[i - 1] + tile + start) // 2
        own_end = length if i == len(starts) - 1 else (start + tile + starts[i + 1]) // 2
        spans.append((start, start + tile, own_start, own_end))
    return spans


def tiled_forward(net: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                  tile_size: int, overlap: int) -> torch.Tensor:
    """``net`` on overlapping ``tile_size`` tiles of ``inputs`` (B, C, H, W), stitched into
    full-size outputs: each output pixel comes from the tile in which it lies farthest
    from a seam (at least ``overlap // 2`` px inside the tile, where the tile does not
    end at the image's edge). A network whose receptive field reaches less than that
    gives exactly its whole-image output; one tile's activations are in memory at a time.
    ``net`` must keep the spatial size. Inputs no larger than a tile go through whole."""
    height, width = inputs.shape[-2:]
    if height <= tile_size and width <= tile_size:
        return net(inputs)
    out = None
    for y0, y1, oy0, oy1 in tile_spans(height, tile_size, overlap):
        for x0, x1, ox0, ox1 in tile_spans(width, tile_size, overlap):
            pred = net(inputs[..., y0:y1, x0:x1])
            if out is None:
                out = inputs.new_zeros(inputs.shape[0], pred.shape[1], height, width)
            out[..., oy0:oy1, ox0:ox1] = pred[..., oy0 - y0:oy1 - y0, ox0 - x0:ox1 - x0]
    return out
