"""Stylizing a folder of images: mirrored output names, resumable, one bad
file never stops the run, and a manifest of what happened.

    from tfstyle import adain, batch
    model = adain.load_model("decoder.weights.h5")
    stats = model.style_stats("painting.jpg")
    batch.stylize_dir("photos/", "styled/", lambda path: model.stylize(path, stats))

Outputs are written atomically, so an interrupted run (a crash, Ctrl-C) leaves
only complete files, and running it again skips them. Each processed image
adds a line to ``<output_dir>/manifest.jsonl``.
"""

import dataclasses
import json
import logging
import pathlib
import time
from typing import Callable, List, Mapping, Optional

import numpy as np

from tfstyle.errors import ImageError, TfstyleError
from tfstyle.fileio import append_line
from tfstyle.image import list_images, save_image, writable_suffixes

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
    """(input, output) pairs; inputs inside `output_dir` are left out, so an
    output folder inside the input folder is not read back as input."""
    content_dir, output_dir = pathlib.Path(content_dir), pathlib.Path(output_dir)
    if suffix.lower() not in writable_suffixes():
        raise ImageError(f"unsupported output extension {suffix!r}; use one of "
                         f"{', '.join(writable_suffixes())}")
    if output_dir.exists() and not output_dir.is_dir():
        raise ImageError(f"output_dir {output_dir} is a file, not a directory")
    files = list_images(content_dir, "content_dir")
    out_root = output_dir.resolve()
    pairs = []
    for path in files:
        if out_root == path.resolve().parent or out_root in path.resolve().parents:
            continue
        pairs.append((path, output_path(content_dir, path, output_dir, suffix)))
    if not pairs:
        raise ImageError(f"content_dir {content_dir} holds no images outside output_dir")
    outputs = [out for _, out in pairs]
    if len(set(outputs)) != len(outputs):
        clash = next(o for o in outputs if outputs.count(o) > 1)
        raise ImageError(f"two inputs would both be written to {clash} (same name, other "
                         "extension); rename one")
    return pairs


def stylize_dir(content_dir, output_dir, render: Callable[[pathlib.Path], np.ndarray], *,
                settings: Optional[Mapping] = None, suffix: str = ".png",
                overwrite: bool = False, channels: int = 3,
                callback: Optional[Callable[[BatchProgress], None]] = None) -> BatchResult:
    """Renders every image under `content_dir` into `output_dir`.

    Args:
      render: path -> float32 [H, W, 3] image in [0, 1].
      settings: recorded in the manifest and in each PNG's metadata.
      suffix: the outputs' extension.
      overwrite: re-render inputs whose output exists (default: skip them).
      channels: 3 (RGB) or 1 (luminance, e.g. infrared-looking data).
      callback: receives a `BatchProgress` after each input.
    """
    pairs = plan(content_dir, output_dir, suffix)
    output_dir = pathlib.Path(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageError(f"cannot create output_dir {output_dir}: {exc.strerror or exc}") from None
    settings = dict(settings or {})
    metadata = {"Software": "tfstyle", "tfstyle:settings": json.dumps(settings, sort_keys=True)}
    manifest = output_dir / MANIFEST
    start = time.monotonic()
    items, rendered = [], 0
    for index, (source, target) in enumerate(pairs):
        if target.exists() and not overwrite:
            item = BatchItem(str(source), str(target), "skipped")
        else:
            began = time.monotonic()
            try:
                image = render(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                save_image(target, image, dict(metadata, **{"tfstyle:input": str(source)}),
                           channels)
                item = BatchItem(str(source), str(target), "done", time.monotonic() - began)
            except (TfstyleError, OSError) as exc:
                item = _failed(source, target, began, exc)
            except Exception as exc:  # e.g. TensorFlow out of memory on one huge image
                if not _is_tf_error(exc):
                    raise
                item = _failed(source, target, began, exc)
            rendered += 1
            append_line(manifest, json.dumps(dict(dataclasses.asdict(item), settings=settings),
                                             sort_keys=True))
        items.append(item)
        if callback is not None:
            callback(BatchProgress(index + 1, len(pairs), item, time.monotonic() - start,
                                   rendered))
    return BatchResult(items, time.monotonic() - start)


def _failed(source, target, began, exc) -> BatchItem:
    message = getattr(exc, "message", None) or str(exc) or exc.__class__.__name__
    message = message.strip().splitlines()[0] if message.strip() else exc.__class__.__name__
    log.debug("skipping %s: %s", source, message)
    return BatchItem(str(source), str(target), "error", time.monotonic() - began, message)


def _is_tf_error(exc) -> bool:
    import sys

    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(exc, tf.errors.OpError)
