"""Terminal helpers for main.py: a progress bar, snapshots and the result file.

Kept free of absl so notebooks and scripts can reuse them.
"""

import dataclasses
import json
import pathlib
import platform
import time

from tfstyle.core.errors import ImageError
from tfstyle.core.fileio import atomic_write

from tfstyle.core.image import check_output_path, save_image


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def snapshot_path(output: pathlib.Path, step: int) -> pathlib.Path:
    return output.with_name(f"{output.stem}_step{step:05d}{output.suffix}")


class ProgressPrinter:
    """Progress callback: a one-line bar on a terminal, periodic lines in logs.

    Also saves every `save_every`-th image next to `output` as
    ``<stem>_stepNNNNN<suffix>``.
    """

    def __init__(self, stream, output, steps: int, save_every: int = 0, overwrite: bool = False,
                 inputs=(), width: int = 24):
        self.stream = stream
        self.output = pathlib.Path(output)
        self.save_every = save_every
        self.width = width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._last = 0.0
        self._open = False
        self._inputs, self._overwrite, self._checked = inputs, overwrite, steps
        self._first = None  # the first report: its step traced the graph
        # Every snapshot gets the output's checks now, not after hours of work.
        for step in range(save_every, steps + 1, save_every) if save_every else ():
            check_output_path(snapshot_path(self.output, step), inputs, overwrite)

    def line(self, p) -> str:
        done = int(self.width * p.step / max(p.steps, 1))
        bar = "#" * done + "." * (self.width - done)
        parts = ", ".join(f"{k} {v:.4g}" for k, v in p.losses.items() if k != "total")
        pace = self.pace(p)
        left = "estimating time left" if pace is None else f"{_duration(pace[1])} left"
        per_step = p.seconds_per_step if pace is None else pace[0]
        return (f"step {p.step}/{p.steps} [{bar}] loss {p.losses.get('total', float('nan')):.4g}"
                f" ({parts}) {per_step:.2f} s/step, {left}")

    def pace(self, p):
        """(seconds per step, seconds left for the whole run) at the pace
        since the first report, which traced the graph and can take many
        steps' time; None until there is such a pace. The first report seen
        is kept as the start."""
        if self._first is None:
            self._first = dataclasses.replace(p, image=None)
        first = self._first
        seconds, steps = p.elapsed - first.elapsed, p.step - first.step
        (done, total), before = p.work, first.work[0]
        if seconds <= 0 or steps <= 0 or done <= before:
            return None
        return seconds / steps, seconds / (done - before) * max(total - done, 0.0)

    def __call__(self, p):
        """Receives a `tfstyle.core.progress.Progress`."""
        if self.save_every and p.step % self.save_every == 0:
            path = snapshot_path(self.output, p.step)
            if p.step > self._checked:  # a run longer than planned: check as it goes
                check_output_path(path, self._inputs, self._overwrite)
            save_image(path, p.image)
        now = time.monotonic()
        last_step = p.step == p.steps
        if self.tty:
            if now - self._last >= 0.2 or last_step or p.step == 1:
                self.stream.write("\r" + self.line(p) + "\x1b[K")
                self.stream.flush()
                self._open = True
                self._last = now
        elif (p.step == p.first_step + 1 or last_step
              or p.step % max(1, p.steps // 10) == 0 or now - self._last >= 60):
            # Logs get a line at the start, every tenth of the run and at
            # least every minute (long trainings), and at the end.
            self.stream.write(self.line(p) + "\n")
            self.stream.flush()
            self._last = now

    def close(self):
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


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


def sidecar_path(output) -> pathlib.Path:
    """``out.png`` -> ``out.json``: the run's record beside the image; a
    folder of frames (``frames/``, ``run1.5/``) -> ``frames.json``,
    ``run1.5.json`` (its whole name)."""
    from tfstyle.clips.store import is_frames_folder

    path = pathlib.Path(output)
    if is_frames_folder(output):
        path = path.resolve() if path.name in ("", ".", "..") else path
        return path.with_name(path.name + ".json")
    return path.with_suffix(".json")


def check_sidecar(output, overwrite: bool):
    path = sidecar_path(output)
    if path.exists() and not overwrite:
        raise ImageError(f"{path} (the run record for {output}) exists; "
                         "pass `overwrite` to replace it")


def _save(output, image, settings: dict, losses, weights_sha256: str, record: dict,
          channels: int = 3):
    """Writes the image and its sidecar JSON.

    A PNG also carries the settings and final losses as text chunks. The
    image holds nothing that varies between identical runs (no times), so the
    same flags and seed give the same bytes on the same machine; times go to
    the sidecar.
    """
    import tensorflow as tf

    import tfstyle

    metadata = {
        "Software": "tfstyle",
        "tfstyle:settings": json.dumps(settings, sort_keys=True),
        "tfstyle:losses": json.dumps(losses, sort_keys=True),
        "tfstyle:weights_sha256": weights_sha256,
    }
    record = dict(record, output=str(output), settings=settings, weights_sha256=weights_sha256,
                  losses=losses,
                  versions={"tfstyle": tfstyle.__version__, "tensorflow": tf.__version__,
                            "python": platform.python_version()})
    # The record is renamed into place only after the image is: a failure on
    # either leaves the old pair, never a new image beside an old record.
    try:
        with atomic_write(sidecar_path(output)) as f:
            f.write((json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
            save_image(output, image, metadata, channels)
    except OSError as exc:
        raise ImageError(f"cannot write {sidecar_path(output)}: {exc.strerror or exc}") from None


def save_image_record(output, image, settings: dict, weights_sha256: str, record: dict,
                      channels: int = 3):
    """Writes an image without losses (AdaIN's) and its sidecar (see `_save`)."""
    _save(output, image, settings, {}, weights_sha256, record, channels)


def save_result(output, result, settings: dict, channels: int = 3):
    """Writes a `StyleResult`'s image, settings and losses (see `_save`)."""
    _save(output, result.image, settings, result.losses, result.weights_sha256,
          {"steps": result.steps, "evaluations": result.evaluations,
           "seconds": round(result.seconds, 3)}, channels)


def save_grid(output, grid_result, settings: dict):
    """Writes a `grid.GridResult`'s sheet; the record lists every cell's settings and losses."""
    ncols = len(grid_result.column_labels)
    cells = []
    for c in grid_result.cells:
        settings_of_cell = c.result.config.to_dict()
        cells.append({"row": grid_result.row_labels[c.row],
                      "column": grid_result.column_labels[c.column],
                      **{k: settings_of_cell[k] for k in ("content_layers", "style_layers",
                                                          "content_weight", "style_weight")},
                      "losses": c.result.losses, "steps": c.result.steps,
                      "seconds": round(c.result.seconds, 3)})
    losses = {f"{c.row},{c.column}": c.result.losses["total"] for c in grid_result.cells}
    _save(output, grid_result.sheet, settings, losses, grid_result.weights_sha256,
          {"cells": cells, "rows": len(grid_result.cells) // max(ncols, 1), "columns": ncols,
           "seconds": round(grid_result.seconds, 3)})


def summary(output, result) -> str:
    losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
    return (f"wrote {output} ({result.image.shape[1]}x{result.image.shape[0]}) after "
            f"{result.steps} steps ({result.evaluations} evaluations) in {result.seconds:.1f} s; "
            f"{losses}")


def grid_summary(output, grid_result) -> str:
    rows = len(grid_result.row_labels)
    cols = len(grid_result.column_labels)
    return (f"wrote {output} ({grid_result.sheet.shape[1]}x{grid_result.sheet.shape[0]}): "
            f"{rows} rows x {cols} columns in {grid_result.seconds:.1f} s; "
            f"cell losses in {sidecar_path(output)}")


class BatchPrinter:
    """Progress callback of `batch.stylize_dir`: a line per image (one updated
    line on a terminal) with the ETA."""

    def __init__(self, stream):
        self.stream = stream
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, p):
        """Receives a `tfstyle.batch.BatchProgress`."""
        item = p.item
        what = {"done": f"{item.seconds:.1f} s", "skipped": "exists, skipped",
                "error": f"FAILED: {item.error}"}[item.status]
        eta = "" if p.eta != p.eta else f", {_duration(p.eta)} left"  # nan before any render
        done = 16 * p.step // max(p.steps, 1)
        bar = "#" * done + "." * (16 - done)
        line = f"[{bar}] {p.step}/{p.steps} {item.input} -> {item.output} ({what}){eta}"
        if self.tty and item.status != "error":
            end = "\n" if p.step == p.steps else ""
            self.stream.write("\r" + line + "\x1b[K" + end)
        else:
            self.stream.write(("\r\x1b[K" if self.tty else "") + line + "\n")
        self.stream.flush()


def batch_summary(output_dir, result, manifest: str = "manifest.jsonl") -> str:
    failed = result.count("error")
    text = (f"{output_dir}: {result.count('done')} stylized, {result.count('skipped')} already "
            f"there, {failed} failed in {_duration(result.seconds)}")
    if failed:
        text += f"; the errors are in {pathlib.Path(output_dir) / manifest}"
    return text


def train_summary(output, result) -> str:
    """The closing line of a training (`adain.train`, `wct2.train` results)."""
    losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
    return (f"wrote {output} at step {result.steps} after {result.seconds:.1f} s"
            + (f"; last batch: {losses}" if losses else ""))
