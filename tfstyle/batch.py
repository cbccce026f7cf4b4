"""Stylizing a folder of images: mirrored output names, resumable, one bad
file never stops the run, and a manifest of what happened.

    from tfstyle import batch
    recipe = batch.Recipe("adain", styles=("painting.jpg",), adain_model=("m.weights.h5",))
    batch.stylize_dir("photos/", "styled/", recipe.renderer(), settings=recipe.settings())

`Recipe` says what is done to each image, for either method, as plain data:
the command line, this module and the Beam pipeline (`tfstyle.beam`, which
rebuilds it once per worker) share it.

Outputs are written atomically, so an interrupted run (a crash, Ctrl-C) leaves
only complete files, and running it again skips them. Each processed image
adds a line to ``<output_dir>/manifest.jsonl``.
"""

import dataclasses
import json
import logging
import pathlib
import time
from typing import Callable, List, Mapping, Optional, Tuple

import numpy as np

from tfstyle.color import PRESERVE_COLOR
from tfstyle.config import StyleConfig
from tfstyle.errors import ConfigError, ImageError, TfstyleError
from tfstyle.fileio import append_line
from tfstyle.image import list_images, load_image, save_image, writable_suffixes

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"


METHODS = ("gatys", "adain")
EMBEDDED_STYLE = "embedded:brushstrokes(512, seed=0)"


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What is done to every image of a batch (picklable plain data)."""

    # "gatys" (an optimization per image, minutes) or "adain" (one pass, seconds).
    method: str
    # Style image paths; empty: tfstyle's embedded painting.
    styles: Tuple[str, ...] = ()
    # gatys: every setting of the optimization (size, steps, weights, ...).
    config: StyleConfig = StyleConfig()
    # gatys: a VGG19 weights file (None: `find_vgg19_weights`' search).
    vgg_weights: Optional[str] = None
    # adain: a .weights.h5 path, or the release's (vgg_normalised.pth, decoder.pth).
    adain_model: Tuple[str, ...] = ()
    # adain: the controls of `AdaIN.stylize`.
    alpha: float = 1.0
    style_weights: Tuple[float, ...] = ()
    preserve_color: str = "none"
    size: Optional[int] = 512
    style_size: Optional[int] = 512

    def __post_init__(self):
        if self.method not in METHODS:
            raise ConfigError(f"method must be one of {METHODS}, got {self.method!r}")
        object.__setattr__(self, "styles", tuple(str(s) for s in self.styles))
        object.__setattr__(self, "adain_model", tuple(str(p) for p in self.adain_model))
        object.__setattr__(self, "style_weights", tuple(float(w) for w in self.style_weights))
        if self.method == "adain" and len(self.adain_model) not in (1, 2):
            raise ConfigError("an AdaIN recipe needs adain_model: a .weights.h5 path or the "
                              "(vgg_normalised.pth, decoder.pth) pair")
        if not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(f"alpha must be in [0, 1], got {self.alpha!r}")
        if self.preserve_color not in PRESERVE_COLOR:
            raise ConfigError(f"preserve_color must be one of {PRESERVE_COLOR}, "
                              f"got {self.preserve_color!r}")
        count = max(len(self.styles), 1)
        blend = self.style_weights if self.method == "adain" else self.config.style_blend
        if blend and len(blend) != count:
            raise ConfigError(f"{len(blend)} style weights for {count} styles")

    def renderer(self, read: Callable = load_image, fetch: Callable = str) -> Callable:
        """Loads what every image needs once (weights, model, encoded styles)
        and returns render(content: path or array) -> [H, W, 3] in [0, 1].
        `read(path)` reads the style images and `fetch(path)` gives a local
        copy of a model or weights file (Beam passes both for its file
        systems)."""
        from tfstyle.samples import brushstrokes

        styles = [read(s) for s in self.styles] or [brushstrokes(512)]
        if self.method == "gatys":
            from tfstyle.gatys import stylize
            from tfstyle.weights import find_vgg19_weights

            weights = find_vgg19_weights(self.vgg_weights and fetch(self.vgg_weights))
            return lambda content: stylize(content, styles, self.config, weights=weights).image
        from tfstyle.adain import load_model

        model = load_model(tuple(fetch(p) for p in self.adain_model))
        if self.preserve_color == "none":  # the same styles for every image: encode them once
            styles = [model.style_stats(s, self.style_size) for s in styles]
        return lambda content: model.stylize(
            content, styles, alpha=self.alpha, style_weights=self.style_weights or None,
            preserve_color=self.preserve_color, size=self.size, style_size=self.style_size)

    def settings(self) -> dict:
        """The recipe as the manifest and the PNGs record it."""
        out = {"method": self.method, "style": list(self.styles) or [EMBEDDED_STYLE]}
        if self.method == "gatys":
            out.update(self.config.to_dict())
        else:
            out.update(model=list(self.adain_model), alpha=self.alpha,
                       style_blend=list(self.style_weights), preserve_color=self.preserve_color,
                       size=self.size, style_size=self.style_size)
        return out


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


def changed_settings(target, settings: Mapping) -> Optional[str]:
    """Why an existing output does not match `settings` (None if it does, or
    if it records none)."""
    from tfstyle.image import saved_settings

    old = saved_settings(target)
    if old is None:
        return None
    settings = json.loads(json.dumps(settings))  # tuples as lists, as they were saved
    differ = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
    if not differ:
        return None
    return (f"{target} exists, made with other settings ({', '.join(differ)}); use another "
            "output folder, or --overwrite to replace it")


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
    metadata = {"Software": "tfstyle", "tfstyle:settings": json.dumps(settings, sort_keys=True)}
    manifest = output_dir / MANIFEST
    start = time.monotonic()
    items, rendered = [], 0
    for index, (source, target) in enumerate(pairs):
        if target.exists() and not overwrite:
            # A rerun resumes; a run with other settings must not pass old
            # outputs off as its own.
            why = changed_settings(target, settings)
            if why:
                raise ImageError(why)
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
