"""The Beam pipeline on the DirectRunner: the same outputs as a local folder
run, resuming, bad files recorded, one-channel output."""

import json

import numpy as np
import pytest
from PIL import Image

from tfstyle import adain, batch
from tfstyle.adain.config import AdainConfig
from tfstyle.adain.recipe import AdainRecipe

from tfstyle.batch import beam
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image, save_image


@pytest.fixture(autouse=True)
def prism_cache_in_tmp(tmp_path, monkeypatch):
    """Beam's DirectRunner first tries its Prism runner, which caches a downloaded
    binary under ~/.apache_beam (offline the download fails and Beam falls back
    to its Python runner); the cache goes to the test's folder instead."""
    from apache_beam.runners.portability import prism_runner

    monkeypatch.setattr(prism_runner.PrismJobServer, "BIN_CACHE", str(tmp_path / "prism"),
                        raising=False)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, fake_weights):
    path = tmp_path_factory.mktemp("model") / "tiny.weights.h5"
    adain.AdaIN(adain.imagenet_encoder_weights(fake_weights), seed=3).save(path)
    return path


@pytest.fixture
def photos(tmp_path):
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ("a.png", "sub/b.jpg", "sub/c.png"):
        save_image(root / name, rng.uniform(0, 1, (20, 28, 3)).astype(np.float32))
    (root / "sub" / "broken.png").write_bytes(b"\x89PNG nope")
    style = tmp_path / "style.png"
    save_image(style, rng.uniform(0, 1, (24, 24, 3)).astype(np.float32))
    return root, style


def test_pipeline_matches_a_local_run_and_resumes(tmp_path, photos, model_file):
    root, style = photos
    recipe = AdainRecipe(model=str(model_file), style=str(style),
                         config=AdainConfig(alpha=0.6, size=None))
    local = batch.stylize_dir(root, tmp_path / "local", recipe.renderer())
    result = beam.run(recipe, str(root), str(tmp_path / "beam"))
    assert (result.count("done"), result.count("error")) == (3, 1)
    for name in ("a.png", "sub/b.png", "sub/c.png"):
        np.testing.assert_array_equal(load_image(tmp_path / "beam" / name),
                                      load_image(tmp_path / "local" / name))
    assert local.count("done") == 3
    error = next(i for i in result.items if i.status == "error")
    assert error.input.endswith("broken.png") and "not a readable image" in error.error
    leftovers = [p.name for p in (tmp_path / "beam").rglob("*.tmp")]
    assert leftovers == []
    # A rerun skips the finished outputs and writes a manifest of its own.
    again = beam.run(recipe, str(root), str(tmp_path / "beam"))
    assert again.count("skipped") == 3
    manifests = sorted((tmp_path / "beam").glob("manifest-*.jsonl"))
    records = [json.loads(line) for m in manifests for line in m.read_text().splitlines()]
    assert len(records) == 8  # both runs' records: the first run's were not replaced
    assert all(r["settings"]["alpha"] == 0.6 for r in records)


def test_one_channel_and_output_inside_input(tmp_path, photos, model_file):
    root, style = photos
    recipe = AdainRecipe(model=str(model_file), style=str(style), config=AdainConfig(size=None))
    result = beam.run(recipe, str(root), str(root / "styled"), channels=1)
    assert result.count("done") == 3  # the outputs are not read back as inputs
    with Image.open(root / "styled" / "sub" / "c.png") as img:
        assert img.mode == "L" and img.size == (28, 20)
        assert json.loads(img.text["tfstyle:settings"])["output_channels"] == 1


def test_bad_options_are_clear_errors(tmp_path, photos, model_file):
    root, style = photos
    recipe = AdainRecipe(model=str(model_file), style=str(style))
    with pytest.raises(ConfigError, match="beam_options"):
        beam.run(recipe, str(root), str(tmp_path / "out"), options="--x='unclosed")
    with pytest.raises(ConfigError, match="model"):
        AdainRecipe(model=()).check()  # before anything loads
    with pytest.raises(TypeError):
        batch.Recipe()  # the interface: each method has its own recipe


def test_empty_or_missing_folders_are_refused_before_the_pipeline(tmp_path, model_file):
    recipe = AdainRecipe(model=str(model_file))
    (tmp_path / "empty").mkdir()
    from tfstyle.core.errors import ImageError

    with pytest.raises(ImageError, match="holds no images"):
        beam.run(recipe, str(tmp_path / "empty"), str(tmp_path / "out"))
    with pytest.raises(ImageError, match="is not a directory"):
        beam.run(recipe, str(tmp_path / "missing"), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
