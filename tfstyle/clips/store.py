"""Finished frames on disk, and the clip encoded from them.

Each stylized frame is written, atomically, as a PNG into a folder beside
the output (`out.mp4.frames/000000.png`, ...) the moment it is done, so
Ctrl-C or kill -9 lose no finished frame and a rerun continues after the
last one. The folder also holds the run's settings: frames of other settings
are never mixed in. The clip itself is encoded from the folder at the end,
to a temporary file renamed into place: an output clip is whole or absent.
"""

import json
import os
import pathlib
import shutil
import subprocess
from typing import Optional

import numpy as np

from tfstyle.core.errors import ConfigError, ImageError
from tfstyle.clips.clip import FFMPEG_SUFFIXES, ClipInfo

SETTINGS = "settings.json"


def is_frames_folder(output) -> bool:
    """An output naming a folder of frames: it ends in '/', has no suffix, or
    is a folder already (a `Path` drops the trailing '/')."""
    text = str(output)
    return (text.endswith(("/", os.sep)) or not pathlib.Path(text).suffix
            or pathlib.Path(text).is_dir())


def frames_folder(output) -> pathlib.Path:
    if is_frames_folder(output):
        return pathlib.Path(output)
    output = pathlib.Path(output)
    return output.with_name(output.name + ".frames")


def _ours(path: pathlib.Path) -> bool:
    """A file a frame store writes: a frame, its settings, or a temporary of either."""
    name = path.name.lstrip(".")
    return path.is_file() and (name == SETTINGS or name.split(".")[0].isdigit()
                               or name.startswith(SETTINGS))


def _saved_settings(folder: pathlib.Path):
    try:
        return json.loads((folder / SETTINGS).read_text())
    except (OSError, ValueError):
        return None


class FrameStore:
    """The finished frames of one output."""

    @staticmethod
    def check(output, settings: dict, overwrite: bool = False):
        """Every refusal of `FrameStore(...)`, writing nothing: before any
        model loads."""
        folder = frames_folder(output)
        settings = json.loads(json.dumps(settings, sort_keys=True, default=str))
        if not folder.exists():
            parent = folder.parent if folder.parent != pathlib.Path("") else pathlib.Path(".")
            if parent.exists() and not os.access(parent, os.W_OK):
                raise ImageError(f"cannot write in {parent}")
            return
        foreign = [p.name for p in folder.iterdir() if not _ours(p)]
        if foreign and not (folder / SETTINGS).exists():
            raise ConfigError(f"{folder} exists and is not tfstyle's frames folder "
                              f"({foreign[0]} ...); move it or choose another output")
        saved = _saved_settings(folder)
        if saved is not None and saved != settings and not overwrite:
            raise ConfigError(f"{folder} holds frames made with other settings; pass "
                              "`overwrite` to start again")

    def __init__(self, output, settings: dict, overwrite: bool = False):
        self.check(output, settings, overwrite)
        self.folder = frames_folder(output)
        self.settings = json.loads(json.dumps(settings, sort_keys=True, default=str))
        try:
            if self.folder.exists() and (overwrite or _saved_settings(self.folder)
                                         != self.settings):
                for path in self.folder.iterdir():  # only what a store writes
                    if _ours(path):
                        path.unlink()
            self.folder.mkdir(parents=True, exist_ok=True)
            if _saved_settings(self.folder) is None:
                from tfstyle.core.fileio import atomic_write

                with atomic_write(self.folder / SETTINGS) as f:
                    f.write(json.dumps(self.settings, indent=2, sort_keys=True).encode())
        except OSError as e:
            raise ImageError(f"cannot write frames into {self.folder}: "
                             f"{e.strerror or e}") from None

    def path(self, index: int) -> pathlib.Path:
        return self.folder / f"{index:06d}.png"

    def done(self) -> int:
        """How many frames are finished (the first missing one's index)."""
        count = 0
        while self.path(count).exists():
            count += 1
        return count

    def save(self, index: int, frame: np.ndarray):
        from tfstyle.core.image import save_image

        save_image(self.path(index), frame)

    def load(self, index: int) -> np.ndarray:
        from tfstyle.core.image import load_image

        return load_image(self.path(index))

    def remove(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def frames(self, count: Optional[int] = None):
        for index in range(self.done() if count is None else count):
            yield self.load(index)


def takes_audio(output, info: ClipInfo) -> bool:
    """The source's audio goes into `output` (a container that holds audio)."""
    return info.audio and pathlib.Path(str(output)).suffix.lower() in FFMPEG_SUFFIXES and \
        pathlib.Path(info.source).is_file()


def encode(store: FrameStore, output, info: ClipInfo, count: int):
    """Writes the store's first `count` frames as the clip `output` (.gif or
    an ffmpeg container) at the source's frame rate, with its audio when it
    has any, by the bundled ffmpeg reading the PNG frames (streamed; one
    palette for a whole GIF). The result is checked (ffmpeg's exit status,
    its frame count) before it is renamed into place."""
    if is_frames_folder(output):
        return
    output = pathlib.Path(output)
    tmp = output.with_name(f".{output.name}.partial{output.suffix}")
    try:
        proc = subprocess.run(_encode_command(store, tmp, info, count), capture_output=True,
                              text=True)
        if proc.returncode:
            last = proc.stderr.strip().splitlines()[-1:] or ["ffmpeg failed"]
            raise ImageError(f"cannot encode {output}: {last[0]}")
        got = _frame_count(tmp)
        if got != count:
            raise ImageError(f"encoding {output} gave {got} frames of {count}; the frames stay "
                             f"in {store.folder}")
        os.replace(tmp, output)
    except OSError as e:
        raise ImageError(f"cannot write {output}: {e.strerror or e}") from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _encode_command(store: FrameStore, path: pathlib.Path, info: ClipInfo, count: int) -> list:
    from tfstyle.clips.clip import ffmpeg_exe

    suffix = path.suffix.lower()
    if suffix != ".gif" and suffix not in FFMPEG_SUFFIXES:
        raise ImageError(f"cannot write a clip as {suffix}")
    command = [ffmpeg_exe(), "-y", "-loglevel", "error", "-framerate", f"{info.fps:g}", "-i",
               str(store.folder / "%06d.png")]
    audio = takes_audio(path, info)
    if audio:
        command += ["-i", info.source, "-map", "0:v", "-map", "1:a?"]
    command += ["-frames:v", str(count)]
    if suffix == ".gif":
        return command + ["-filter_complex", "[0:v]split[a][b];[a]palettegen[p];[b][p]paletteuse",
                          "-loop", "0", str(path)]
    # H.264/VP9 with 4:2:0 colour need even sides: an odd side gets one row or column more.
    command += ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p"]
    if suffix == ".webm":
        command += ["-c:v", "libvpx-vp9", "-crf", "32", "-b:v", "0"]
    else:
        command += ["-c:v", "libx264", "-crf", "18"]
    if audio:
        command += ["-c:a", "libopus" if suffix == ".webm" else "aac",
                    "-t", f"{count / info.fps:.6f}"]
    return command + [str(path)]


def _frame_count(path: pathlib.Path) -> int:
    if path.suffix.lower() == ".gif":
        from PIL import Image

        with Image.open(path) as img:
            return getattr(img, "n_frames", 1)
    import imageio_ffmpeg

    return imageio_ffmpeg.count_frames_and_secs(str(path))[0]
