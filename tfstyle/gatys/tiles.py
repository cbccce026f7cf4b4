"""Images larger than memory: the network run by tiles.

Two uses, both for passes whose whole image would not fit:

* Encoding by tiles, exactly. Each *core* (a block on a 16 px grid) is encoded
  with a halo of context around it and only the core's positions are kept.
  The halo covers conv5_1's receptive field and the core origins sit on the
  grid of VGG's four 2x2 poolings, so the kept features equal the whole
  image's. Gram matrices and loss sums add up over cores: style statistics
  (and the reported losses) stay global.
* Optimizing by tiles. The cores are optimized one after another, each
  inside a window that adds its halo of the current image as fixed context
  (so windows overlap by two halos). Only the core's pixels move and only its
  positions count; its features see the neighbours' actual pixels, so a
  tile's edge continues the pixels beside it. Every tile matches the pass's
  global style targets itself, so all tiles share one style.

Memory: one L-BFGS step up to conv5_1 peaked at 3.0-3.2 KB per pixel run
whole (512 to 2048 px) and at about 4.2 KB per pixel of window in a tiled
4096 px pass, with what the process still held from earlier passes (see
benchmarks/size_bench.py); the planner assumes the latter, `BYTES_PER_PIXEL`,
on top of `BASE_BYTES`.
"""

import dataclasses
import logging
import math
import os
from typing import Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from tfstyle.gatys.config import MIN_TILE, StyleConfig
from tfstyle.core.vgg import pools_before

log = logging.getLogger(__name__)

# conv5_1's receptive field reaches 78 px beyond a position's own 16 px block;
# a multiple of ALIGN keeps every crop on the pooling grid.
HALO = 96
# VGG pools 4 times before conv5_1: features of crops starting on this grid
# line up with the whole image's.
ALIGN = 16
# Peak memory of one loss-and-gradient evaluation up to conv5_1, per pixel,
# and of TensorFlow with the network loaded (measured; see the module doc).
BYTES_PER_PIXEL = 4200
BASE_BYTES = 1_400_000_000
# Share of the available memory a step may plan to use.
MEMORY_SHARE = 0.6


def step_bytes(shape: Tuple[int, int]) -> int:
    """Estimated peak bytes of a run whose optimized image has `shape` (h, w)."""
    return BASE_BYTES + BYTES_PER_PIXEL * int(shape[0]) * int(shape[1])


