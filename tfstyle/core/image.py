"""Pixel conventions and image files.

Everywhere in tfstyle an image is float32 RGB in [0, 1]: [H, W, 3] as a numpy
array, [B, H, W, 3] as a tensor. Only ``vgg.py`` knows about caffe's BGR and
mean subtraction.
"""

import io
import json
import os
import pathlib
import tempfile
from typing import Mapping, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from tfstyle.core.errors import ConfigError, ImageError
from tfstyle.core.fileio import atomic_write

# Inputs are refused above this many pixels before decoding (as float32 RGB a
# 100 Mpx image is 1.2 GB; it would be resized down anyway).
MAX_INPUT_PIXELS = 100_000_000

OUTPUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")
# Files a directory walk picks up as images (by suffix, any case).
INPUT_SUFFIXES = OUTPUT_SUFFIXES + (".gif", ".ppm", ".pgm")


def _to_rgb_array(img: Image.Image, background: str = "white") -> np.ndarray:
    img = ImageOps.exif_transpose(img)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # High-bit-depth grayscale (common for thermal images): scale by its own
        # type range rather than letting PIL clip to 8 bits.
        arr = np.asarray(img, np.float32)
        top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
        gray = np.clip(arr / top, 0.0, 1.0)
        return np.repeat(gray[..., None], 3, axis=-1)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent pixels become `background`, not whatever colour they hide.
        rgba = img.convert("RGBA")
        img = Image.alpha_composite(Image.new("RGBA", rgba.size, background), rgba)
    return np.asarray(img.convert("RGB"), np.float32) / 255.0


