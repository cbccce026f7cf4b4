"""A clip through any method: frames streamed in, stylized one at a time by
a recipe's renderer, blended for temporal consistency, stored as they finish
(resumable), encoded at the end, and measured (warping error, style
distance)."""

import dataclasses
import logging
import time
from typing import Callable, Optional

import numpy as np

from tfstyle.clips.temporal import HISTORY, at_size
from tfstyle.core.errors import ImageError
from tfstyle.core.recipe import FrameRenderer

log = logging.getLogger(__name__)

# How much of the previous output a frame keeps where the flow is reliable
# (benchmarks/video_bench.py, docs/video.md).
TEMPORAL_WEIGHT = 0.6
# Gatys' temporal terms look back this many frames (Ruder et al. 2016's J).
LONG_TERM_GAPS = (1, 2, 4)


@dataclasses.dataclass(frozen=True)
class VideoResult:
    output: str
    frames: int                      # frames in the output
    resumed: int                     # of which were already done by an earlier run
    seconds: float                   # stylizing this run's frames
    fps: float                       # this run's frames per second
    source_fps: float                # the output's frame rate (the source's)
    warping_error: Optional[float]   # Lai et al. 2018 on the output, flows of the input
    style_distance: Optional[float]  # mean Gram distance of the frames to the style
    audio: bool                      # the source's audio was copied in


def stylize_clip(source, output, render: Callable[[np.ndarray], np.ndarray], *,
                 settings: dict, temporal_weight: float = TEMPORAL_WEIGHT,
                 overwrite: bool = False, channels: int = 3, flow_preset: str = "medium",
                 style=None, vgg_weights=None,
                 callback: Optional[Callable[[int, Optional[int], float], None]] = None
                 ) -> VideoResult:
    """Stylizes the clip `source` (a video file or a folder of frames) into
    `output` (a video file, .gif, or a folder of frames).

    `render(frame) -> [h, w, 3]` is a recipe's renderer (the style encoded
    once for the clip). `temporal_weight` 0 stylizes each frame on its own.
    `style`: an image to measure the style distance against (None: not
    measured). `callback(frames_done, frames_expected, seconds)` after each
    frame. A rerun with the same settings continues after the last finished
    frame; other settings are refused unless `overwrite`.
    """
    from tfstyle.core.color import gray_rgb, luminance
    from tfstyle.clips import clip, store as store_lib
    from tfstyle.clips.temporal import Blend

    info, settings = check(source, output, settings, overwrite)
    blend, store, done, count, start = Blend(temporal_weight, flow_preset), None, 0, 0, None
    for index, frame in enumerate(clip.frames(info)):
        if store is None:  # the first frame decoded: now something may be written
            store = store_lib.FrameStore(output, settings, overwrite)
            done, start = store.done(), time.perf_counter()
        count = index + 1
        if index < done:
            if index >= done - HISTORY:  # what the next frame's temporal terms look back on
                last = store.load(index)
                blend.start_from(at_size(frame, last.shape[:2]), last)
            continue
        out = _next(render, blend, frame, temporal_weight)
        if channels == 1:
            out = gray_rgb(luminance(out))
            # The next frame looks back on what is saved, as a resumed run does.
            blend.history[-1] = (blend.history[-1][0], out)
        store.save(index, out)
        if callback is not None:
            callback(count, info.frames, time.perf_counter() - start)
    if store is None:
        raise ImageError(f"{source}: no frames decoded (an empty or unreadable clip)")
    seconds = time.perf_counter() - start
    store_lib.encode(store, output, info, count)
    new = count - min(done, count)
    error, distance = measure(info, store, count, style, vgg_weights)
    if not store_lib.is_frames_folder(output):
        store.remove()  # the clip is whole: its frames are no longer needed to resume
    return VideoResult(str(output), count, min(done, count), round(seconds, 3),
                       round(new / seconds, 3) if new and seconds > 0 else 0.0, info.fps,
                       error, distance, store_lib.takes_audio(output, info))


