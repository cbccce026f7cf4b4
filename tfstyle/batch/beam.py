"""Folder stylization as an Apache Beam pipeline: the same `batch.Recipe` on
many workers (Dataflow, Flink, Spark, or the DirectRunner on one machine).

    from tfstyle import adain
    from tfstyle.batch import beam

    recipe = adain.AdainRecipe(model="gs://b/adain.weights.h5", style="gs://b/painting.jpg")
    beam.run(recipe, "gs://b/photos", "gs://b/styled", runner="DataflowRunner",
             options="--project=p --region=europe-west1 --temp_location=gs://b/tmp")

The launcher lists the inputs once, with the rules of a local folder run
(`plan`). Each worker rebuilds the recipe once (`DoFn.setup`: weights, model,
encoded styles; remote model files are copied locally), reads and writes
through Beam's file systems (local paths, gs://, s3://, hdfs:// ...), mirrors
the input tree, skips outputs that exist (a rerun resumes), writes each output under a temporary name and renames it
(no half-written files), and records every input as a JSON line in
``<output_dir>/manifest-<time>-<tag>-SSSSS-of-NNNNN.jsonl`` (one set per run, so
earlier runs' records stay). A file that fails is recorded, not fatal.
"""

import dataclasses
import io
import json
import logging
import os
import pathlib
import secrets
import shlex
import time
from typing import Optional

from tfstyle.batch import folders
from tfstyle.batch.folders import BatchItem, BatchResult
from tfstyle.core.recipe import Recipe
from tfstyle.core.errors import ConfigError, ImageError, TfstyleError
from tfstyle.core.image import INPUT_SUFFIXES, as_image, saved_settings


log = logging.getLogger(__name__)


class BeamError(TfstyleError):
    """The pipeline could not run (runner, options, or a worker's set-up)."""


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


def _remote(path) -> bool:
    return "://" in str(path)


def _join(root: str, relative: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    return FileSystems.join(root, *relative.split("/"))


def plan(content_dir: str, output_dir: str, clips: bool = False):
    """(input, output) path pairs, listed once by the launcher: local folders
    exactly as `batch.plan` does, other file systems by the same rules (image
    suffixes, no hidden parts, an output folder inside the input folder not
    read back, no two inputs onto one output). With `clips`: the clips, each
    onto the same relative path (and container)."""
    _beam()  # a clear error if Beam is missing
    from apache_beam.io.filesystems import FileSystems

    from tfstyle.clips.clip import VIDEO_SUFFIXES, list_clips

    if not _remote(content_dir) and not _remote(output_dir):
        if clips:
            root = pathlib.Path(content_dir)
            return [(str(p), str(pathlib.Path(output_dir) / p.relative_to(root)))
                    for p in list_clips(content_dir)
                    if pathlib.Path(output_dir).resolve() not in p.resolve().parents]
        return [(str(a), str(b)) for a, b in folders.plan(content_dir, output_dir)]
    root = content_dir.rstrip("/") + "/"
    out_root = output_dir.rstrip("/") + "/"
    if root == out_root:
        raise ImageError(f"content_dir and output_dir are the same folder ({content_dir})")
    try:
        found = FileSystems.match([root + "**"])[0].metadata_list
    except Exception as exc:  # Beam raises BeamIOError and others for bad paths
        raise ImageError(f"cannot list content_dir {content_dir}: {exc}") from None
    pairs = []
    for meta in sorted(found, key=lambda m: m.path):
        relative = meta.path[len(root):] if meta.path.startswith(root) else None
        if relative is None or meta.path.startswith(out_root):
            continue
        parts = relative.split("/")
        suffixes = VIDEO_SUFFIXES if clips else INPUT_SUFFIXES
        if any(p.startswith(".") for p in parts) or \
                os.path.splitext(parts[-1])[1].lower() not in suffixes:
            continue
        pairs.append((meta.path, _join(output_dir, relative if clips else
                                       relative.rsplit(".", 1)[0] + ".png")))
    if not pairs:
        raise ImageError(f"content_dir {content_dir} holds no {'clips' if clips else 'images'}")
    folders.check_clashes(pairs)
    return pairs


def fetch(path: str) -> str:
    """A local copy of a file on any Beam file system (a local path as is),
    keeping its name (AdaIN models must end in .weights.h5)."""
    if not _remote(path):
        return str(path)
    import shutil
    import tempfile

    from apache_beam.io.filesystems import FileSystems

    local = pathlib.Path(tempfile.mkdtemp(prefix="tfstyle-")) / path.rstrip("/").rsplit("/", 1)[-1]
    try:
        with FileSystems.open(path) as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst)
    except Exception as exc:
        raise ImageError(f"cannot read {path}: {exc}") from None
    return str(local)


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


class StylizeFn:
    """The per-file work, as a plain class `build` wraps in a DoFn."""

    def __init__(self, recipe: Recipe, overwrite: bool = False, channels: int = 3):
        self.recipe, self.overwrite, self.channels = recipe, overwrite, channels
        self.settings = dict(recipe.settings(), output_channels=channels)
        self.render = None

    def setup(self):
        # Once per worker: weights, model and encoded styles.
        self.render = self.recipe.renderer(read=read_image, fetch=fetch)

    def process(self, pair):
        path, target = pair
        began = time.monotonic()
        try:
            return [folders.render_one(path, target, self.render, self.settings,
                                       overwrite=self.overwrite, channels=self.channels,
                                       storage=_storage())]
        except Exception as exc:  # one bad file is recorded, the run goes on
            message = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            log.warning("skipping %s: %s", path, message)
            return [BatchItem(path, target, "error", time.monotonic() - began, message)]


