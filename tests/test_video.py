"""Clips: optical flow and the warping error on clips with known motion, clip
I/O (fps, audio, GIF, frame folders), the temporal blend (less flicker, no
smearing of a moving object), resuming, and one-line errors that write
nothing. Every clip is made here."""

import json
import pathlib
import subprocess

import numpy as np
import pytest
from PIL import Image

from tfstyle.core import flow, metrics
from tfstyle.core.errors import ImageError
from tfstyle.clips import clip as clip_lib
from tfstyle.clips.stylize import stylize_clip
from test_cli import run

W, H = 96, 64


def textured(seed=0, shape=(H + 40, W + 80)):
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(seed)
    return np.clip(gaussian_filter(rng.random((*shape, 3)), (2, 2, 0)) * 2 - 0.5, 0, 1).astype(
        np.float32)


def moving_clip(frames=8, pan=2, square_speed=4):
    """A pan over a texture plus a red square moving faster than the pan:
    (frames, the square's x per frame)."""
    base = textured()
    out, xs = [], []
    for t in range(frames):
        frame = base[20:20 + H, 10 + pan * t:10 + pan * t + W].copy()
        x = 8 + square_speed * t
        frame[24:40, x:x + 16] = (0.95, 0.1, 0.1)
        out.append(frame)
        xs.append(x)
    return out, xs


def write_mp4(path, frames, fps=10, audio=False):
    import imageio_ffmpeg

    from tfstyle.core.samples import write_clip

    target = path.with_name("noaudio_" + path.name) if audio else path
    write_clip(target, frames, fps)
    if audio:
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i",
                        str(target), "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                        "-c:v", "copy", "-c:a", "aac", "-shortest", str(path)], check=True)
        target.unlink()
    return path


def flicker(seed=0):
    """A stand-in stylizer that flickers: the frame plus a random tint per call."""
    rng = np.random.default_rng(seed)
    return lambda frame: np.clip(frame + rng.normal(0, 0.08, 3).astype(np.float32), 0, 1)


def test_flow_recovers_a_known_pan_and_warp_undoes_it():
    frames, _ = moving_clip(2, pan=3, square_speed=0)
    f = flow.Flow()(frames[0], frames[1])
    assert np.median(f[..., 0]) == pytest.approx(-3, abs=0.2)  # the scene moves left
    assert abs(np.median(f[..., 1])) < 0.2
    back = flow.warp(frames[1], f)
    inner = (slice(5, -5), slice(5, -8))
    assert np.abs(back[inner] - frames[0][inner]).mean() < 0.02


def test_reliable_masks_what_the_next_frame_no_longer_shows():
    frames, _ = moving_clip(2, pan=6, square_speed=0)
    estimate = flow.Flow()
    forward = estimate(frames[0], frames[1])
    backward = estimate(frames[1], frames[0])
    mask = flow.reliable(forward, backward)
    # The left columns of frame 0 pan out of frame 1: unreliable there.
    assert mask[:, :4].mean() < 0.5 < mask[:, 20:70].mean()


def test_warping_error_is_low_for_a_consistent_clip_and_high_for_flicker():
    frames, _ = moving_clip()
    steady = metrics.warping_error(frames, inputs=frames)
    render = flicker()
    noisy = metrics.warping_error([render(f) for f in frames], inputs=frames)
    assert steady < 0.003 and noisy > 5 * steady
    with pytest.raises(ValueError, match="at least two frames"):
        metrics.warping_error(frames[:1], inputs=frames[:1])


