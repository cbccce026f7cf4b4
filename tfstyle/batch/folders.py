"""Stylizing a folder of images: mirrored output names, resumable, one bad
file never stops the run, and a manifest of what happened.

    from tfstyle import adain, batch
    recipe = adain.AdainRecipe(model="m.weights.h5", style="painting.jpg")
    batch.stylize_dir("photos/", "styled/", recipe.renderer(), settings=recipe.settings())

A `batch.Recipe` (one per method) says what is done to each image as plain
data: the command line, this module and the Beam pipeline (`batch.beam`,
which rebuilds it once per worker) share it, and `render_one` is the per-file
step both run.

Outputs are written atomically, so an interrupted run (a crash, Ctrl-C) leaves
only complete files, and running it again skips them. Each processed image
adds a line to ``<output_dir>/manifest.jsonl``.
"""

import dataclasses
import json
import logging
import os
import pathlib
import time
from typing import Callable, List, Mapping, Optional

import numpy as np

from tfstyle.core.errors import ImageError, TfstyleError
from tfstyle.core.recipe import image_of
from tfstyle.core.fileio import append_line, atomic_write
from tfstyle.core.image import encode_image, list_images, saved_settings, writable_suffixes

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"


@dataclasses.dataclass(frozen=True)
class BatchItem:
    """One input's outcome; a line of the manifest."""
    input: str
    output: str
    status: str                    # "done", "skipped" (its output existed) or "error"
    seconds: float = 0.0
    error: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class BatchProgress:
    """What a progress callback receives after each input."""
    step: int                      # inputs handled so far
    steps: int                     # inputs in all
    item: BatchItem
    elapsed: float                 # seconds since the run started
    rendered: int                  # inputs actually stylized so far (not skipped)

    @property
    def eta(self) -> float:
        """Seconds left, at the pace of the stylized inputs (skipping is free)."""
        if not self.rendered:
            return float("nan")
        return self.elapsed / self.rendered * (self.steps - self.step)


@dataclasses.dataclass(frozen=True)
class BatchResult:
    items: List[BatchItem]
    seconds: float

    def count(self, status: str) -> int:
        return sum(item.status == status for item in self.items)


def output_path(content_dir, path, output_dir, suffix: str = ".png") -> pathlib.Path:
    """``content_dir/a/b.jpg`` -> ``output_dir/a/b.png``: the tree is mirrored."""
    relative = pathlib.Path(path).relative_to(content_dir)
    return pathlib.Path(output_dir) / relative.with_suffix(suffix)


def plan(content_dir, output_dir, suffix: str = ".png"):
    """(input, output) pairs of a folder run, after every check that needs no
    image: the folders, the output extension, outputs that would clash."""
    content_dir, output_dir = pathlib.Path(content_dir), pathlib.Path(output_dir)
    if suffix.lower() not in writable_suffixes():
        raise ImageError(f"unsupported output extension {suffix!r}; use one of "
                         f"{', '.join(writable_suffixes())}")
    if output_dir.exists() and not output_dir.is_dir():
        raise ImageError(f"output_dir {output_dir} is a file, not a directory")
    files = list_images(content_dir, "content_dir")
    inputs, outputs = content_dir.resolve(), output_dir.resolve()
    if inputs == outputs:
        raise ImageError(f"content_dir and output_dir are the same folder ({content_dir}); "
                         "outputs would be mixed with their inputs")
    pairs = []
    for path in files:
        # An output folder inside the input folder is not read back as input.
        if inputs in outputs.parents and outputs in path.resolve().parents:
            continue
        pairs.append((path, output_path(content_dir, path, output_dir, suffix)))
    if not pairs:
        raise ImageError(f"content_dir {content_dir} holds no images outside output_dir")
    check_clashes(pairs)
    return pairs


def check_clashes(pairs):
    seen = {}
    for source, target in pairs:
        if target in seen:
            raise ImageError(f"{seen[target]} and {source} would both be written to {target}; "
                             "rename one")
        seen[target] = source


def check_writable(output_dir):
    """Creates `output_dir` if needed and proves it writable, before any work."""
    import tempfile

    output_dir = pathlib.Path(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output_dir):
            pass
    except OSError as exc:
        raise ImageError(f"cannot write to output_dir {output_dir}: "
                         f"{exc.strerror or exc}") from None


