import json
import os

import numpy as np
import pytest
from PIL import Image

from tfstyle.core import image
from tfstyle.core.errors import ImageError


def test_modes_load_as_rgb01(tmp_path):
    gray = tmp_path / "g.png"
    Image.fromarray(np.full((4, 6), 128, np.uint8), "L").save(gray)
    out = image.load_image(gray)
    assert out.shape == (4, 6, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, 128 / 255, atol=1e-6)

    rgba = tmp_path / "a.png"
    pixels = np.zeros((2, 2, 4), np.uint8)
    pixels[..., 3] = 0  # fully transparent black -> white
    Image.fromarray(pixels, "RGBA").save(rgba)
    np.testing.assert_allclose(image.load_image(rgba), 1.0)

    deep = tmp_path / "t16.png"
    Image.fromarray(np.full((3, 3), 65535 // 2, np.uint16)).save(deep)
    np.testing.assert_allclose(image.load_image(deep), 0.5, atol=1e-4)


def test_size_sets_the_long_side(tmp_path):
    path = tmp_path / "wide.png"
    Image.new("RGB", (200, 100), (10, 20, 30)).save(path)
    assert image.load_image(path, 64).shape == (32, 64, 3)
    assert image.load_image(path).shape == (100, 200, 3)


@pytest.mark.parametrize("content, message", [(None, "no such file"), (b"not an image", "not a readable image")])
def test_bad_inputs_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "x.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        image.load_image(path)
    with pytest.raises(ImageError, match="directory"):
        image.load_image(tmp_path)


def test_save_png_with_metadata_and_no_temp_files(tmp_path):
    path = tmp_path / "out.png"
    pixels = np.random.default_rng(0).uniform(0, 1, (5, 7, 3)).astype(np.float32)
    image.save_image(path, pixels, {"tfstyle:settings": json.dumps({"steps": 3})})
    assert sorted(os.listdir(tmp_path)) == ["out.png"]
    with Image.open(path) as img:
        assert json.loads(img.text["tfstyle:settings"]) == {"steps": 3}
        np.testing.assert_array_equal(np.asarray(img), image.to_uint8(pixels))


def test_failed_save_leaves_nothing(tmp_path, monkeypatch):
    path = tmp_path / "out.png"

    def boom(*_, **__):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(ImageError, match="No space left"):
        image.save_image(path, np.zeros((2, 2, 3), np.float32))
    assert os.listdir(tmp_path) == []


def test_output_checks(tmp_path):
    src = tmp_path / "in.png"
    Image.new("RGB", (4, 4)).save(src)
    with pytest.raises(ImageError, match="one of the input images"):
        image.check_output_path(src, [src], overwrite=True)
    with pytest.raises(ImageError, match="exists; pass `overwrite`"):
        image.check_output_path(src, [])
    with pytest.raises(ImageError, match="does not exist"):
        image.check_output_path(tmp_path / "nope" / "o.png")
    with pytest.raises(ImageError, match="unsupported extension"):
        image.check_output_path(tmp_path / "o.txt")
    assert image.check_output_path(tmp_path / "o.png") == tmp_path / "o.png"


def test_arrays_and_pil_images_are_accepted():
    u8 = np.full((3, 4, 3), 255, np.uint8)
    np.testing.assert_allclose(image.as_image(u8), 1.0)
    np.testing.assert_allclose(image.as_image(Image.fromarray(u8)), 1.0)
    with pytest.raises(ImageError, match="finite values in"):
        image.as_image(np.full((3, 3, 3), 2.0, np.float32))