def test_the_blend_lowers_flicker_without_smearing_the_moving_square(tmp_path):
    frames, xs = moving_clip(10)
    (tmp_path / "in").mkdir()
    for i, frame in enumerate(frames):
        Image.fromarray((frame * 255).round().astype(np.uint8)).save(tmp_path / "in" /
                                                                     f"{i:03d}.png")
    flat = stylize_clip(tmp_path / "in", tmp_path / "flat/", flicker(1), settings={},
                        temporal_weight=0.0)
    blended = stylize_clip(tmp_path / "in", tmp_path / "blend/", flicker(1), settings={},
                           temporal_weight=0.6)
    assert blended.warping_error < 0.6 * flat.warping_error
    from tfstyle.core.image import load_image

    last = load_image(tmp_path / "blend" / "000009.png")
    square = last[26:38, xs[-1] + 2:xs[-1] + 14]
    behind = last[26:38, xs[-1] - 12:xs[-1] - 4]  # where the square was: no red trail
    assert square[..., 0].mean() - square[..., 1].mean() > 0.6
    assert behind[..., 0].mean() - behind[..., 1].mean() < 0.3
    # The pan brings 2 new columns in at the right of every frame: no earlier
    # frame saw them, so the flow's reliability mask keeps them out of the
    # blend and they are the frame's own stylization, exactly. (The input
    # agreement alone would not: the texture is smooth, so the replicated
    # edge of the previous frame looks much like them.)
    for i in range(1, len(frames)):
        own = load_image(tmp_path / "flat" / f"{i:06d}.png")[:, -2:]
        np.testing.assert_array_equal(load_image(tmp_path / "blend" / f"{i:06d}.png")[:, -2:],
                                      own, err_msg=f"frame {i}")


def test_a_clip_keeps_its_rate_and_audio_and_resumes_after_an_interruption(tmp_path):
    frames, _ = moving_clip(6)
    source = write_mp4(tmp_path / "in.mp4", frames, fps=10, audio=True)
    info = clip_lib.probe(source)
    assert (info.fps, info.size, info.audio) == (10.0, (W, H), True)
    calls = []

    def render(frame):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return 1.0 - frame

    with pytest.raises(KeyboardInterrupt):
        stylize_clip(source, tmp_path / "out.mp4", render, settings={"a": 1})
    assert not (tmp_path / "out.mp4").exists()
    assert len(list((tmp_path / "out.mp4.frames").glob("*.png"))) == 3
    calls.clear()
    result = stylize_clip(source, tmp_path / "out.mp4", render, settings={"a": 1})
    assert (result.frames, result.resumed, len(calls)) == (6, 3, 3)
    assert result.audio and not (tmp_path / "out.mp4.frames").exists()
    again = clip_lib.probe(tmp_path / "out.mp4")
    assert (again.fps, again.size, again.audio) == (10.0, (W, H), True)
    with pytest.raises(Exception, match="other settings"):
        (tmp_path / "x.mp4.frames").mkdir()
        (tmp_path / "x.mp4.frames" / "settings.json").write_text('{"a": 2}')
        stylize_clip(source, tmp_path / "x.mp4", render, settings={"a": 1})


def test_gif_in_and_out(tmp_path):
    frames, _ = moving_clip(4)
    images = [Image.fromarray((f * 255).astype(np.uint8)) for f in frames]
    images[0].save(tmp_path / "in.gif", save_all=True, append_images=images[1:], duration=100)
    info = clip_lib.probe(tmp_path / "in.gif")
    assert (info.fps, info.frames) == (10.0, 4)
    result = stylize_clip(tmp_path / "in.gif", tmp_path / "out.gif", lambda f: f, settings={})
    assert result.frames == 4 and Image.open(tmp_path / "out.gif").n_frames == 4


def test_truncated_clip_gives_what_decodes_and_says_where_it_stopped(tmp_path, caplog):
    frames, _ = moving_clip(8)
    images = [Image.fromarray((f * 255).astype(np.uint8)) for f in frames]
    images[0].save(tmp_path / "in.gif", save_all=True, append_images=images[1:], duration=100)
    data = (tmp_path / "in.gif").read_bytes()
    (tmp_path / "cut.gif").write_bytes(data[: len(data) // 2])
    clip_lib.log.addHandler(caplog.handler)
    try:
        with caplog.at_level("WARNING", logger=clip_lib.log.name):
            result = stylize_clip(tmp_path / "cut.gif", tmp_path / "out/", lambda f: f,
                                  settings={})
    finally:
        clip_lib.log.removeHandler(caplog.handler)
    assert 1 <= result.frames < 8 and "truncated" in caplog.text


def test_audio_shorter_than_the_clip_keeps_every_frame(tmp_path):
    import imageio_ffmpeg

    frames, _ = moving_clip(12)
    source = write_mp4(tmp_path / "v.mp4", frames, fps=10)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-i",
                    str(source), "-f", "lavfi", "-i", "sine=duration=0.4", "-c:v", "copy",
                    "-c:a", "aac", str(tmp_path / "in.mp4")], check=True)
    result = stylize_clip(tmp_path / "in.mp4", tmp_path / "out.mp4", lambda f: f, settings={})
    assert result.audio and clip_lib.probe(tmp_path / "out.mp4").frames == 12


