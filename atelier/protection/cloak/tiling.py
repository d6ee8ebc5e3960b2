"""Cutting an image into overlapping 512² tiles and feathering each tile's perturbation into its neighbours.

Tiles are visited in raster order, so when a tile is placed only its top and left bands were written before.
Those bands cross-fade linearly from the earlier tiles' perturbation to this one's, which keeps seams from
showing, and nothing but the source and output arrays needs to be whole-image sized.
"""

import math
from dataclasses import dataclass

import numpy as np

TILE = 512
OVERLAP = 64


@dataclass(frozen=True)
class Tile:
    top: int
    left: int
    height: int
    width: int
    overlap_top: int  # rows shared with the tiles above (0 on the first row)
    overlap_left: int  # columns shared with the tile to the left (0 on the first column)


def _starts(length: int) -> list[int]:
    if length <= TILE:
        return [0]
    count = math.ceil((length - OVERLAP) / (TILE - OVERLAP))
    return [round(index * (length - TILE) / (count - 1)) for index in range(count)]


def layout(width: int, height: int) -> list[Tile]:
    """Tiles covering a width×height image, each at most TILE on a side, with at least OVERLAP in common."""
    rows, columns = _starts(height), _starts(width)
    tile_height, tile_width = min(TILE, height), min(TILE, width)
    tiles = []
    for row, top in enumerate(rows):
        for column, left in enumerate(columns):
            overlap_top = rows[row - 1] + tile_height - top if row else 0
            overlap_left = columns[column - 1] + tile_width - left if column else 0
            tiles.append(Tile(top, left, tile_height, tile_width, overlap_top, overlap_left))
    return tiles


def tile_count(width: int, height: int) -> int:
    return len(_starts(width)) * len(_starts(height))


def _ramp(length: int, overlap: int) -> np.ndarray:
    ramp = np.ones(length, dtype=np.float32)
    if overlap:
        ramp[:overlap] = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
    return ramp


def blend_into(output: np.ndarray, source: np.ndarray, tile: Tile, delta: np.ndarray) -> None:
    """Write `source + delta` for `tile` into `output` (uint8 H×W×3), cross-fading with earlier tiles.

    `delta` is in 0–255 units. The perturbation already in `output` is a blend of earlier perturbations that
    each kept the L∞ cap, and a convex mix of values inside the cap stays inside it.
    """
    rows = slice(tile.top, tile.top + tile.height)
    columns = slice(tile.left, tile.left + tile.width)
    weight = np.minimum.outer(_ramp(tile.height, tile.overlap_top), _ramp(tile.width, tile.overlap_left))[..., None]
    base = source[rows, columns].astype(np.float32)
    earlier = output[rows, columns].astype(np.float32) - base
    mixed = earlier * (1.0 - weight) + delta * weight
    # Rounding a perturbation whose bound is a whole number of levels never crosses that bound.
    output[rows, columns] = np.clip(base + np.rint(mixed), 0, 255).astype(np.uint8)