def _next(render, blend, frame: np.ndarray, weight: float) -> np.ndarray:
    """The next output frame: a `FrameRenderer` with its own temporal step
    (`follow`, Gatys') gets the earlier outputs warped onto the frame and
    their masks (`long_term`); the others are blended."""
    follow = render.follow if isinstance(render, FrameRenderer) else None
    if follow is None or weight <= 0 or blend.previous_output is None:
        return blend(frame, render(frame))
    warped, masks = long_term(blend, frame, blend.previous_output.shape[:2])
    return blend.keep(frame, follow(frame, warped, masks, weight))


def long_term(blend, frame: np.ndarray, shape, gaps=LONG_TERM_GAPS):
    """Ruder et al.'s long-term terms: the outputs `gaps` frames back (those
    there are) warped onto `frame`, and their masks c_j = max(M_j - sum of
    the nearer frames' masks, 0): each pixel is held to the nearest earlier
    frame that saw it reliably. Returns ([warped], [mask]), nearest first."""
    warped, masks, covered = [], [], 0.0
    for gap in gaps:
        earlier = blend.earlier(frame, shape, gap)
        if earlier is None:
            break
        image, trust = earlier
        mask = np.maximum(trust - covered, 0.0)
        covered = covered + mask
        warped.append(image)
        masks.append(mask.astype(np.float32))
    return warped, masks


def check(source, output, settings: dict, overwrite: bool):
    """Everything that can refuse a clip run without stylizing a frame (call
    it before any model loads): (the clip's `ClipInfo`, `settings` with its
    source). Not a clip, no frames, an unusable output, a frames folder of
    other settings: one-line errors."""
    from tfstyle.clips import clip, store

    info = clip.probe(source)
    settings = with_source(settings, info)
    check_output(source, output, overwrite)
    store.FrameStore.check(output, settings, overwrite)
    return info, settings


def with_source(settings: dict, info) -> dict:
    """The run's settings and what identifies its source: a rerun on another
    clip never mixes its frames in."""
    import pathlib

    path = pathlib.Path(info.source)
    stat = path.stat()
    return dict(settings, source={"path": str(path.resolve()), "bytes": stat.st_size,
                                  "mtime": int(stat.st_mtime), "frames": info.frames,
                                  "fps": info.fps, "size": list(info.size)})


def check_output(source, output, overwrite: bool):
    """The output is not the source, not inside a source folder, and not an
    existing clip unless `overwrite`."""
    import pathlib

    from tfstyle.clips.store import frames_folder, is_frames_folder

    src, out = pathlib.Path(source).resolve(), pathlib.Path(output).resolve()
    if out == src:
        raise ImageError(f"the output {output} is the input clip")
    if src.is_dir() and (src in out.parents or src in frames_folder(out).parents):
        raise ImageError(f"the output {output} is inside the frames folder {source}: its "
                         "frames would be read back as input")
    if not is_frames_folder(output) and out.exists() and not overwrite:
        raise ImageError(f"{output} exists; pass `overwrite` to replace it")


def measure(info, store, count: int, style=None, weights=None):
    """(warping error, style distance) of the stored frames; the flows come
    from the input clip's frames, brought to the output's size."""
    from tfstyle.core import metrics
    from tfstyle.clips import clip

    if count < 2:
        return None, None
    shape = store.load(0).shape[:2]
    inputs = (at_size(f, shape) for _, f in zip(range(count), clip.frames(info)))
    gram = target = None
    if style is not None:
        from tfstyle.core.errors import TfstyleError

        try:
            from tfstyle.core.weights import find_vgg19_weights

            gram = metrics.GramDistance(find_vgg19_weights(weights) if weights else None)
            target = gram.grams(style, max(shape))
        except TfstyleError as e:  # the clip is written: a missing measure is not a failure
            log.warning("no style distance: %s", e)
            gram = None
    distances = []

    def frames():  # the stored frames read once for both measures
        for frame in store.frames(count):
            if gram is not None:
                distances.append(gram(frame, target, None))
            yield frame

    error = metrics.warping_error(frames(), inputs=inputs)
    distance = round(float(np.mean(distances)), 4) if distances else None
    return round(error, 6), distance
