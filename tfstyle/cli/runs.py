"""The command line's doors, the same for every method's recipe: one image,
a folder (in this process or as an Apache Beam pipeline), a clip, a folder
of clips. A command without pre-checks of its own runs with `run`."""

import dataclasses
import json
import logging
import pathlib
import sys
import time
from typing import Optional, Tuple, Union

from tfstyle import batch
from tfstyle.cli import output
from tfstyle.cli.run import Run
from tfstyle.clips.clip import VIDEO_SUFFIXES, is_video, list_clips, probe
from tfstyle.clips.stylize import check as check_clip, check_output, stylize_clip
from tfstyle.clips.store import is_frames_folder
from tfstyle.core import samples
from tfstyle.core.errors import ConfigError, ImageError, TfstyleError
from tfstyle.core.fileio import append_line, atomic_write
from tfstyle.core.image import check_output_path, check_readable
from tfstyle.core.recipe import Recipe


@dataclasses.dataclass(frozen=True)
class Clip:
    """Where a clip run reads (`content` a video file, or `content_dir` of
    frames with `video`) and writes."""
    source: str
    output: str


Where = Union[None, Clip, Tuple[str, str]]


def _clip(run: Run, recipe: Recipe) -> Optional[Clip]:
    """The run's clip, after every check that needs no frame, or None."""
    if run.video and not run.content_dir:
        raise ConfigError("`video` reads `content_dir` as one clip's frames")
    source = run.content_dir if run.video else run.content if is_video(run.content) else None
    if source is None:
        return None
    for name in ("output_dir", "beam_runner", "seeds", "save_every", "logdir",
                 *recipe.single_image):
        if run.given(name):
            raise ConfigError(f"`{name}` does not go with a clip")
    suffix = pathlib.Path(source).suffix.lower() if not run.video else ".mp4"
    out = run.output if run.given("output") else f"stylized{suffix}"
    if not (is_video(out) or is_frames_folder(out)):
        raise ConfigError(f"a clip's `output` is a {', '.join(VIDEO_SUFFIXES)} file or a folder "
                          f"of frames (ending in /), got {out}")
    if run.content_dir and not run.video:
        raise ConfigError("give `content` (a clip) or `content_dir`, not both")
    check_output(source, out, run.overwrite)  # the input itself, inside it, or existing
    probe(source)  # not a clip, no frames, an unknown codec: before any model or fit
    return Clip(source, out)


def where(run: Run, recipe: Recipe) -> Where:
    """(content_dir, output_dir) of a folder run, a `Clip` for a clip, or
    None for one image; refuses what belongs to one image in a folder run."""
    if run.content_dir and not run.video:
        recipe.check_folder()  # the method's own refusal comes first
    clip = _clip(run, recipe)
    if clip is not None:
        return clip
    if not run.content_dir:
        for name in ("output_dir", "beam_runner", "beam_options"):
            if run.given(name):
                raise ConfigError(f"`{name}` goes with `content_dir`")
        return None
    if run.given("beam_options") and not run.beam_runner:
        raise ConfigError("`beam_options` goes with `beam_runner`")
    for name, why in (("content", "give `content` or `content_dir`, not both"),
                      ("output", "with `content_dir` outputs go to `output_dir`"),
                      *recipe.single_image.items(),
                      ("save_every", "snapshots belong to one image; not with `content_dir`"),
                      ("logdir", "TensorBoard logs belong to one image; not with `content_dir`")):
        if run.given(name):
            raise ConfigError(f"`{name}`: {why}")
    if not run.output_dir:
        raise ConfigError("`content_dir` needs `output_dir`")
    return run.content_dir, run.output_dir


def start_library(verbose: bool):
    """tfstyle's info messages as plain lines on stderr, and TensorFlow
    imported without its C++ start-up chatter unless `verbose`."""
    from tfstyle.core.runtime import import_tensorflow

    logger = logging.getLogger("tfstyle")
    for old in [h for h in logger.handlers if getattr(h, "tfstyle_cli", False)]:
        logger.removeHandler(old)  # a second run in one process (tests, notebooks)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.tfstyle_cli = True
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    import_tensorflow(verbose)


