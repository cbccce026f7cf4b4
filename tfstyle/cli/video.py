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


def run_clip(run: common.Run, clip: common.Clip, recipe) -> int:
    from tfstyle.clips.stylize import stylize_clip, style_of

    from tfstyle.clips.clip import probe
    from tfstyle.clips.store import FrameStore
    from tfstyle.clips.stylize import check_output, with_source

    out = pathlib.Path(clip.output)
    output.check_sidecar(out, run.overwrite)
    weight = run.temporal_weight if run.temporal else 0.0
    settings = dict(recipe.settings(), command=run.command, content=clip.source,
                    temporal_weight=weight, output_channels=run.output_channels)
    # Everything that can refuse the run, before any model loads.
    settings = with_source(settings, probe(clip.source))
    check_output(clip.source, clip.output, run.overwrite)
    FrameStore.check(clip.output, settings, run.overwrite)
    common.start_library(run.verbose)
    render = recipe.renderer()
    result = stylize_clip(clip.source, clip.output, render, settings=settings,
                          temporal_weight=weight, overwrite=run.overwrite,
                          channels=run.output_channels, style=style_of(recipe),
                          vgg_weights=getattr(recipe, "vgg_weights", None),
                          callback=FramePrinter(sys.stderr))
    if FramePrinter(sys.stderr).tty:
        sys.stderr.write("\n")
    record = dict(output=str(out), settings=settings, frames=result.frames,
                  resumed=result.resumed, seconds=result.seconds, frames_per_second=result.fps,
                  source_fps=result.source_fps, audio=result.audio,
                  warping_error=result.warping_error, style_distance=result.style_distance)
    from tfstyle.core.fileio import atomic_write

    with atomic_write(output.sidecar_path(out)) as f:
        f.write((json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
    print(f"wrote {out}: {result.frames} frames at {result.source_fps:g} fps"
          f"{' with audio' if result.audio else ''} ({result.resumed} kept from an earlier "
          f"run), {result.fps:.2f} frames/s; warping error {result.warping_error}, style "
          f"distance {result.style_distance}", file=sys.stderr)
    return 0
