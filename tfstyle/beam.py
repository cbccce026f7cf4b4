"""Folder stylization as an Apache Beam pipeline: the same `batch.Recipe` on
many workers (Dataflow, Flink, Spark, or the DirectRunner on one machine).

    from tfstyle import batch, beam
    recipe = batch.Recipe("adain", styles=("gs://b/painting.jpg",),
                          adain_model=("gs://b/adain.weights.h5",))
    beam.run(recipe, "gs://b/photos", "gs://b/styled", runner="DataflowRunner",
             options="--project=p --region=europe-west1 --temp_location=gs://b/tmp")

Each worker rebuilds the recipe once (`DoFn.setup`: weights, model, encoded
styles), reads and writes through Beam's file systems (local paths, gs://,
s3://, hdfs:// ...), mirrors the input tree, skips outputs that exist (a
rerun resumes), writes each output under a temporary name and renames it
(no half-written files), and records every input as a JSON line in
``<output_dir>/manifest-<time>-<tag>-SSSSS-of-NNNNN.jsonl`` (one set per run, so
earlier runs' records stay). A file that fails is recorded, not fatal.
"""

import dataclasses
import io
import json
import logging
import os
import secrets
import shlex
import time
from typing import Optional

import numpy as np

from tfstyle.batch import BatchItem, BatchResult, Recipe
from tfstyle.errors import ConfigError, ImageError, TfstyleError
from tfstyle.image import INPUT_SUFFIXES, as_image, to_uint8

log = logging.getLogger(__name__)


def _beam():
    root = logging.getLogger()
    level = root.level
    # Beam's import warns on the root logger about optional Google Cloud
    # clients ("apitools not found"); that is not the user's business here.
    root.setLevel(logging.ERROR)
    try:
        import apache_beam
    except ImportError:
        raise ConfigError("Apache Beam is not installed: pip install 'tfstyle[beam]' "
                          "(or apache-beam)") from None
    finally:
        root.setLevel(level)
    return apache_beam


