"""A method is a folder plus one `Command`: a toy method declared here alone
(one config field, a renderer that inverts the image) gets a command with
its help, an API function, folders, clips and Beam, with no edit to tfstyle."""

import contextlib
import dataclasses
import io
import json
from typing import Tuple

import numpy as np
import pytest

import tfstyle
from tfstyle import methods
from tfstyle.cli import main as cli
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import as_image, load_image, save_image
from tfstyle.core.options import option, settings_of
from tfstyle.core.recipe import Recipe, set_field


@dataclasses.dataclass(frozen=True)
class InvertConfig:
    amount: float = option(1.0, "How much of the inverted image replaces the photo (0..1).")

    def __post_init__(self):
        if not 0.0 <= self.amount <= 1.0:
            raise ConfigError(f"`amount` must be in [0, 1], got {self.amount}")

    def to_dict(self) -> dict:
        return settings_of(self)


@dataclasses.dataclass(frozen=True)
class InvertRecipe(Recipe):
    """The photo's negative, `amount` of it blended over the photo."""

    command = "invert"
    positional = ()
    image_fields = ()

    tint: Tuple[float, ...] = option((), "An RGB colour the negative is multiplied by.")
    config: InvertConfig = dataclasses.field(default_factory=InvertConfig,
                                             metadata={"internal": True})

    def __post_init__(self):
        set_field(self, "tint", tuple(float(t) for t in self.tint or ()))
        if self.tint and len(self.tint) != 3:
            raise ConfigError("`tint` is three numbers")

    def style_image(self, read=None):
        return None

    def renderer(self, read=None, fetch=str, callback=None):
        tint = np.asarray(self.tint or (1.0, 1.0, 1.0), np.float32)
        a = self.config.amount

        def render(content):
            image = as_image(content)
            return (a * (1.0 - image) * tint + (1.0 - a) * image).astype(np.float32)

        return render


@pytest.fixture
def invert():
    command = methods.register(methods.Command(
        "invert", "The photo's negative (a toy method).", InvertConfig,
        ("content", "output", "overwrite", "output_channels", "content_dir", "output_dir",
         "beam_runner", "beam_options", "video", "temporal", "temporal_weight"),
        recipe=InvertRecipe))
    yield command
    methods.unregister("invert")


@pytest.fixture(autouse=True)
def prism_cache_in_tmp(tmp_path, monkeypatch):
    from apache_beam.runners.portability import prism_runner

    monkeypatch.setattr(prism_runner.PrismJobServer, "BIN_CACHE", str(tmp_path / "prism"),
                        raising=False)


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["tfstyle", *args])
    return code, out.getvalue(), err.getvalue()


def photo(seed=0, shape=(20, 28)):
    return np.random.default_rng(seed).uniform(0, 1, (*shape, 3)).astype(np.float32)


def stored(image):
    """`image` as an 8-bit PNG keeps it."""
    return np.round(image * 255) / 255


def test_the_toy_method_has_a_command_with_help_and_an_api_function(invert, tmp_path):
    code, out, _ = call("--help")
    assert code == 0 and "invert" in out and "a toy method" in out
    code, out, _ = call("invert", "--help")
    assert code == 0 and "--amount" in out and "--tint" in out and "--content_dir" in out
    image = photo()
    save_image(tmp_path / "in.png", image)
    code, _, err = call("invert", f"--content={tmp_path / 'in.png'}", "--amount=0.5",
                        "--tint=1,0.5,1", f"--output={tmp_path / 'out.png'}")
    assert code == 0, err
    result = tfstyle.invert(str(tmp_path / "in.png"), amount=0.5, tint=(1, 0.5, 1))
    expected = 0.5 * (1 - stored(image)) * np.array([1, 0.5, 1]) + 0.5 * stored(image)
    np.testing.assert_allclose(result.image, expected, atol=1e-6)
    np.testing.assert_allclose(load_image(tmp_path / "out.png"), result.image, atol=1 / 255)
    # The record is the same whichever door the run came through.
    record = json.loads((tmp_path / "out.json").read_text())["settings"]
    assert {k: v for k, v in record.items() if k not in ("content", "output_channels")} == \
        result.settings == {"command": "invert", "amount": 0.5}
    assert "invert" in tfstyle.METHODS or "invert" in dir(tfstyle)
    code, _, err = call("invert", "--amount=2")
    assert code == 1 and err == "error: --amount must be in [0, 1], got 2.0\n"
    with pytest.raises(ConfigError, match="`tint` is three numbers"):
        tfstyle.invert(image, tint=(1, 2))


def test_the_toy_method_runs_over_folders_clips_and_beam(invert, tmp_path):
    (tmp_path / "photos").mkdir()
    for i in range(2):
        save_image(tmp_path / "photos" / f"p{i}.png", photo(i))
    code, _, err = call("invert", f"--content_dir={tmp_path / 'photos'}",
                        f"--output_dir={tmp_path / 'out'}")
    assert code == 0, err
    code, _, err = call("invert", f"--content_dir={tmp_path / 'photos'}",
                        f"--output_dir={tmp_path / 'beam'}", "--beam_runner=DirectRunner")
    assert code == 0, err
    for i in range(2):
        source = load_image(tmp_path / "photos" / f"p{i}.png")
        for folder in ("out", "beam"):
            np.testing.assert_allclose(load_image(tmp_path / folder / f"p{i}.png"), 1 - source,
                                       atol=1 / 255)
    code, _, err = call("invert", f"--content_dir={tmp_path / 'photos'}", "--video",
                        "--temporal_weight=0", f"--output={tmp_path / 'clip'}/")
    assert code == 0, err
    frames = sorted((tmp_path / "clip").glob("*.png"))
    assert len(frames) == 2
    np.testing.assert_allclose(load_image(frames[1]), 1 - load_image(tmp_path / "photos" /
                                                                      "p1.png"), atol=1 / 255)
    result = tfstyle.video(str(tmp_path / "photos"), str(tmp_path / "api_clip") + "/",
                           method="invert", temporal_weight=0.0, amount=1.0)
    assert result.frames == 2 and result.style_distance is None