def test_outputs_that_would_lose_something_are_refused(tmp_path):
    import tfstyle

    frames, _ = moving_clip(3)
    source = write_mp4(tmp_path / "in.mp4", frames)
    (tmp_path / "taken.mp4").write_bytes(b"keep me")
    with pytest.raises(ImageError, match="exists; pass `overwrite`"):
        tfstyle.video(source, tmp_path / "taken.mp4", "multistyle")
    assert (tmp_path / "taken.mp4").read_bytes() == b"keep me"
    with pytest.raises(ImageError, match="is the input clip"):
        stylize_clip(source, source, lambda f: f, settings={})
    (tmp_path / "frames").mkdir()
    for i, frame in enumerate(frames):
        Image.fromarray((frame * 255).astype(np.uint8)).save(tmp_path / "frames" / f"{i}.png")
    with pytest.raises(ImageError, match="inside the frames folder"):
        stylize_clip(tmp_path / "frames", tmp_path / "frames" / "out.mp4", lambda f: f,
                     settings={})


@pytest.mark.parametrize("make, message", [
    (lambda d: (d / "x.mp4").write_text("not a video"), "not a video ffmpeg can decode"),
    (lambda d: (d / "x.mp4").write_bytes(b""), "not a video ffmpeg can decode"),
])
def test_clip_errors_are_one_line_and_write_nothing(tmp_path, make, message):
    make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    finished = run("arbitrary", "--content=x.mp4", cwd=tmp_path)
    assert finished.returncode == 1
    assert message in finished.stderr and len(finished.stderr.strip().splitlines()) == 1, \
        finished.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_frames_of_different_sizes_are_refused_before_anything_is_written(tmp_path):
    (tmp_path / "frames").mkdir()
    Image.new("RGB", (32, 24)).save(tmp_path / "frames" / "0.png")
    Image.new("RGB", (30, 24)).save(tmp_path / "frames" / "1.png")
    with pytest.raises(ImageError, match="frames of different sizes"):
        stylize_clip(tmp_path / "frames", tmp_path / "out.mp4", lambda f: f, settings={})
    assert not (tmp_path / "out.mp4.frames").exists()


def test_a_missing_clip_is_named_whatever_the_output(tmp_path):
    # Not an image output's complaint about a frames folder's missing extension.
    finished = run("arbitrary", "--content=gone.mp4", "--output=frames/", cwd=tmp_path)
    assert finished.returncode == 1 and "no such clip: gone.mp4" in finished.stderr, \
        finished.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_frames_folders_record_takes_its_whole_name():
    from tfstyle.cli.output import sidecar_path

    assert sidecar_path("run1.5/") == pathlib.Path("run1.5.json")
    assert sidecar_path("frames") == pathlib.Path("frames.json")
    assert sidecar_path("out.mp4") == pathlib.Path("out.json")
    assert sidecar_path("out.png") == pathlib.Path("out.json")


def test_cli_clip_output_must_be_a_clip(tmp_path):
    write_mp4(tmp_path / "in.mp4", moving_clip(2)[0])
    finished = run("arbitrary", "--content=in.mp4", "--output=out.png", cwd=tmp_path)
    assert finished.returncode == 1 and "a clip's --output is a" in finished.stderr