def changed_settings(target, settings: Mapping, settings_of: Callable = saved_settings
                     ) -> Optional[str]:
    """Why an existing output does not match `settings` (None if it does, or
    if it records none)."""
    old = settings_of(target)
    if old is None:
        return None
    settings = json.loads(json.dumps(settings))  # tuples as lists, as they were saved
    differ = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
    if not differ:
        return None
    return (f"{target} exists, made with other settings ({', '.join(differ)}); use another "
            "output folder, or `overwrite` to replace it")


def stylize_dir(content_dir, output_dir, render: Callable[[pathlib.Path], np.ndarray], *,
                settings: Optional[Mapping] = None, suffix: str = ".png",
                overwrite: bool = False, channels: int = 3,
                callback: Optional[Callable[[BatchProgress], None]] = None,
                pairs=None) -> BatchResult:
    """Renders every image under `content_dir` into `output_dir`.

    Args:
      render: path -> float32 [H, W, 3] image in [0, 1].
      settings: recorded in the manifest and in each PNG's metadata.
      suffix: the outputs' extension.
      overwrite: re-render inputs whose output exists (default: skip them).
      channels: 3 (RGB) or 1 (luminance, e.g. infrared-looking data).
      callback: receives a `BatchProgress` after each input.
      pairs: the (input, output) pairs if `plan` has listed them already.
    """
    pairs = pairs if pairs is not None else plan(content_dir, output_dir, suffix)
    output_dir = pathlib.Path(output_dir)
    check_writable(output_dir)
    settings = dict(settings or {})
    manifest = output_dir / MANIFEST
    start = time.monotonic()
    items, rendered = [], 0
    for index, (source, target) in enumerate(pairs):
        item = render_one(source, target, render, settings, overwrite=overwrite, channels=channels)
        if item.status != "skipped":
            rendered += 1
            append_line(manifest, json.dumps(dict(dataclasses.asdict(item), settings=settings),
                                             sort_keys=True))
        items.append(item)
        if callback is not None:
            callback(BatchProgress(index + 1, len(pairs), item, time.monotonic() - start,
                                   rendered))
    return BatchResult(items, time.monotonic() - start)


@dataclasses.dataclass(frozen=True)
class Storage:
    """Where a run's files live: the local disk, or any Beam file system."""
    read: Callable = pathlib.Path                 # input path -> what `render` takes
    exists: Callable[[object], bool] = os.path.exists
    settings_of: Callable = saved_settings        # an output's recorded settings, or None
    write: Callable = None                        # (output path, bytes): complete or nothing


def _write_local(path, data: bytes):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        f.write(data)


LOCAL = Storage(write=_write_local)


def render_one(source, target, render: Callable, settings: Mapping, *, overwrite: bool = False,
               channels: int = 3, storage: Storage = LOCAL) -> BatchItem:
    """One input of a folder run: skipped when its output exists (unless
    `overwrite`), else rendered and written with `settings` in its metadata.
    A file that fails is an "error" item; an output made with other settings
    raises, so a rerun never passes old outputs off as its own."""
    if storage.exists(target) and not overwrite:
        why = changed_settings(target, settings, storage.settings_of)
        if why:
            raise ImageError(why)
        return BatchItem(str(source), str(target), "skipped")
    began = time.monotonic()
    metadata = {"Software": "tfstyle", "tfstyle:input": str(source),
                "tfstyle:settings": json.dumps(dict(settings), sort_keys=True)}
    try:
        image = image_of(render(storage.read(source)))
        storage.write(target, encode_image(image, pathlib.PurePath(str(target)).suffix,
                                           metadata, channels))
        return BatchItem(str(source), str(target), "done", time.monotonic() - began)
    except (TfstyleError, OSError) as exc:
        return _failed(source, target, began, exc)
    except Exception as exc:  # e.g. TensorFlow out of memory on one huge image
        if not _is_tf_error(exc):
            raise
        return _failed(source, target, began, exc)


def _failed(source, target, began, exc) -> BatchItem:
    message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    message = message.strip().splitlines()[0] if message.strip() else exc.__class__.__name__
    log.debug("skipping %s: %s", source, message)
    return BatchItem(str(source), str(target), "error", time.monotonic() - began, message)


def _is_tf_error(exc) -> bool:
    import sys

    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(exc, tf.errors.OpError)