def run(run: Run, recipe: Recipe) -> int:
    """A command with no pre-checks of its own: its recipe's checks, then
    one image, a folder or a clip."""
    place = where(run, recipe)
    if place:
        recipe.check()
        return run_folder(run, place, recipe)
    content = run.content or samples.default_content()
    check_readable([run.content])
    recipe.check(content)
    return one_image(run, recipe, content)


def record(run: Run, recipe: Recipe, content) -> dict:
    """The settings an output of this run records."""
    return dict(recipe.settings(), content=str(run.content or f"embedded:{content.name}"),
                output_channels=run.output_channels)


def one_image(run: Run, recipe: Recipe, content) -> int:
    """One photo through the recipe into `output` and its .json record."""
    out = check_output_path(run.output, [content, *recipe.input_files()], run.overwrite)
    output.check_sidecar(out, run.overwrite)
    settings = record(run, recipe, content)
    start_library(run.verbose)
    render = recipe.renderer()
    start = time.monotonic()
    image = render(content)
    seconds = time.monotonic() - start
    output.save_image_record(out, image, settings, recipe.weights_sha256(),
                             {"seconds": round(seconds, 3)}, run.output_channels)
    print(f"wrote {out} ({image.shape[1]}x{image.shape[0]}) in {seconds:.1f} s", file=sys.stderr)
    return 0


def temporal_weight(run: Run) -> float:
    return run.temporal_weight if run.temporal else 0.0


def run_folder(run: Run, place, recipe: Recipe) -> int:
    """Stylizes every image of a folder with `recipe`, in this process or,
    with `beam_runner`, as an Apache Beam pipeline; or a clip (`place` a
    `Clip`), or every clip of a folder."""
    if isinstance(place, Clip):
        return run_clip(run, place, recipe)
    clips = list_clips(place[0])
    if clips and not run.beam_runner:
        return run_clip_folder(run, place, recipe, clips)
    if run.beam_runner:
        from tfstyle.batch import beam

        # A folder of clips (listed here, or on another file system one that
        # holds no images but clips): each clip is one item.
        pairs = None
        if not clips and "://" in str(place[0]):
            try:
                pairs = beam.plan(*place)
            except ImageError as exc:
                if "holds no images" not in str(exc):
                    raise
                clips = True
        weight = temporal_weight(run) if clips else None
        if pairs is None:  # the folders' errors before TensorFlow and Beam start
            pairs = beam.plan(*place, clips=weight is not None)
        start_library(run.verbose)
        result = beam.run(recipe, *place, runner=run.beam_runner, options=run.beam_options,
                          overwrite=run.overwrite, channels=run.output_channels, pairs=pairs,
                          temporal_weight=weight)
        manifest = "manifest-*.jsonl"
    else:
        pairs = batch.plan(*place)  # the folders' errors before the model loads
        batch.check_writable(place[1])
        start_library(run.verbose)
        settings = dict(recipe.settings(), output_channels=run.output_channels)
        result = batch.stylize_dir(*place, recipe.renderer(), settings=settings,
                                   overwrite=run.overwrite, channels=run.output_channels,
                                   callback=output.BatchPrinter(sys.stderr), pairs=pairs)
        manifest = batch.MANIFEST
    print(output.batch_summary(place[1], result, manifest), file=sys.stderr)
    return 1 if result.count("error") else 0


def _write_record(path, data: dict):
    """The run's .json record beside its output, written atomically."""
    with atomic_write(output.sidecar_path(path)) as f:
        f.write((json.dumps(data, indent=2, sort_keys=True) + "\n").encode())


