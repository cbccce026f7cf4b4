"""Clips in and out, streamed: frames are read one at a time and written one
at a time, so memory does not grow with a clip's length.

Reading: .mp4, .webm, .mov, .mkv, .avi through the ffmpeg binary that the
imageio-ffmpeg wheel bundles (nothing is downloaded at run time); .gif
through Pillow; a folder of frames (sorted by name, one size). Writing: the
same containers (H.264 for .mp4/.mov/.mkv/.avi, VP9 for .webm), .gif, or a
folder of PNG frames; the source's frame rate is kept, and its audio is
copied in when the source has any and the container takes it.
"""

import dataclasses
import logging
import pathlib
import re
import struct
import subprocess
from typing import Iterator, Optional

import numpy as np

from tfstyle.core.errors import ImageError

log = logging.getLogger(__name__)

FFMPEG_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi")
VIDEO_SUFFIXES = FFMPEG_SUFFIXES + (".gif",)
# A frame larger than this is refused unless the method resizes it (`size`):
# a 4K frame is 8.3 MP; the methods' memory grows with the pixels.
MAX_PIXELS = 4096 * 4096


def list_clips(folder) -> list:
    """The clips under a local folder (by suffix, recursively; hidden ones and
    frame stores left out); [] for other file systems."""
    from tfstyle.core.image import files_under

    if "://" in str(folder) or not pathlib.Path(folder).is_dir():
        return []
    return files_under(folder, VIDEO_SUFFIXES,
                       skip=lambda part: part.startswith(".") or part.endswith(".frames"))


def is_video(path) -> bool:
    return path is not None and pathlib.Path(str(path)).suffix.lower() in VIDEO_SUFFIXES


@dataclasses.dataclass(frozen=True)
class ClipInfo:
    source: str
    fps: float
    size: tuple                  # (width, height)
    frames: Optional[int]        # expected count (None: unknown)
    audio: bool


def ffmpeg_exe() -> str:
    """The ffmpeg binary imageio-ffmpeg ships (a one-line error without it)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ImageError("video needs imageio-ffmpeg: pip install imageio-ffmpeg") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def _streams(path) -> str:
    """ffmpeg's description of the file's streams (its stderr for -i)."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True)
    return proc.stderr


def probe(path) -> ClipInfo:
    """What a clip (or a folder of frames) holds, without decoding it all."""
    path = pathlib.Path(path)
    if path.is_dir():
        return _probe_folder(path)
    if not path.is_file():
        raise ImageError(f"no such clip: {path}")
    suffix = path.suffix.lower()
    if suffix == ".gif":
        return _probe_gif(path)
    if suffix not in FFMPEG_SUFFIXES:
        raise ImageError(f"{path}: not a clip ({', '.join(VIDEO_SUFFIXES)} or a folder of "
                         "frames)")
    ffmpeg_exe()
    import imageio_ffmpeg

    reader = None
    try:  # the header, and the first frame: a clip of no frames is refused here
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        first = next(reader, None)
    except Exception as e:  # noqa: BLE001 - ffmpeg's failures come as many types
        line = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise ImageError(f"{path} is not a video ffmpeg can decode ({line})") from None
    finally:
        if reader is not None:
            reader.close()
    if first is None:
        raise ImageError(f"{path}: no frames decoded (an empty clip)")
    fps = float(meta.get("fps") or 25.0)
    duration = meta.get("duration")
    expected = round(duration * fps) if duration else None
    audio = re.search(r"Stream #\S+.*: Audio:", _streams(path)) is not None
    return ClipInfo(str(path), fps, tuple(meta["size"]), expected, audio)


# A folder of frames says nothing of its rate: the common one.
FOLDER_FPS = 25.0


def _probe_folder(path: pathlib.Path) -> ClipInfo:
    """A folder of frames: every frame's size read from its header first, so
    frames of different sizes are refused before anything is written."""
    from PIL import Image

    from tfstyle.core.image import list_images

    files = list_images(path, "frames folder")
    sizes = {}
    for file in files:
        try:
            with Image.open(file) as img:
                sizes.setdefault(img.size, file.name)
        except OSError as e:
            raise ImageError(f"cannot read frame {file}: {e}") from None
    if len(sizes) > 1:
        (a, first), (b, other) = list(sizes.items())[:2]
        raise ImageError(f"frames of different sizes in {path}: {first} is {a[0]}x{a[1]}, "
                         f"{other} is {b[0]}x{b[1]}")
    return ClipInfo(str(path), FOLDER_FPS, next(iter(sizes)), len(files), False)


def _probe_gif(path) -> ClipInfo:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            duration = img.info.get("duration") or 40
            size, count = img.size, 0
            try:  # frames up to the first that does not decode (a truncated file)
                while True:
                    img.seek(count)
                    count += 1
            except EOFError:
                pass
            except (OSError, ValueError, struct.error):
                log.warning("%s: only %d frames decode (a truncated file?)", path, count)
    except (OSError, UnidentifiedImageError, ValueError, EOFError, struct.error) as e:
        raise ImageError(f"{path} is not a readable GIF ({e or type(e).__name__})") from None
    if count == 0:
        raise ImageError(f"{path}: no frames decoded")
    return ClipInfo(str(path), 1000.0 / duration, size, count, False)


def frames(info: ClipInfo) -> Iterator[np.ndarray]:
    """The clip's frames, float32 [H, W, 3] in [0, 1], one at a time. A
    truncated file yields what decodes, then a warning says where it stopped."""
    path = pathlib.Path(info.source)
    width, height = info.size
    if width * height > MAX_PIXELS:
        raise ImageError(f"{path}: frames of {width}x{height} are more than "
                         f"{MAX_PIXELS // 2**20} MP: refused, not tiled; scale the clip down "
                         "first (ffmpeg -vf scale=-2:2160)")
    count = 0
    if path.is_dir():
        yield from _folder_frames(path)
        return
    if path.suffix.lower() == ".gif":
        from PIL import Image, ImageSequence

        with Image.open(path) as img:
            try:
                for frame in ImageSequence.Iterator(img):
                    count += 1
                    yield np.asarray(frame.convert("RGB"), np.float32) / 255.0
            except (OSError, ValueError, EOFError, struct.error):
                log.warning("%s: decoding stopped after frame %d (a truncated file?); the "
                            "frames that decoded were stylized", path, count)
        return
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        next(reader)
        for raw in reader:
            count += 1
            yield np.frombuffer(raw, np.uint8).reshape(height, width, 3).astype(np.float32) / 255.0
    except Exception as e:  # noqa: BLE001 - ffmpeg's failures come as many types
        log.warning("%s: decoding stopped after frame %d (%s)", path, count,
                    str(e).strip().splitlines()[-1] if str(e).strip() else "error")
    finally:
        reader.close()
    if info.frames and count < info.frames - 1:
        log.warning("%s: decoding stopped after frame %d of about %d (a truncated file?); "
                    "the frames that decoded were stylized", path, count, info.frames)


def _folder_frames(path: pathlib.Path) -> Iterator[np.ndarray]:
    from tfstyle.core.image import list_images, load_image

    for file in list_images(path, "frames folder"):
        yield load_image(file)