def available_bytes() -> int:
    """Memory available to this process now (Linux MemAvailable; else all RAM)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _budget(budget: Optional[float]) -> float:
    """`budget` bytes, or by default the share of the available memory a step may use."""
    return MEMORY_SHARE * available_bytes() if budget is None else budget


def _largest_core(budget: float) -> int:
    """Side of the largest square core whose window (core and halo) fits in `budget`."""
    side = int(math.sqrt(max(budget - BASE_BYTES, 0) / BYTES_PER_PIXEL)) - 2 * HALO
    return side // ALIGN * ALIGN


def fits(shape: Tuple[int, int], budget: Optional[int] = None) -> bool:
    return step_bytes(shape) <= _budget(budget)


def auto_tile_side(shape: Tuple[int, int], budget: Optional[int] = None) -> Optional[int]:
    """None when an image of `shape` fits in `budget` bytes (default: a share of
    the available memory); else the largest tile side (a multiple of ALIGN)
    whose window (the tile and its halo) does."""
    budget = _budget(budget)
    if fits(shape, budget):
        return None
    return max(_largest_core(budget), MIN_TILE)


@dataclasses.dataclass(frozen=True)
class Tile:
    """A window [y0, y1) x [x0, x1) of the image."""
    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def shape(self) -> Tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0

    def crop(self, array: np.ndarray) -> np.ndarray:
        """The tile of an [H, W, ...] array."""
        return array[self.y0:self.y1, self.x0:self.x1]


def window(core: Tile, shape: Tuple[int, int]) -> Tile:
    """`core` with HALO px of context on each side, clipped to the image."""
    return Tile(max(core.y0 - HALO, 0), min(core.y1 + HALO, shape[0]),
                max(core.x0 - HALO, 0), min(core.x1 + HALO, shape[1]))


def window_side(core: int) -> int:
    """Long side of the window a tile of side `core` is optimized in."""
    return core + 2 * HALO


def paste(image: np.ndarray, win: Tile, result: np.ndarray) -> np.ndarray:
    """A copy of `image` with the window `win` set to `result` (its halo holds
    the image's own pixels, so only the core changes)."""
    out = image.copy()
    out[win.y0:win.y1, win.x0:win.x1] = result
    return out


def _bounds(length: int, core: int) -> List[Tuple[int, int]]:
    starts = list(range(0, length, core))
    # A last sliver under ALIGN px would have no conv5_1 position: it joins its neighbour.
    if len(starts) > 1 and length - starts[-1] < ALIGN:
        starts.pop()
    return list(zip(starts, starts[1:] + [length]))


def cores(shape: Tuple[int, int], core: int) -> List[Tile]:
    """Non-overlapping blocks of about core x core (`core` a multiple of ALIGN)
    covering `shape`, row by row; each at least ALIGN px on a side unless the
    image is smaller."""
    if core % ALIGN:
        raise ValueError(f"core side {core} is not a multiple of {ALIGN}")
    return [Tile(y0, y1, x0, x1) for y0, y1 in _bounds(shape[0], core)
            for x0, x1 in _bounds(shape[1], core)]


def core_side(budget: Optional[int] = None) -> int:
    """Core side for encoding by tiles: windows no larger than an
    optimization window, so encoding never plans more memory than a step."""
    return max(_largest_core(_budget(budget)), 4 * ALIGN)


def tile_side(config: StyleConfig, shape: Tuple[int, int]) -> Optional[int]:
    """The tile side for a pass of `shape`, or None to run it whole."""
    if config.tile_size == 0:
        if not fits(shape, available_bytes()):
            log.warning("%dx%d px needs about %.1f GB, more than is available; tile_size=0 "
                        "forbids tiling", shape[1], shape[0], step_bytes(shape) / 1e9)
        return None
    if config.tile_size is None:
        return auto_tile_side(shape)
    return config.tile_size if max(shape) > config.tile_size else None


def layer_span(tile: Tile, origin: Tile, name: str, shape: Tuple[int, int]):
    """Slices (rows, columns) of `tile` on `name`'s grid of features computed
    from the window `origin` of an image of `shape`; a tile that ends at the
    image's edge keeps what the poolings kept."""
    p = pools_before(name)
    y1 = None if tile.y1 == shape[0] else (tile.y1 - origin.y0) >> p
    x1 = None if tile.x1 == shape[1] else (tile.x1 - origin.x0) >> p
    return slice((tile.y0 - origin.y0) >> p, y1), slice((tile.x0 - origin.x0) >> p, x1)


def crop_layer_map(array, tile: Tile, name: str, shape: Tuple[int, int]):
    """The positions of core `tile` in an [1, h, w, C] map on `name`'s grid of
    the whole image (a mask from `gatys.mask_at_layer`, say)."""
    rows, cols = layer_span(tile, Tile(0, shape[0], 0, shape[1]), name, shape)
    return array[:, rows, cols]


def encode_by_cores(extractor, image: np.ndarray, layers: Sequence[str],
                    core: int) -> Iterator[Tuple[Tile, Mapping[str, object]]]:
    """Yields (core, {layer: features of the core's positions [1, h, w, N]})
    over the cores of `image` ([H, W, 3]); together they are the whole
    image's features at `layers`."""
    import tensorflow as tf

    shape = image.shape[:2]
    for c in cores(shape, core):
        window_ = window(c, shape)
        feats = extractor(tf.constant(window_.crop(image)[None]))
        out = {}
        for name in layers:
            rows, cols = layer_span(c, window_, name, shape)
            out[name] = feats[name][:, rows, cols]
        yield c, out