def run_clip(run: Run, clip: Clip, recipe: Recipe) -> int:
    out = pathlib.Path(clip.output)
    output.check_sidecar(out, run.overwrite)
    weight = temporal_weight(run)
    settings = dict(recipe.settings(), content=clip.source, temporal_weight=weight,
                    output_channels=run.output_channels)
    # Everything that can refuse the run, before any model loads.
    _, settings = check_clip(clip.source, clip.output, settings, run.overwrite)
    start_library(run.verbose)
    render = recipe.clip_renderer()
    printer = output.FramePrinter(sys.stderr)
    result = stylize_clip(clip.source, clip.output, render, settings=settings,
                          temporal_weight=weight, overwrite=run.overwrite,
                          channels=run.output_channels, style=recipe.style_image(),
                          vgg_weights=recipe.vgg_weights_file(), callback=printer)
    if printer.tty:
        sys.stderr.write("\n")
    _write_record(out, dict(output=str(out), settings=settings, frames=result.frames,
                            resumed=result.resumed, seconds=result.seconds,
                            frames_per_second=result.fps, source_fps=result.source_fps,
                            audio=result.audio, warping_error=result.warping_error,
                            style_distance=result.style_distance))
    print(f"wrote {out}: {result.frames} frames at {result.source_fps:g} fps"
          f"{' with audio' if result.audio else ''} ({result.resumed} kept from an earlier "
          f"run), {result.fps:.2f} frames/s; warping error {result.warping_error}, style "
          f"distance {result.style_distance}", file=sys.stderr)
    return 0


def run_clip_folder(run: Run, place, recipe: Recipe, clips) -> int:
    """Every clip under `content_dir` into the same relative path under
    `output_dir`: the model and style loaded once, each clip resumable, a
    clip that fails recorded in manifest.jsonl and skipped."""
    source_root, out_root = pathlib.Path(place[0]), pathlib.Path(place[1])
    batch.check_writable(out_root)
    if source_root.resolve() in (out_root.resolve(), *out_root.resolve().parents):
        raise ConfigError("`output_dir` is inside `content_dir`: its clips would be read back "
                          "as input")
    start_library(run.verbose)
    weight = temporal_weight(run)
    base = dict(recipe.settings(), temporal_weight=weight, output_channels=run.output_channels)
    render, style = recipe.clip_renderer(), recipe.style_image()
    out_root.mkdir(parents=True, exist_ok=True)
    counts = {"done": 0, "skipped": 0, "error": 0}
    for index, clip in enumerate(clips, 1):
        out = out_root / clip.relative_to(source_root)
        entry = {"input": str(clip), "output": str(out)}
        if out.exists() and not run.overwrite:
            counts["skipped"] += 1
            append_line(out_root / "manifest.jsonl", json.dumps(dict(entry, status="skipped")))
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            result = stylize_clip(clip, out, render, settings=dict(base, content=str(clip)),
                                  temporal_weight=weight, overwrite=run.overwrite,
                                  channels=run.output_channels, style=style,
                                  vgg_weights=recipe.vgg_weights_file())
        except TfstyleError as e:
            counts["error"] += 1
            append_line(out_root / "manifest.jsonl", json.dumps(dict(entry, status="error",
                                                                     error=str(e))))
            print(f"[{index}/{len(clips)}] {clip}: FAILED: {e}", file=sys.stderr)
            continue
        data = dict(entry, status="done", frames=result.frames,
                    warping_error=result.warping_error, style_distance=result.style_distance,
                    frames_per_second=result.fps, audio=result.audio)
        _write_record(out, dict(data, settings=base))
        append_line(out_root / "manifest.jsonl", json.dumps(data))
        counts["done"] += 1
        print(f"[{index}/{len(clips)}] {clip} -> {out}: {result.frames} frames, warping error "
              f"{result.warping_error}", file=sys.stderr)
    print(f"{out_root}: {counts['done']} clips stylized, {counts['skipped']} already there, "
          f"{counts['error']} failed", file=sys.stderr)
    return 1 if counts["error"] else 0