class ClipFn(StylizeFn):
    """The per-clip work: the clip copied to the worker, stylized there
    (`clips.stylize.stylize_clip`, the recipe's renderer built once per
    worker), and the result written under a temporary name and renamed."""

    def __init__(self, recipe: Recipe, overwrite: bool = False, channels: int = 3,
                 temporal_weight: Optional[float] = None):
        from tfstyle.clips.stylize import TEMPORAL_WEIGHT

        super().__init__(recipe, overwrite, channels)
        temporal_weight = TEMPORAL_WEIGHT if temporal_weight is None else temporal_weight
        self.temporal_weight = temporal_weight
        self.settings = dict(self.settings, temporal_weight=temporal_weight)

    def setup(self):
        # Once per worker: the recipe's renderer for clips.
        self.render = self.recipe.clip_renderer(read=read_image, fetch=fetch)

    def process(self, pair):
        import tempfile

        from apache_beam.io.filesystems import FileSystems

        from tfstyle.clips.stylize import stylize_clip

        path, target = pair
        began = time.monotonic()
        if FileSystems.exists(target) and not self.overwrite:
            return [BatchItem(path, target, "skipped", 0.0)]
        try:
            with tempfile.TemporaryDirectory(prefix="tfstyle-clip-") as tmp:
                local = pathlib.Path(tmp) / ("out" + pathlib.PurePath(target).suffix)
                stylize_clip(fetch(path), local, self.render, settings=self.settings,
                             temporal_weight=self.temporal_weight, channels=self.channels)
                _storage().write(target, local.read_bytes())
            return [BatchItem(path, target, "done", time.monotonic() - began)]
        except Exception as exc:  # one bad clip is recorded, the run goes on
            message = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
            log.warning("skipping %s: %s", path, message)
            return [BatchItem(path, target, "error", time.monotonic() - began, message)]


def _storage() -> folders.Storage:
    """Inputs and outputs on Beam's file systems; outputs go under a temporary
    name first, so none is ever half-written."""
    from apache_beam.io.filesystems import FileSystems

    def write(target, data: bytes):
        tmp = f"{target}.{secrets.token_hex(4)}.tmp"
        with FileSystems.create(tmp) as f:
            f.write(data)
        if FileSystems.exists(target):
            FileSystems.delete([target])
        FileSystems.rename([tmp], [target])

    def settings_of(target):
        return None if _remote(target) else saved_settings(target)

    return folders.Storage(read=read_image, exists=FileSystems.exists, settings_of=settings_of,
                           write=write)


def build(pipeline, recipe: Recipe, pairs, *, overwrite: bool = False, channels: int = 3,
          manifest: str = "manifest", temporal_weight=None):
    """Adds the stylization of `pairs` ((input, output) paths, from `plan`)
    to `pipeline`; the records go to ``<manifest>-SSSSS-of-NNNNN.jsonl``
    (`manifest` is a path prefix). `temporal_weight` not None: the pairs are
    clips."""
    beam = _beam()
    fn = (StylizeFn(recipe, overwrite, channels) if temporal_weight is None
          else ClipFn(recipe, overwrite, channels, temporal_weight))

    class _DoFn(beam.DoFn):
        def setup(self):
            fn.setup()

        def process(self, pair):
            yield from fn.process(pair)

    return (pipeline
            | "Inputs" >> beam.Create(pairs)
            | "Spread" >> beam.Reshuffle()
            | "Stylize" >> beam.ParDo(_DoFn())
            | "Record" >> beam.Map(lambda item, s: json.dumps(dict(dataclasses.asdict(item),
                                                                  settings=s), sort_keys=True),
                                   fn.settings)
            | "Manifest" >> beam.io.WriteToText(manifest, file_name_suffix=".jsonl"))


def run(recipe: Recipe, content_dir: str, output_dir: str, *, runner: str = "DirectRunner",
        options: str = "", overwrite: bool = False, channels: int = 3,
        pairs=None, temporal_weight=None) -> BatchResult:
    """Builds and runs the pipeline until it finishes; returns what its
    manifest records. `pairs`: the (input, output) pairs if `plan` has
    listed them already. `temporal_weight` not None: a folder of clips."""
    beam = _beam()
    from apache_beam.options.pipeline_options import PipelineOptions

    if channels not in (1, 3):
        raise ConfigError(f"channels must be 1 or 3, got {channels!r}")
    try:
        args = shlex.split(options or "")
    except ValueError as exc:
        raise ConfigError(f"beam_options: {exc}") from None
    content_dir, output_dir = str(content_dir), str(output_dir)
    pairs = pairs if pairs is not None else plan(content_dir, output_dir,
                                                 clips=temporal_weight is not None)
    if not _remote(output_dir):
        folders.check_writable(output_dir)
    # One name per run (time, then a random tag), so no run replaces another's records.
    manifest = _join(output_dir, f"manifest-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-"
                                 f"{secrets.token_hex(2)}")
    start = time.monotonic()
    try:
        with beam.Pipeline(options=PipelineOptions([f"--runner={runner}", *args])) as pipeline:
            build(pipeline, recipe, pairs, overwrite=overwrite, channels=channels,
                  manifest=manifest, temporal_weight=temporal_weight)
    except (ValueError, RuntimeError) as exc:
        # An unknown runner, or a worker's set-up failing (a missing style, a
        # bad model): Beam's message, whose last line says what went wrong.
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        raise BeamError(f"the {runner} pipeline failed: {lines[-1] if lines else exc!r}") from None
    return BatchResult(read_manifest(manifest + "-*.jsonl"), time.monotonic() - start)


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