def _join(root: str, relative: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.join(root, *relative.split("/"))


def relative_path(root: str, path: str) -> Optional[str]:
    """`path` below `root` as a '/'-separated string (None if it is not below)."""
    root = root.rstrip("/\\") + "/"
    path = path.replace(os.sep, "/") if "://" not in path else path
    root = root.replace(os.sep, "/") if "://" not in root else root
    return path[len(root):] if path.startswith(root) else None


def read_image(path: str):
    """A [H, W, 3] float image from any Beam file system."""
    from apache_beam.io.filesystems import FileSystems
    from PIL import Image

    try:
        with FileSystems.open(path) as f:
            data = f.read()
    except Exception as exc:  # Beam wraps file-system errors in many kinds
        raise ImageError(f"cannot read {path}: {exc}") from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return as_image(img)
    except TfstyleError:
        raise
    except Exception as exc:
        raise ImageError(f"not a readable image: {path} ({exc.__class__.__name__})") from None


def encode_png(image: np.ndarray, channels: int, metadata: dict) -> bytes:
    from PIL import Image, PngImagePlugin

    from tfstyle.color import luminance

    pil = (Image.fromarray(to_uint8(luminance(image)), "L") if channels == 1
           else Image.fromarray(to_uint8(image), "RGB"))
    info = PngImagePlugin.PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    pil.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


class StylizeFn:
    """The per-file work, as a plain class `stylize_fn` turns into a DoFn."""

    def __init__(self, recipe: Recipe, content_dir: str, output_dir: str,
                 overwrite: bool = False, channels: int = 3):
        self.recipe, self.content_dir, self.output_dir = recipe, content_dir, output_dir
        self.overwrite, self.channels = overwrite, channels
        self.render = None

    def setup(self):
        # Once per worker: weights, model and encoded styles.
        self.render = self.recipe.renderer(read=read_image)
        self.settings = dict(self.recipe.settings(), output_channels=self.channels)

    def process(self, path: str):
        from apache_beam.io.filesystems import FileSystems

        relative = relative_path(self.content_dir, path)
        target = _join(self.output_dir, relative.rsplit(".", 1)[0] + ".png")
        if not self.overwrite and FileSystems.exists(target):
            return [BatchItem(path, target, "skipped")]
        began = time.monotonic()
        try:
            image = self.render(read_image(path))
            data = encode_png(image, self.channels, {
                "Software": "tfstyle", "tfstyle:input": path,
                "tfstyle:settings": json.dumps(self.settings, sort_keys=True)})
            tmp = _join(self.output_dir, f"{relative}.{secrets.token_hex(4)}.tmp")
            with FileSystems.create(tmp) as f:
                f.write(data)
            if self.overwrite and FileSystems.exists(target):
                FileSystems.delete([target])
            FileSystems.rename([tmp], [target])
            return [BatchItem(path, target, "done", time.monotonic() - began)]
        except Exception as exc:  # one bad file is recorded, the run goes on
            message = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            log.warning("skipping %s: %s", path, message)
            return [BatchItem(path, target, "error", time.monotonic() - began, message)]


def _is_input(path: str, content_dir: str, output_dir: str) -> bool:
    relative = relative_path(content_dir, path)
    if relative is None or relative_path(output_dir, path) is not None:
        return False  # outputs inside the input folder are not read back
    parts = relative.split("/")
    return (not any(p.startswith(".") for p in parts)
            and os.path.splitext(parts[-1])[1].lower() in INPUT_SUFFIXES)


def build(pipeline, recipe: Recipe, content_dir: str, output_dir: str, *,
          overwrite: bool = False, channels: int = 3, manifest: str = "manifest"):
    """Adds the stylization to `pipeline`; the records go to
    ``<output_dir>/<manifest>-SSSSS-of-NNNNN.jsonl``."""
    beam = _beam()
    from apache_beam.io import fileio

    fn = StylizeFn(recipe, content_dir, output_dir, overwrite, channels)

    class _DoFn(beam.DoFn):
        def setup(self):
            fn.setup()

        def process(self, path):
            yield from fn.process(path)

    pattern = _join(content_dir, "**")
    return (pipeline
            | "Match" >> fileio.MatchFiles(pattern)
            | "Paths" >> beam.Map(lambda m: m.path)
            | "Images" >> beam.Filter(_is_input, content_dir, output_dir)
            | "Spread" >> beam.Reshuffle()
            | "Stylize" >> beam.ParDo(_DoFn())
            | "Record" >> beam.Map(lambda item, s: json.dumps(dict(dataclasses.asdict(item),
                                                                  settings=s), sort_keys=True),
                                   dict(recipe.settings(), output_channels=channels))
            | "Manifest" >> beam.io.WriteToText(_join(output_dir, manifest),
                                                file_name_suffix=".jsonl"))


def run(recipe: Recipe, content_dir: str, output_dir: str, *, runner: str = "DirectRunner",
        options: str = "", overwrite: bool = False, channels: int = 3) -> BatchResult:
    """Builds and runs the pipeline until it finishes; returns what its
    manifest records."""
    beam = _beam()
    from apache_beam.options.pipeline_options import PipelineOptions

    if channels not in (1, 3):
        raise ConfigError(f"channels must be 1 or 3, got {channels!r}")
    try:
        args = shlex.split(options or "")
    except ValueError as exc:
        raise ConfigError(f"--beam_options: {exc}") from None
    pipeline_options = PipelineOptions([f"--runner={runner}", *args])
    # One name per run (time, then a random tag), so no run replaces another's records.
    manifest = f"manifest-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(2)}"
    start = time.monotonic()
    with beam.Pipeline(options=pipeline_options) as pipeline:
        build(pipeline, recipe, str(content_dir), str(output_dir), overwrite=overwrite,
              channels=channels, manifest=manifest)
    return BatchResult(read_manifest(_join(str(output_dir), manifest + "-*.jsonl")),
                       time.monotonic() - start)


def read_manifest(pattern: str):
    """The `BatchItem`s recorded in the manifest files matching `pattern`."""
    from apache_beam.io.filesystems import FileSystems

    items = []
    for match in FileSystems.match([pattern])[0].metadata_list:
        with FileSystems.open(match.path) as f:
            for line in f.read().decode().splitlines():
                record = json.loads(line)
                items.append(BatchItem(**{k: record[k] for k in
                                          ("input", "output", "status", "seconds", "error")}))
    return items
