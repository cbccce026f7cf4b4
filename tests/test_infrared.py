"""Visible -> thermal by example on synthetic pairs the tests draw: red discs
are hot and blue squares cold in the thermal twins (or the other way round),
white paint stripes exist only in the visible image. The method must learn
that from the examples and apply it to a new layout."""

import json

import numpy as np
import pytest
from PIL import Image

import tfstyle
from tfstyle.core import samples
from tfstyle.core.errors import ConfigError, ImageError
from tfstyle.core.metrics import intensity_distance, pearson
from tfstyle.thermal import examples as examples_lib
from tfstyle.thermal import fit as fit_lib
from tfstyle.thermal.transfer import guided_filter
from test_cli import run

SIZE = 96


def scene(seed: int, hot: str = "red", size: int = SIZE):
    return samples.toy_thermal_scene(seed, hot, size)


def pairs(hot="red", seeds=(1, 2, 3)):
    return [scene(s, hot)[:2] for s in seeds]


def write_examples(folder, hot="red", seeds=(1, 2, 3)):
    for sub in ("visible", "thermal"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for seed, (visible, thermal) in zip(seeds, pairs(hot, seeds)):
        Image.fromarray((visible * 255).round().astype(np.uint8)).save(
            folder / "visible" / f"s{seed}.png")
        Image.fromarray((thermal * 255).round().astype(np.uint8)).save(
            folder / "thermal" / f"s{seed}.png")
    return folder


def test_guided_filter_keeps_flat_maps_and_takes_the_guides_edges():
    rng = np.random.default_rng(0)
    guide = rng.random((40, 40)).astype(np.float32)
    flat = np.full((40, 40), 0.3, np.float32)
    assert np.allclose(guided_filter(guide, flat, 4), 0.3, atol=1e-5)
    step = np.zeros((40, 40), np.float32)
    step[:, 20:] = 1.0
    # The map a blur of the guide's edge: the filter puts the edge back.
    blurred = np.clip((np.arange(40) - 14) / 12, 0, 1)[None].repeat(40, 0).astype(np.float32)
    out = guided_filter(step, blurred, 3, eps=1e-4)
    assert abs(out[:, 19].mean() - out[:, 20].mean()) > 3 * abs(blurred[:, 19].mean()
                                                                 - blurred[:, 20].mean())


@pytest.mark.slow
def test_style_only_moves_the_photo_to_the_thermal_statistics(real_weights):
    visible, _, _ = scene(4)
    thermal = np.random.default_rng(1).beta(2, 5, (SIZE, SIZE)).astype(np.float32)
    result = tfstyle.infrared(visible, style=[np.repeat(thermal[..., None], 3, -1)],
                              vgg_weights=real_weights, analysis_size=SIZE)
    grey = tfstyle.core.color.luminance(visible)
    out = result.image[..., 0]
    assert intensity_distance(out, thermal) < 0.7 * intensity_distance(grey, thermal)
    assert result.settings["route"] == "style-only"
    assert pearson(out, grey) > 0.5  # the photo's layout stays


@pytest.mark.slow
@pytest.mark.parametrize("hot", ["red", "blue"])
def test_learns_which_things_are_hot_and_applies_it_to_a_new_layout(hot, real_weights):
    visible, truth, masks = scene(4, hot)
    result = tfstyle.infrared(visible, pairs(hot), vgg_weights=real_weights, analysis_size=SIZE)
    out = result.image[..., 0]
    hot_mask, cold_mask = (masks["red"], masks["blue"]) if hot == "red" else \
        (masks["blue"], masks["red"])
    assert out[hot_mask].mean() - out[cold_mask].mean() > 0.3
    # The paint is in the photo only: gone from the thermal image.
    assert abs(out[masks["paint"]].mean() - out[masks["ground"]].mean()) < 0.1
    assert pearson(out, truth) > 0.75
    assert result.settings["route"] == "examples" and len(result.settings["fit_sha256"]) == 64


@pytest.mark.slow
def test_fit_saves_loads_and_renders_the_same(real_weights, tmp_path):
    learned = fit_lib.fit(pairs(), analysis_size=SIZE, weights=real_weights)
    assert learned.validation["held_out_r"] > 0.5
    learned.save(tmp_path / "fit.npz")
    again = fit_lib.load_fit(tmp_path / "fit.npz")
    assert again.sha256 == learned.sha256
    from tfstyle.core.weights import file_digest

    assert file_digest(tmp_path / "fit.npz") == learned.sha256
    photo = scene(5)[0]
    a = tfstyle.infrared(photo, fit=learned, vgg_weights=real_weights).image
    b = tfstyle.infrared(photo, fit=tmp_path / "fit.npz", vgg_weights=real_weights).image
    np.testing.assert_array_equal(a, b)


def test_ridge_from_fold_sums_equals_the_direct_solution():
    """The fit never holds the samples: its per-fold sums, standardized
    afterwards, must give the ridge solution and held-out scores computed
    from the samples themselves."""
    rng = np.random.default_rng(0)
    xs = [rng.normal(2, 3, (50, 6)) * rng.uniform(0.5, 4, 6) for _ in range(3)]
    ys = [x @ rng.normal(0, 1, 6) + rng.normal(0, 0.5, 50) for x in xs]
    folds = [fit_lib._Sums() for _ in xs]
    for f, x, y in zip(folds, xs, ys):
        f.add(x, y)
    every = np.concatenate(xs)
    mean, std = every.mean(0), every.std(0)
    standard = [f.standardized(mean, std) for f in folds]
    strength, scores = fit_lib._choose_ridge(standard)
    errors = []
    for i in range(3):
        train = np.concatenate([(x - mean) / std for j, x in enumerate(xs) if j != i])
        target = np.concatenate([y for j, y in enumerate(ys) if j != i])
        w = np.linalg.solve(train.T @ train + strength * len(train) * np.eye(6), train.T @ target)
        errors.append(np.mean(((xs[i] - mean) / std @ w - ys[i]) ** 2))
    assert scores["held_out_mse"] == pytest.approx(np.mean(errors), abs=1e-4)
    w = fit_lib._solve(fit_lib._total(standard), strength)
    direct = np.linalg.lstsq(np.concatenate([(x - mean) / std for x in xs]),
                             np.concatenate(ys), rcond=None)[0]
    assert np.corrcoef(w, direct)[0, 1] > 0.9


def test_load_fit_refuses_other_files(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="not a tfstyle infrared fit"):
        fit_lib.load_fit(tmp_path / "x.npz")
    np.savez(tmp_path / "y.npz", a=np.zeros(3))
    with pytest.raises(ConfigError, match="not a tfstyle infrared fit"):
        fit_lib.load_fit(tmp_path / "y.npz")


def test_example_folder_errors(tmp_path):
    with pytest.raises(ImageError, match="has no visible/"):
        examples_lib.find_pairs(tmp_path)
    (tmp_path / "visible").mkdir()
    (tmp_path / "thermal").mkdir()
    with pytest.raises(ImageError, match="holds no pairs"):
        examples_lib.find_pairs(tmp_path)
    write_examples(tmp_path)
    (tmp_path / "thermal" / "s2.png").unlink()
    with pytest.raises(ImageError, match=r"visible/s2.png has no thermal twin"):
        examples_lib.find_pairs(tmp_path)


def test_twins_of_different_sizes_and_colour_thermal(tmp_path, caplog):
    visible, thermal, _ = scene(1)
    with pytest.raises(ImageError, match="96x96 px and its thermal twin 96x48"):
        examples_lib.read_pair(examples_lib.Pair("a", visible, thermal[:48]), 64)
    colour = np.stack([thermal, thermal * 0.5, thermal * 0.2], -1)
    # The command line's start-up stops tfstyle's loggers propagating to the
    # root, where caplog listens: listen on the module's own logger.
    examples_lib.log.addHandler(caplog.handler)
    try:
        with caplog.at_level("WARNING", logger=examples_lib.log.name):
            _, grey = examples_lib.read_pair(examples_lib.Pair("a", visible, colour), 64)
    finally:
        examples_lib.log.removeHandler(caplog.handler)
    assert "colour image; its luminance is used" in caplog.text
    assert grey.shape == (64, 64)


def test_a_photo_that_is_also_an_example_is_refused(tmp_path):
    write_examples(tmp_path / "ex")
    pairs_found = examples_lib.find_pairs(tmp_path / "ex")
    copy = tmp_path / "copy.png"
    copy.write_bytes((tmp_path / "ex" / "visible" / "s1.png").read_bytes())
    known = examples_lib.digests(pairs_found)
    with pytest.raises(ImageError, match="also the examples' visible image s1"):
        examples_lib.check_not_example(str(copy), known)
    examples_lib.check_not_example(scene(9)[0], known)


@pytest.mark.slow
def test_cli_fits_saves_reuses_and_records_the_fit(tmp_path):
    write_examples(tmp_path / "ex")
    photo = tmp_path / "photo.png"
    Image.fromarray((scene(4)[0] * 255).astype(np.uint8)).save(photo)
    first = run("infrared", f"--content={photo}", "--examples=ex", "--save_fit=fit.npz",
                "--output=a.png", f"--analysis_size={SIZE}", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert Image.open(tmp_path / "a.png").mode == "L"  # one channel unless asked
    from tfstyle.core.weights import file_digest

    record = json.loads((tmp_path / "a.json").read_text())
    assert record["settings"]["fit_sha256"] == file_digest(tmp_path / "fit.npz")
    second = run("infrared", f"--content={photo}", "--fit=fit.npz", "--output=b.png",
                 cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")),
                          np.asarray(Image.open(tmp_path / "b.png")))
    (tmp_path / "photos").mkdir()
    for seed in (5, 6):
        Image.fromarray((scene(seed)[0] * 255).astype(np.uint8)).save(
            tmp_path / "photos" / f"p{seed}.png")
    folder = run("infrared", "--content_dir=photos", "--output_dir=out", "--fit=fit.npz",
                 cwd=tmp_path)
    assert folder.returncode == 0, folder.stderr
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["p5.png", "p6.png"]


@pytest.mark.slow
def test_cli_refuses_twins_of_different_sizes_before_fitting(tmp_path):
    write_examples(tmp_path / "ex")
    Image.fromarray((scene(2)[1][:40] * 255).astype(np.uint8)).save(
        tmp_path / "ex" / "thermal" / "s2.png")
    Image.fromarray((scene(4)[0] * 255).astype(np.uint8)).save(tmp_path / "photo.png")
    finished = run("infrared", "--content=photo.png", "--examples=ex", "--save_fit=f.npz",
                   cwd=tmp_path)
    assert finished.returncode == 1
    assert "s2's visible image is 96x96 px and its thermal twin 96x40" in finished.stderr
    assert "fitted" not in finished.stderr  # refused before the fit started
    assert not (tmp_path / "f.npz").exists() and not (tmp_path / "thermal.png").exists()


@pytest.mark.slow
def test_one_pair_is_enough_and_a_fit_keeps_its_analysis_size(tmp_path, real_weights):
    learned = fit_lib.fit(pairs(seeds=(1,)), analysis_size=64, weights=real_weights)
    assert learned.validation == {} and learned.ridge == fit_lib.SINGLE_PAIR_RIDGE
    result = tfstyle.infrared(scene(4)[0], fit=learned, vgg_weights=real_weights, texture=0.0)
    assert result.settings["analysis_size"] == 64


@pytest.mark.parametrize("args, message", [
    (["--content=photo.png"], "needs one of --examples"),
    (["--content=photo.png", "--examples=ex", "--fit=f.npz"], "got --examples, --fit"),
    (["--content=photo.png", "--examples=nowhere"], "does not exist"),
    (["--content=photo.png", "--examples=ex", "--save_fit=fit.txt"], "must end in .npz"),
    (["--content=ex/visible/s1.png", "--examples=ex"], "also the examples' visible image s1"),
    (["--content=photo.png", "--fit=photo.png"], "not a tfstyle infrared fit"),
])
def test_cli_errors_are_one_line_and_write_nothing(tmp_path, args, message):
    write_examples(tmp_path / "ex")
    Image.fromarray((scene(4)[0] * 255).astype(np.uint8)).save(tmp_path / "photo.png")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    finished = run("infrared", *args, "--save_fit=new.npz" if "--save_fit" not in
                   " ".join(args) and "--examples=ex" in args else "--output=o.png",
                   cwd=tmp_path)
    assert finished.returncode != 0
    assert message in finished.stderr and len(finished.stderr.strip().splitlines()) == 1, \
        finished.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.slow
def test_beam_runs_the_fit_that_travels_in_the_recipe(tmp_path, real_weights, monkeypatch):
    from apache_beam.runners.portability import prism_runner

    from tfstyle import batch
    from tfstyle.batch import beam
    from tfstyle.core.image import load_image
    from tfstyle.thermal.config import InfraredConfig
    from tfstyle.thermal.recipe import InfraredRecipe

    monkeypatch.setattr(prism_runner.PrismJobServer, "BIN_CACHE", str(tmp_path / "prism"),
                        raising=False)
    learned = fit_lib.fit(pairs(), analysis_size=SIZE, weights=real_weights)
    (tmp_path / "photos").mkdir()
    for seed in (5, 6):
        Image.fromarray((scene(seed)[0] * 255).astype(np.uint8)).save(
            tmp_path / "photos" / f"p{seed}.png")
    recipe = InfraredRecipe(learned=learned.to_bytes(), config=InfraredConfig(texture=0.0))
    assert recipe.settings()["fit_sha256"] == learned.sha256
    local = batch.stylize_dir(tmp_path / "photos", tmp_path / "local", recipe.renderer(),
                              channels=1)
    result = beam.run(recipe, str(tmp_path / "photos"), str(tmp_path / "beam"), channels=1)
    assert local.count("done") == result.count("done") == 2
    for name in ("p5.png", "p6.png"):
        np.testing.assert_array_equal(load_image(tmp_path / "beam" / name),
                                      load_image(tmp_path / "local" / name))
