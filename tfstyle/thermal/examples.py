"""Aligned visible/thermal example pairs: found in a folder or given as a
list, checked, and read as (RGB photo, thermal intensity) arrays.

A folder holds `visible/` and `thermal/`; a pair is a visible image and the
thermal image of the same file name (the same stem is enough: 0001.jpg and
0001.png are twins). This is how LLVIP, FLIR, KAIST, TNO and M3FD ship.
"""

import dataclasses
import hashlib
import logging
import pathlib
from typing import List, Sequence, Tuple, Union

import numpy as np

from tfstyle.core.errors import ImageError

log = logging.getLogger(__name__)

# Channels further apart than this (mean |R-G| + |G-B| in [0, 1] units) make
# a thermal image a colour one; grey JPEGs saved as RGB differ by ~0.001.
COLOUR_SPREAD = 0.02


@dataclasses.dataclass(frozen=True)
class Pair:
    name: str
    visible: object   # path or [H, W, 3] array
    thermal: object   # path or [H, W] / [H, W, 3] array


def find_pairs(examples: Union[str, pathlib.Path, Sequence]) -> List[Pair]:
    """The pairs of a folder (visible/ and thermal/ with matching names) or
    of a list of (visible, thermal) paths or arrays (or `Pair`s)."""
    from tfstyle.core.image import files_under, list_images

    if isinstance(examples, (str, pathlib.Path)):
        root = pathlib.Path(examples)
        if not root.is_dir():
            raise ImageError(f"examples folder {root} does not exist")
        for sub in ("visible", "thermal"):
            if not (root / sub).is_dir():
                raise ImageError(f"examples folder {root} has no {sub}/ subfolder (it needs "
                                 "visible/ and thermal/ with matching file names)")
        try:
            visibles = list_images(root / "visible", "examples' visible folder")
        except ImageError:
            raise ImageError(f"examples folder {root} holds no pairs: {root / 'visible'} "
                             "has no images") from None
        thermals = _by_stem(root / "thermal", files_under(root / "thermal"), "thermal")
        pairs = []
        for key, path in _by_stem(root / "visible", visibles, "visible").items():
            twin = thermals.get(key)
            if twin is None:
                raise ImageError(f"examples: visible {path.relative_to(root)} has no thermal "
                                 f"twin (thermal/{key}.*)")
            pairs.append(Pair(str(key), str(path), str(twin)))
        return pairs
    try:
        items = list(examples)
    except TypeError:
        raise ImageError("examples must be a folder or a list of (visible, thermal) "
                         f"pairs, got {type(examples).__name__}") from None
    if not items:
        raise ImageError("examples holds no pairs")
    pairs = []
    for i, item in enumerate(items):
        if isinstance(item, Pair):
            pairs.append(item)
            continue
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ImageError(f"examples[{i}] must be a (visible, thermal) pair")
        name = pathlib.Path(item[0]).stem if isinstance(item[0], (str, pathlib.Path)) \
            else f"pair{i}"
        pairs.append(Pair(name, item[0], item[1]))
    return pairs


def _by_stem(folder: pathlib.Path, paths, side: str) -> dict:
    """{path under `folder` without its suffix: path}; two files with one
    stem are refused."""
    out = {}
    for path in paths:
        key = path.relative_to(folder).with_suffix("")
        if key in out:
            raise ImageError(f"examples: {side}/{out[key].name} and {side}/{path.name} have "
                             "one stem; which is the twin?")
        out[key] = path
    return out


def _digest(source) -> str:
    if isinstance(source, (str, pathlib.Path)):
        from tfstyle.core.weights import file_digest

        return file_digest(source)
    return hashlib.sha256(np.ascontiguousarray(source).tobytes()).hexdigest()


def digests(pairs: Sequence[Pair]) -> dict:
    """sha256 of every example image -> (side, pair name), computed once."""
    return {_digest(getattr(pair, side)): (side, pair.name)
            for pair in pairs for side in ("visible", "thermal")}


def check_not_example(content, known: dict):
    """Refuses a photo that is also one of the examples (by content, whatever
    its name; `known` from `digests`): its own thermal twin would be the
    answer, so the result would mean nothing."""
    if content is None:
        return
    if isinstance(content, (str, pathlib.Path)) and not pathlib.Path(content).is_file():
        raise ImageError(f"no such image: {content}")
    found = known.get(_digest(content))
    if found:
        raise ImageError(f"the photo is also the examples' {found[0]} image {found[1]}; "
                         "leave it out of the examples")


def check_pairs(pairs: Sequence[Pair]):
    """The checks that need no decoding, before any slow work: every image
    opens, and twins have one pixel size."""
    for pair in pairs:
        _check_sizes(pair)


def _check_sizes(pair: Pair):
    vsize, tsize = _pixel_size(pair.visible), _pixel_size(pair.thermal)
    if vsize != tsize:
        raise ImageError(f"examples: {pair.name}'s visible image is {vsize[0]}x{vsize[1]} px "
                         f"and its thermal twin {tsize[0]}x{tsize[1]}; aligned twins have one "
                         "size")


def _pixel_size(source) -> Tuple[int, int]:
    if isinstance(source, (str, pathlib.Path)):
        from PIL import Image

        try:
            with Image.open(source) as img:
                return img.size
        except (OSError, ValueError) as e:
            raise ImageError(f"cannot read image {source}: {e}") from None
    array = np.asarray(source)
    return array.shape[1], array.shape[0]


def _grey_array(array: np.ndarray, name: str) -> np.ndarray:
    """A 2-D thermal array in [0, 1]: integers scaled by their type's range
    (8 or 16 bit), floats as they are (which must lie in [0, 1])."""
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float32) / float(np.iinfo(array.dtype).max)
    array = np.asarray(array, np.float32)
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        raise ImageError(f"examples: thermal {name} holds floats outside [0, 1]")
    return array


def read_pair(pair: Pair, size: int) -> Tuple[np.ndarray, np.ndarray]:
    """(visible [h, w, 3], thermal intensity [h, w]) at long side `size`;
    the twins must have one pixel size, and a colour thermal image is read
    as its luminance (with a note)."""
    from tfstyle.core.color import luminance
    from tfstyle.core.image import as_image

    _check_sizes(pair)
    visible = as_image(pair.visible, size)
    if not isinstance(pair.thermal, (str, pathlib.Path)) and np.ndim(pair.thermal) == 2:
        from tfstyle.core.image import resize

        thermal = resize(_grey_array(np.asarray(pair.thermal), pair.name)[..., None],
                         visible.shape[:2])[..., 0]
    else:
        rgb = as_image(pair.thermal, size)
        spread = float(np.mean(np.abs(rgb[..., 0] - rgb[..., 1]) + np.abs(rgb[..., 1] -
                                                                          rgb[..., 2])))
        if spread > COLOUR_SPREAD:
            log.warning("examples: thermal %s is a colour image; its luminance is used as the "
                        "thermal intensity (a false-colour palette is not undone)", pair.name)
        thermal = luminance(rgb)
    return visible, np.clip(thermal, 0.0, 1.0).astype(np.float32)
