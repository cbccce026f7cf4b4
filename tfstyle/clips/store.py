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
from typing import Optional

import numpy as np

from tfstyle.core.errors import ConfigError, ImageError
from tfstyle.clips.clip import FFMPEG_SUFFIXES, ClipInfo

SETTINGS = "settings.json"


def is_frames_folder(output) -> bool:
    """An output naming a folder of frames: it ends in '/' or has no suffix."""
    text = str(output)
    return text.endswith(("/", os.sep)) or not pathlib.Path(text).suffix


class FrameStore:
    """The finished frames of one output."""

    def __init__(self, output, settings: dict, overwrite: bool = False):
        output = pathlib.Path(output)
        self.folder = output if is_frames_folder(output) else output.with_name(
            output.name + ".frames")
        self.settings = json.loads(json.dumps(settings, sort_keys=True, default=str))
        saved = self.folder / SETTINGS
        if saved.exists():
            if json.loads(saved.read_text()) != self.settings:
                if not overwrite:
                    raise ConfigError(f"{self.folder} holds frames made with other settings; "
                                      "pass `overwrite` to start again")
                shutil.rmtree(self.folder)
            elif overwrite:
                shutil.rmtree(self.folder)
        elif self.folder.exists() and any(self.folder.iterdir()):
            raise ConfigError(f"{self.folder} exists and is not tfstyle's frames folder; move it "
                              "or choose another output")
        self.folder.mkdir(parents=True, exist_ok=True)
        if not saved.exists():
            from tfstyle.core.fileio import atomic_write

            with atomic_write(saved) as f:
                f.write(json.dumps(self.settings, indent=2, sort_keys=True).encode())

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


def _even(frame: np.ndarray) -> np.ndarray:
    """H.264's 4:2:0 colour needs even sides: an odd side gets its last row
    or column repeated."""
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def encode(store: FrameStore, output, info: ClipInfo, count: int):
    """Writes the store's first `count` frames as the clip `output` (.gif or
    an ffmpeg container) at the source's frame rate, with its audio when it
    has any; nothing to do when the output is the frames folder itself."""
    output = pathlib.Path(output)
    if is_frames_folder(output):
        return
    tmp = output.with_name(f".{output.name}.partial{output.suffix}")
    try:
        if output.suffix.lower() == ".gif":
            _encode_gif(store, tmp, info.fps, count)
        else:
            _encode_ffmpeg(store, tmp, info, count)
        os.replace(tmp, output)
    finally:
        if tmp.exists():
            tmp.unlink()


def _encode_gif(store: FrameStore, path, fps: float, count: int):
    from PIL import Image

    from tfstyle.core.image import to_uint8

    images = [Image.fromarray(to_uint8(frame)).convert("P", palette=Image.ADAPTIVE)
              for frame in store.frames(count)]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], loop=0,
                   duration=round(1000 / fps))


def _encode_ffmpeg(store: FrameStore, path, info: ClipInfo, count: int):
    import imageio_ffmpeg

    from tfstyle.core.image import to_uint8

    suffix = path.suffix.lower()
    if suffix not in FFMPEG_SUFFIXES:
        raise ImageError(f"cannot write a clip as {suffix}")
    webm = suffix == ".webm"
    first = _even(to_uint8(store.load(0)))
    audio = takes_audio(path, info)
    writer = imageio_ffmpeg.write_frames(
        str(path), (first.shape[1], first.shape[0]), fps=info.fps, macro_block_size=1,
        codec="libvpx-vp9" if webm else "libx264", quality=None if webm else 7,
        output_params=["-shortest"] if audio else None,
        audio_path=info.source if audio else None,
        audio_codec=("libopus" if webm else "aac") if audio else None,
        ffmpeg_log_level="error")
    writer.send(None)
    try:
        for frame in store.frames(count):
            writer.send(_even(to_uint8(frame)).tobytes())
    finally:
        writer.close()
