"""The command line's clip runs: any stylizing command with a clip as its
content (`--content=clip.mp4`, or `--content_dir=frames/ --video`)."""

import json
import pathlib
import sys

from tfstyle.cli import common, output


class FramePrinter:
    """A line per frame (one updated line on a terminal) with the ETA."""

    def __init__(self, stream):
        self.stream, self.tty = stream, hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done: int, expected, seconds: float):
        total = expected or done
        bar = "#" * (16 * done // max(total, 1)) + "." * (16 - 16 * done // max(total, 1))
        line = f"[{bar[:16]}] frame {done}/{expected or '?'} ({seconds:.1f} s)"
        self.stream.write(("\r" + line + "\x1b[K") if self.tty else line + "\n")
        self.stream.flush()


def _write_record(path, record: dict):
    """The run's .json record beside its output, written atomically."""
    from tfstyle.core.fileio import atomic_write

    with atomic_write(output.sidecar_path(path)) as f:
        f.write((json.dumps(record, indent=2, sort_keys=True) + "\n").encode())


def run_clip(run: common.Run, clip: common.Clip, recipe) -> int:
    from tfstyle.clips.stylize import check, stylize_clip, style_of

    out = pathlib.Path(clip.output)
    output.check_sidecar(out, run.overwrite)
    weight = run.temporal_weight if run.temporal else 0.0
    settings = dict(recipe.settings(), command=run.command, content=clip.source,
                    temporal_weight=weight, output_channels=run.output_channels)
    # Everything that can refuse the run, before any model loads.
    _, settings = check(clip.source, clip.output, settings, run.overwrite)
    common.start_library(run.verbose)
    render = recipe.renderer()
    printer = FramePrinter(sys.stderr)
    result = stylize_clip(clip.source, clip.output, render, settings=settings,
                          temporal_weight=weight, overwrite=run.overwrite,
                          channels=run.output_channels, style=style_of(recipe),
                          vgg_weights=getattr(recipe, "vgg_weights", None),
                          callback=printer)
    if printer.tty:
        sys.stderr.write("\n")
    record = dict(output=str(out), settings=settings, frames=result.frames,
                  resumed=result.resumed, seconds=result.seconds, frames_per_second=result.fps,
                  source_fps=result.source_fps, audio=result.audio,
                  warping_error=result.warping_error, style_distance=result.style_distance)
    _write_record(out, record)
    print(f"wrote {out}: {result.frames} frames at {result.source_fps:g} fps"
          f"{' with audio' if result.audio else ''} ({result.resumed} kept from an earlier "
          f"run), {result.fps:.2f} frames/s; warping error {result.warping_error}, style "
          f"distance {result.style_distance}", file=sys.stderr)
    return 0


def run_clip_folder(run: common.Run, where, recipe, clips) -> int:
    """Every clip under `content_dir` into the same relative path under
    `output_dir`: the model and style loaded once, each clip resumable, a
    clip that fails recorded in manifest.jsonl and skipped."""
    from tfstyle import batch
    from tfstyle.clips.stylize import stylize_clip, style_of
    from tfstyle.core.errors import TfstyleError
    from tfstyle.core.fileio import append_line

    source_root, out_root = pathlib.Path(where[0]), pathlib.Path(where[1])
    batch.check_writable(out_root)
    if source_root.resolve() in (out_root.resolve(), *out_root.resolve().parents):
        raise common.ConfigError("`output_dir` is inside `content_dir`: its clips would be read "
                                 "back as input")
    common.start_library(run.verbose)
    weight = run.temporal_weight if run.temporal else 0.0
    base = dict(recipe.settings(), command=run.command, temporal_weight=weight,
                output_channels=run.output_channels)
    render, style = recipe.renderer(), style_of(recipe)
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
                                  vgg_weights=getattr(recipe, "vgg_weights", None))
        except TfstyleError as e:
            counts["error"] += 1
            append_line(out_root / "manifest.jsonl", json.dumps(dict(entry, status="error",
                                                                     error=str(e))))
            print(f"[{index}/{len(clips)}] {clip}: FAILED: {e}", file=sys.stderr)
            continue
        record = dict(entry, status="done", frames=result.frames,
                      warping_error=result.warping_error, style_distance=result.style_distance,
                      frames_per_second=result.fps, audio=result.audio)
        _write_record(out, dict(record, settings=base))
        append_line(out_root / "manifest.jsonl", json.dumps(record))
        counts["done"] += 1
        print(f"[{index}/{len(clips)}] {clip} -> {out}: {result.frames} frames, warping error "
              f"{result.warping_error}", file=sys.stderr)
    print(f"{out_root}: {counts['done']} clips stylized, {counts['skipped']} already there, "
          f"{counts['error']} failed", file=sys.stderr)
    return 1 if counts["error"] else 0