@pytest.mark.slow
def test_cli_arbitrary_on_a_clip_records_the_warping_error(tmp_path):
    write_mp4(tmp_path / "in.mp4", moving_clip(6)[0], audio=True)
    finished = run("arbitrary", "--content=in.mp4", "--output=out.mp4", "--size=64",
                   cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    record = json.loads((tmp_path / "out.json").read_text())
    assert record["frames"] == 6 and record["audio"] and record["source_fps"] == 10.0
    assert record["warping_error"] > 0 and record["style_distance"] > 0
    flat = run("arbitrary", "--content=in.mp4", "--output=flat.mp4", "--size=64",
               "--notemporal", cwd=tmp_path)
    assert flat.returncode == 0, flat.stderr
    assert record["warping_error"] < json.loads((tmp_path / "flat.json").read_text())[
        "warping_error"]


def test_the_temporal_term_is_masked_and_weighted():
    import tensorflow as tf

    from tfstyle.gatys.temporal import TEMPORAL_SCALE, TemporalObjective

    class Base:
        targets, content_weight = None, 2.0

        def __call__(self, x):
            return {"content": tf.constant(1.0), "total": tf.constant(1.0)}

    warped = np.zeros((4, 5, 3), np.float32)
    mask = np.zeros((4, 5), np.float32)
    mask[:, :2] = 1.0
    objective = TemporalObjective(Base(), warped, mask, 0.5, content_values=30)
    x = tf.fill([1, 4, 5, 3], 0.5)
    parts = objective(x)
    expected = TEMPORAL_SCALE * 1.0 * 2.0 * 30 / warped.size * (8 * 3 * 0.25)
    assert float(parts["temporal"]) == pytest.approx(expected, rel=1e-5)
    assert float(parts["total"]) == pytest.approx(1.0 + expected, rel=1e-5)
    none = TemporalObjective(Base(), warped, np.zeros((4, 5), np.float32), 0.5, 30)
    assert float(none(x)["temporal"]) == 0.0  # an unreliable pixel costs nothing


def test_long_term_masks_hold_each_pixel_to_the_nearest_frame_that_saw_it():
    from tfstyle.clips.stylize import long_term

    class History:
        """Earlier frames 1, 2 and 4 back; each saw a different part reliably."""
        trust = {1: [1, 0, 0, 1], 2: [1, 1, 0, 0], 4: [1, 1, 1, 0]}

        def earlier(self, frame, shape, gap):
            if gap not in self.trust:
                return None
            return np.full((1, 4, 3), gap, np.float32), np.array([self.trust[gap]], np.float32)

    warped, masks = long_term(History(), np.zeros((1, 4, 3), np.float32), (1, 4))
    assert [w[0, 0, 0] for w in warped] == [1, 2, 4]
    np.testing.assert_array_equal(np.concatenate(masks), [[1, 0, 0, 1], [0, 1, 0, 0],
                                                          [0, 0, 1, 0]])
    History.trust = {1: [1, 1, 1, 1]}  # no frame 2 back yet: stops at the first gap missing
    warped, masks = long_term(History(), np.zeros((1, 4, 3), np.float32), (1, 4))
    assert len(warped) == 1


def test_the_temporal_term_sums_over_earlier_frames():
    import tensorflow as tf

    from tfstyle.gatys.temporal import TemporalObjective

    class Base:
        targets, content_weight = None, 1.0

        def __call__(self, x):
            return {"total": tf.constant(0.0)}

    x = tf.fill([1, 2, 3, 3], 0.5)
    ones, zeros = np.ones((2, 3, 3), np.float32), np.zeros((2, 3, 3), np.float32)
    a, b = np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float32)
    a[0], b[1] = 1.0, 1.0
    both = TemporalObjective(Base(), [zeros, ones], [a, b], 0.5, 10)(x)["temporal"]
    first = TemporalObjective(Base(), zeros, a, 0.5, 10)(x)["temporal"]
    second = TemporalObjective(Base(), ones, b, 0.5, 10)(x)["temporal"]
    assert float(both) == pytest.approx(float(first) + float(second), rel=1e-6)


