"""One path per method: the API and the command line go through the same
recipe, so a run's record (settings, weights' digest) and its image are the
same whichever door it came through."""

import contextlib
import io
import json

import numpy as np
import pytest

import tfstyle
from tfstyle import adain, methods
from tfstyle.cli import main as cli
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image, save_image
from tfstyle.core.samples import brushstrokes

# Door keys: what a command-line record adds about its files.
DOOR = ("content", "output_channels")


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["tfstyle", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory, real_weights):
    root = tmp_path_factory.mktemp("doors")
    rng = np.random.default_rng(0)
    photo = np.clip(brushstrokes(48, seed=4) * 0.7 + rng.uniform(0, 0.3, (48, 48, 3)), 0, 1)
    save_image(root / "photo.png", photo[:40].astype(np.float32))
    save_image(root / "style.png", brushstrokes(48, seed=1))
    pairs = root / "pairs"
    for side in ("visible", "thermal"):
        (pairs / side).mkdir(parents=True)
    for i in range(2):
        visible = rng.uniform(0, 1, (40, 48, 3)).astype(np.float32)
        save_image(pairs / "visible" / f"{i}.png", visible)
        save_image(pairs / "thermal" / f"{i}.png", visible.mean(-1, keepdims=True).repeat(3, -1))
    adain.AdaIN(adain.imagenet_encoder_weights(real_weights), seed=3).save(
        root / "m.weights.h5")
    return root


CASES = {
    "transfer": ([], dict(size=32, scales=(), steps=2)),
    "texture": ([], dict(size=32, steps=2, output_size="24x16")),
    "reconstruct": ([], dict(size=32, steps=2)),
    "grid": ([], dict(size=32, steps=1, grid_style_layers="conv1_1;conv2_1", grid_ratios=(1e-3,))),
    "arbitrary": ([], dict(size=48)),
    "multistyle": ([], dict(size=48, builtin_style="3")),
    "photoreal": ([], dict(size=48)),
    "adain": (["model"], dict(size=48)),
    "infrared": (["examples"], dict(size=48, analysis_size=48, route="ridge")),
}


def _flag(name, value):
    if isinstance(value, tuple):
        return f"--{name}={','.join(str(v) for v in value)}"
    return f"--{name}={value}"


@pytest.mark.parametrize("name", list(CASES))
def test_the_api_and_the_command_line_record_the_same_run(name, files, tmp_path):
    needs, settings = CASES[name]
    recipe = methods.BY_NAME[name].load("recipe")
    inputs = {}
    if "style" in {f.name for f in recipe.inputs()} and name != "infrared":
        inputs["style"] = str(files / "style.png")
    if "model" in needs:
        inputs["model"] = str(files / "m.weights.h5")
    if "examples" in needs:
        inputs["examples"] = str(files / "pairs")
    content = [] if not recipe.takes_content else [f"--content={files / 'photo.png'}"]
    code, _, err = call(name, *content, f"--output={tmp_path / 'out.png'}",
                        *(_flag(k, v) for k, v in {**inputs, **settings}.items()))
    assert code == 0, err
    record = json.loads((tmp_path / "out.json").read_text())
    args = [str(files / "photo.png")] if recipe.takes_content else []
    result = getattr(tfstyle, name)(*args, **inputs, **settings)
    cli_settings = {k: v for k, v in record["settings"].items() if k not in DOOR}
    assert json.loads(json.dumps(result.settings)) == cli_settings
    assert result.settings["command"] == name
    assert record["weights_sha256"] == result.weights_sha256
    if name not in ("transfer", "texture", "reconstruct", "grid"):  # noise starts differ by seed
        np.testing.assert_allclose(load_image(tmp_path / "out.png"), result.image[..., :3],
                                   atol=1.5 / 255)


def test_renamed_keywords_say_their_new_name():
    with pytest.raises(ConfigError, match="`masks` was renamed to `style_mask`"):
        tfstyle.arbitrary(np.zeros((16, 16, 3)), masks=[np.ones((16, 16))])
    with pytest.raises(ConfigError, match="`model` was renamed to `vgg_weights`"):
        tfstyle.transfer(np.zeros((16, 16, 3)), model="vgg.h5")
    with pytest.raises(ConfigError, match="`ratios` was renamed to `grid_ratios`"):
        tfstyle.grid(np.zeros((16, 16, 3)), ratios=(1.0,))
