"""Label maps for region-to-region transfer: a one-channel index PNG (each
value a label) or a colour-coded RGB image (each colour a label)."""

from typing import Optional, Tuple

import numpy as np
from PIL import Image

from tfstyle.core.errors import ConfigError, ImageError

# More distinct labels than this is no segmentation (a photo given as a map, say).
MAX_LABELS = 256


# A label covers at least this share of the map; rarer values are the
# anti-aliased edges of drawn maps and join the nearest label.
MIN_SHARE = 0.005
# ... and such edges are at most this share of it: more, and it is a photo.
MAX_RARE_SHARE = 0.1


def read_label_map(source) -> np.ndarray:
    """[H, W] int32 labels from a path, a PIL image or an array ([H, W] integers,
    or [H, W, 3] colours); the same colour (or index) in a content map and a
    style map is the same label. Values covering under `MIN_SHARE` of the map
    (the blended edges of a drawn map) take the nearest label's value."""
    return _snap(_read(source))


def _snap(labels: np.ndarray) -> np.ndarray:
    values, counts = np.unique(labels, return_counts=True)
    keep = values[counts >= MIN_SHARE * labels.size]
    if len(keep) == len(values):
        return labels
    rare = counts[counts < MIN_SHARE * labels.size].sum()
    if not len(keep) or len(keep) > MAX_LABELS or rare > MAX_RARE_SHARE * labels.size:
        raise ConfigError(f"a label map has {len(values)} values and no few of them cover it; "
                          "is it a label map?")
    rgb = lambda v: np.stack([(v >> 16) & 255, (v >> 8) & 255, v & 255], -1).astype(np.float64)
    # The nearest kept colour (for index maps: the nearest kept index, as the
    # packed value's low byte is the index itself).
    nearest = keep[np.argmin(((rgb(values)[:, None] - rgb(keep)[None]) ** 2).sum(-1), axis=1)]
    return nearest[np.searchsorted(values, labels)].astype(np.int32)


def _read(source) -> np.ndarray:
    if isinstance(source, np.ndarray) and source.ndim == 2:
        return source.astype(np.int32)
    if isinstance(source, np.ndarray):
        array = source
    else:
        try:
            with (source if isinstance(source, Image.Image) else Image.open(source)) as img:
                img.load()
                # Index images: the values are labels (a palette image's colours are,
                # since two files' palettes may order them differently).
                if img.mode in ("L", "I", "I;16"):
                    return np.asarray(img, np.int64).astype(np.int32)
                array = np.asarray(img.convert("RGB"))
        except FileNotFoundError:
            raise ImageError(f"no such file: {source}") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError(f"not a readable label map: {source} ({exc.__class__.__name__})") from None
    if array.ndim != 3 or array.shape[2] < 3:
        raise ImageError(f"a label map is [H, W] labels or [H, W, 3] colours, got {array.shape}")
    rgb = np.asarray(array[..., :3])
    if rgb.dtype != np.uint8:
        rgb = np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8) if rgb.dtype.kind == "f" else rgb
    packed = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    return packed.astype(np.int32)


def _check_count(labels: np.ndarray, what: str):
    count = len(np.unique(labels))
    if count > MAX_LABELS:
        raise ConfigError(f"{what} has {count} labels, more than {MAX_LABELS}; is it a label map?")


def pair(content_labels, style_labels, content_shape: Tuple[int, int],
         style_shape: Tuple[int, int], originals=None) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Both maps read and resized (nearest) to their images' shapes, or None.
    `originals`: the images' own (height, width) before resizing, which each
    map must have (a map of another size belongs to another picture)."""
    if content_labels is None and style_labels is None:
        return None
    if content_labels is None or style_labels is None:
        raise ConfigError("label maps come in pairs: `content_labels` and `style_labels`")
    maps = []
    for source, shape, what in ((content_labels, content_shape, "content_labels"),
                                (style_labels, style_shape, "style_labels")):
        labels = read_label_map(source)
        _check_count(labels, what)
        own = originals[len(maps)] if originals else None
        if own is not None and tuple(labels.shape) != tuple(own):
            raise ConfigError(f"{what} is {labels.shape[1]}x{labels.shape[0]} px but its image is "
                              f"{own[1]}x{own[0]}; a label map must match its photo")
        rows = np.arange(shape[0]) * labels.shape[0] // shape[0]
        cols = np.arange(shape[1]) * labels.shape[1] // shape[1]
        maps.append(labels[rows][:, cols])
    return tuple(maps)