@pytest.mark.slow
def test_gatys_on_a_clip_starts_each_frame_from_the_warped_previous_one(tmp_path, real_weights):
    import tfstyle
    from tfstyle.gatys import temporal

    frames, _ = moving_clip(4)
    source = write_mp4(tmp_path / "in.mp4", frames)
    followed = []
    original = temporal.ClipRenderer.follow

    def spy(self, frame, warped, masks, weight):
        followed.append(len(warped))
        return original(self, frame, warped, masks, weight)

    temporal.ClipRenderer.follow = spy
    try:
        ours = tfstyle.video(source, tmp_path / "t/", "transfer", size=64, steps=20)
        flat = tfstyle.video(source, tmp_path / "f/", "transfer", size=64, steps=20,
                             temporal_weight=0.0)
    finally:
        temporal.ClipRenderer.follow = original
    assert followed == [1, 2, 2]  # every frame after the first, held to t-1 and t-2
    assert ours.frames == flat.frames == 4
    assert ours.warping_error < flat.warping_error


@pytest.mark.slow
def test_a_folder_of_clips_resumes_clip_by_clip(tmp_path):
    (tmp_path / "clips" / "sub").mkdir(parents=True)
    write_mp4(tmp_path / "clips" / "a.mp4", moving_clip(3)[0])
    write_mp4(tmp_path / "clips" / "sub" / "b.mp4", moving_clip(4)[0])
    (tmp_path / "clips" / "sub" / "broken.mp4").write_text("not a clip")
    args = ("arbitrary", "--content_dir=clips", "--output_dir=out", "--size=48")
    first = run(*args, cwd=tmp_path)
    assert first.returncode == 1 and "2 clips stylized" in first.stderr, first.stderr
    assert clip_lib.probe(tmp_path / "out" / "sub" / "b.mp4").frames == 4
    lines = [json.loads(x) for x in (tmp_path / "out" / "manifest.jsonl").read_text().split("\n")
             if x]
    assert sorted(x["status"] for x in lines) == ["done", "done", "error"]
    again = run(*args, cwd=tmp_path)
    assert "2 already there" in again.stderr, again.stderr


@pytest.mark.slow
def test_beam_stylizes_a_folder_of_clips(tmp_path, monkeypatch):
    from apache_beam.runners.portability import prism_runner

    monkeypatch.setattr(prism_runner.PrismJobServer, "BIN_CACHE", str(tmp_path / "prism"),
                        raising=False)
    (tmp_path / "clips").mkdir()
    write_mp4(tmp_path / "clips" / "a.mp4", moving_clip(3)[0])
    write_mp4(tmp_path / "clips" / "b.mp4", moving_clip(4)[0])
    finished = run("multistyle", "--content_dir=clips", "--output_dir=out", "--size=48",
                   "--beam_runner=DirectRunner", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert [clip_lib.probe(tmp_path / "out" / n).frames for n in ("a.mp4", "b.mp4")] == [3, 4]
    again = run("multistyle", "--content_dir=clips", "--output_dir=out", "--size=48",
                "--beam_runner=DirectRunner", cwd=tmp_path)
    assert again.returncode == 0 and "2 already there" in again.stderr, again.stderr


def test_the_blend_weight_is_per_command():
    from tfstyle import api
    from tfstyle.cli.main import flag_values
    from tfstyle.gatys.recipe import GatysRecipe
    from tfstyle.magenta.recipe import MultistyleRecipe
    from tfstyle import methods

    assert flag_values(methods.BY_NAME["transfer"])["temporal_weight"].default == 0.5
    for name in ("arbitrary", "multistyle", "photoreal", "adain", "infrared"):
        assert flag_values(methods.BY_NAME[name])["temporal_weight"].default == 0.6, name
    assert api.default_temporal_weight(GatysRecipe.__new__(GatysRecipe)) == 0.5
    assert api.default_temporal_weight(MultistyleRecipe.__new__(MultistyleRecipe)) == 0.6