def resize(image: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """Resizes a [H, W, C] float image to (height, width) with antialiasing."""
    height, width = int(shape[0]), int(shape[1])
    if image.shape[:2] == (height, width):
        return image.astype(np.float32)
    channels = [Image.fromarray(np.ascontiguousarray(image[..., c], np.float32), mode="F")
                .resize((width, height), Image.Resampling.LANCZOS) for c in range(image.shape[-1])]
    return np.clip(np.stack([np.asarray(c) for c in channels], -1), 0.0, 1.0).astype(np.float32)


def fit_long_side(shape: Tuple[int, int], size: Optional[int]) -> Tuple[int, int]:
    """(height, width) with the long side equal to `size`, keeping aspect ratio."""
    height, width = shape
    if not size:
        return height, width
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _decoded(path: pathlib.Path) -> Image.Image:
    """The image file at `path`, decoded (a PIL image to close), or an
    `ImageError` saying in one line why it cannot be."""
    if not path.exists():
        raise ImageError(f"no such file: {path}")
    if path.is_dir():
        raise ImageError(f"is a directory, not an image: {path}")
    try:
        img = Image.open(path)
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ImageError(f"not a readable image: {path} ({exc.__class__.__name__})") from None
    except PermissionError:
        raise ImageError(f"cannot read image {path}: permission denied") from None
    except Exception as exc:  # broken files raise OSError, ValueError, SyntaxError, EOFError...
        raise ImageError(f"not a readable image: {path} ({exc.__class__.__name__})") from None
    try:
        if img.width * img.height > MAX_INPUT_PIXELS:
            raise ImageError(f"image too large: {path} ({img.width}x{img.height}; "
                             f"at most {MAX_INPUT_PIXELS:,} pixels)")
        img.load()
    except ImageError:
        img.close()
        raise
    except Exception as exc:
        img.close()
        raise ImageError(f"not a readable image: {path} ({exc.__class__.__name__})") from None
    return img


def check_readable(paths):
    """Every path of `paths` (None entries and other sources skipped) is an
    image file that decodes: the first that is not raises `ImageError`."""
    for path in paths:
        if isinstance(path, (str, pathlib.Path)) and "://" not in str(path):
            _decoded(pathlib.Path(path)).close()


def load_image(path, size: Optional[int] = None, background: str = "white") -> np.ndarray:
    """Reads an image file as float32 RGB [H, W, 3] in [0, 1].

    Args:
      path: file path.
      size: if given, resize so that the long side is `size` pixels.
      background: the colour transparent pixels become (a PIL colour name).
    """
    path = pathlib.Path(path)
    with _decoded(path) as img:
        array = _to_rgb_array(img, background)
    if min(array.shape[:2]) < 1:
        raise ImageError(f"empty image: {path}")
    return resize(array, fit_long_side(array.shape[:2], size))


def as_image(source, size: Optional[int] = None, background: str = "white") -> np.ndarray:
    """Accepts a path, a PIL image or an array (uint8, or float in [0, 1])."""
    if isinstance(source, (str, os.PathLike)):
        return load_image(source, size, background)
    if isinstance(source, Image.Image):
        array = _to_rgb_array(source, background)
    else:
        array = np.asarray(source)
        if array.ndim == 4 and array.shape[0] == 1:
            array = array[0]
        if array.ndim == 2:
            array = np.repeat(array[..., None], 3, -1)
        if array.ndim != 3 or array.shape[-1] not in (1, 3, 4):
            raise ImageError(f"expected an [H, W, 3] image, got shape {array.shape}")
        if array.shape[-1] == 1:
            array = np.repeat(array, 3, -1)
        array = array[..., :3]
        if array.dtype == np.uint8:
            array = array.astype(np.float32) / 255.0
        array = np.asarray(array, np.float32)
        if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
            raise ImageError("float images must hold finite values in [0, 1]")
    return resize(array, fit_long_side(array.shape[:2], size))


def files_under(directory, suffixes=INPUT_SUFFIXES, skip=lambda part: part.startswith(".")):
    """Files under `directory` (recursively) with one of `suffixes` (images by
    default), sorted; a file with a path part `skip` accepts (hidden files and
    folders by default) is left out. May be empty."""
    root = pathlib.Path(directory)
    return sorted(p for p in root.rglob("*")
                  if p.suffix.lower() in suffixes and p.is_file()
                  and not any(skip(part) for part in p.relative_to(root).parts))


def list_images(directory, what: str = "directory") -> list:
    """`files_under` of `directory`, which must be a folder holding images."""
    root = pathlib.Path(directory)
    if not root.is_dir():
        raise ImageError(f"{what} {root} is not a directory")
    files = files_under(root)
    if not files:
        raise ImageError(f"{what} {root} holds no images ({', '.join(INPUT_SUFFIXES)})")
    return files


def to_uint8(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 4:
        image = image[0]
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def writable_suffixes() -> Tuple[str, ...]:
    """Output extensions this Pillow build can actually write."""
    Image.init()
    formats = Image.registered_extensions()
    return tuple(s for s in OUTPUT_SUFFIXES if formats.get(s) in Image.SAVE)


def check_output_path(path, inputs: Sequence = (), overwrite: bool = False) -> pathlib.Path:
    """Fails early (before any work) if `path` cannot or must not be written."""
    path = pathlib.Path(path)
    if path.suffix.lower() not in writable_suffixes():
        raise ImageError(f"output {path}: unsupported extension {path.suffix!r}; "
                         f"use one of {', '.join(writable_suffixes())}")
    for source in inputs:
        if isinstance(source, (str, os.PathLike)) and os.path.exists(source) and path.exists() \
                and os.path.samefile(source, path):
            raise ImageError(f"output {path} is one of the input images; refusing to overwrite it")
    if path.is_dir():
        raise ImageError(f"output {path} is a directory")
    if path.exists() and not overwrite:
        raise ImageError(f"output {path} exists; pass `overwrite` to replace it")
    parent = path.parent if str(path.parent) else pathlib.Path(".")
    if not parent.is_dir():
        raise ImageError(f"output directory does not exist: {parent}")
    try:  # a real probe: os.access says yes to root even on read-only mounts
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise ImageError(f"output directory is not writable: {parent} "
                         f"({exc.strerror or exc})") from None
    return path


def encode_image(image: np.ndarray, suffix: str = ".png",
                 metadata: Optional[Mapping[str, object]] = None, channels: int = 3) -> bytes:
    """The bytes of an image file of type `suffix`; PNGs carry `metadata` as
    text chunks. With `channels=1` an RGB image is encoded as its luminance
    (Y of YIQ), one 8-bit channel."""
    if channels not in (1, 3):
        raise ImageError(f"output channels must be 1 or 3, got {channels!r}")
    if channels == 1:
        from tfstyle.core.color import luminance

        rgb = np.asarray(image)
        pil = Image.fromarray(to_uint8(luminance(rgb[0] if rgb.ndim == 4 else rgb)), "L")
    else:
        pil = Image.fromarray(to_uint8(image), "RGB")
    kwargs = {}
    suffix = suffix.lower()
    if suffix == ".png" and metadata:
        info = PngImagePlugin.PngInfo()
        for key, value in metadata.items():
            info.add_text(str(key), value if isinstance(value, str) else json.dumps(value))
        kwargs["pnginfo"] = info
    elif suffix in (".jpg", ".jpeg", ".webp"):
        kwargs["quality"] = 95
    buffer = io.BytesIO()
    try:
        pil.save(buffer, format=Image.registered_extensions().get(suffix), **kwargs)
    except (KeyError, ValueError, OSError) as exc:  # no encoder for this format in this Pillow
        raise ImageError(f"cannot encode a {suffix} image: {exc}") from None
    return buffer.getvalue()


def save_image(path, image: np.ndarray, metadata: Optional[Mapping[str, object]] = None,
               channels: int = 3):
    """Writes an image atomically (see `encode_image` for the arguments).

    The file appears complete or not at all: it is written to a temporary
    file in the same directory and renamed into place.
    """
    path = pathlib.Path(path)
    data = encode_image(image, path.suffix, metadata, channels)
    try:
        with atomic_write(path) as f:
            f.write(data)
    except OSError as exc:
        raise ImageError(f"cannot write {path}: {exc.strerror or exc}") from None


def saved_settings(path) -> Optional[dict]:
    """The settings a PNG written by tfstyle records (None if it has none)."""
    try:
        with Image.open(path) as img:
            text = getattr(img, "text", {}).get("tfstyle:settings")
        return json.loads(text) if text else None
    except Exception:  # unreadable or foreign file: no settings to compare
        return None


def load_mask(source, shape: Tuple[int, int], what: str = "mask") -> np.ndarray:
    """A mask (path, PIL image or array; white = inside) as [H, W] weights in [0, 1].

    Grey levels are kept as partial weights, so a feathered mask gives a soft
    seam. The mask is resized to `shape` (height, width).
    """
    # A white shape on a transparent background means just the shape.
    mask = resize(as_image(source, background="black"), shape).mean(axis=-1)
    if float(mask.max()) <= 0.0:
        raise ConfigError(f"{what} selects no pixels (it is all black)")
    return mask.astype(np.float32)
