"""What looks thermal (issue 33): the measures, and the trained route (a
decoder on the frozen VGG19) learning hot things from the toy pairs, saving
into the fit file, and resuming its training from a checkpoint."""

import dataclasses

import numpy as np
import pytest
from scipy import ndimage

import tfstyle
from tfstyle.core import metrics
from tfstyle.core.errors import ConfigError
from tfstyle.thermal import decoder as decoder_lib
from tfstyle.thermal import fit as fit_lib
from test_cli import run
from test_infrared import SIZE, pairs, scene, write_examples

# Small enough for the suite: 64 px crops, two a step.
TINY = decoder_lib.TrainConfig(steps=40, batch_size=2, crop=64, width=8)


def test_sharpness_and_detail_ratios_see_blur():
    rng = np.random.default_rng(0)
    real = ndimage.gaussian_filter(rng.random((96, 128)), 1.0)
    assert metrics.sharpness_ratio(real, real) == pytest.approx(1.0)
    assert metrics.detail_ratio(real, real) == pytest.approx(1.0)
    blurred = ndimage.gaussian_filter(real, 3.0)
    assert metrics.sharpness_ratio(blurred, real) < 0.5
    assert metrics.detail_ratio(blurred, real) < 0.2
    # Gain counts: a map at half the contrast is half as sharp.
    assert metrics.sharpness_ratio(0.5 * real, real) == pytest.approx(0.5)


def test_hot_contrast_ratio_asks_whether_the_real_hot_things_stand_out():
    rng = np.random.default_rng(1)
    real = rng.normal(0.3, 0.05, (100, 100))
    real[40:50, 40:60] = 0.9  # a warm car: 2 % of the pixels ...
    real[10:20, 10:25] = 0.8  # ... and a person: 5 % in all
    assert metrics.hot_contrast_ratio(real, real) == pytest.approx(1.0)
    assert abs(metrics.hot_contrast_ratio(rng.random((100, 100)), real)) < 0.15
    assert metrics.hot_contrast_ratio(1 - real, real) == pytest.approx(-1.0)
    dim = real.copy()
    dim[real > 0.7] = 0.45  # the same objects, only slightly warmer
    assert 0 < metrics.hot_contrast_ratio(dim, real) < 0.8
    assert metrics.hot_contrast_ratio(np.full((100, 100), 0.5), real) == 0.0


def test_kernel_inception_distance_is_near_zero_for_one_distribution():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, (60, 16)), rng.normal(0, 1, (60, 16))
    far = rng.normal(0.7, 1, (60, 16))
    same = metrics.kernel_inception_distance(a, b)
    assert abs(same) < 0.1 * metrics.kernel_inception_distance(a, far)
    with pytest.raises(ValueError):
        metrics.kernel_inception_distance(a[:1], b)


def test_decoder_takes_any_size_and_its_weights_round_trip(tiny_weights):
    encoder = decoder_lib.encoder_network(tiny_weights)
    channels = [int(encoder.output[n].shape[-1]) for n in decoder_lib.SKIPS]
    model = decoder_lib.build_decoder(4, channels)
    photo = np.random.default_rng(3).random((48, 80, 3)).astype(np.float32)
    z = decoder_lib.predict(model, encoder, photo)
    assert z.shape == (48, 80) and np.isfinite(z).all()
    again, config, meta = decoder_lib.weights_from_bytes(
        decoder_lib.weights_to_bytes(model, dataclasses.replace(TINY, width=4)))
    assert config.width == 4 and meta["channels"] == channels
    np.testing.assert_array_equal(decoder_lib.predict(again, encoder, photo), z)
    with pytest.raises(ConfigError, match="damaged"):
        decoder_lib.weights_from_bytes(b"junk")


def test_crops_are_aligned_at_every_level():
    rng = np.random.default_rng(4)
    rgb = rng.random((64, 96, 3)).astype(np.float32)
    # Each level's "feature" is the image's top-left pixel of its cell, so
    # an aligned crop of a level equals the same crop of the image, subsampled.
    skips = tuple(rgb[::2 ** (i + 1), ::2 ** (i + 1)] for i in range(4))
    example = decoder_lib._Example(rgb, skips, rgb[..., 0])
    config = dataclasses.replace(TINY, crop=32, batch_size=8)
    batch = decoder_lib._batch([example], config, rng)
    for i in range(4):
        s = 2 ** (i + 1)
        np.testing.assert_array_equal(batch[1 + i], batch[0][:, ::s, ::s])
    np.testing.assert_array_equal(batch[-1][..., 0], batch[0][..., 0])


@pytest.mark.slow
def test_trained_route_learns_what_is_hot_and_saves_in_the_fit(real_weights, tmp_path):
    learned = fit_lib.fit(pairs(), analysis_size=SIZE, weights=real_weights, route="trained",
                          training=dataclasses.replace(TINY, steps=150))
    assert learned.route == "trained" and learned.decoder
    visible, truth, masks = scene(4)
    out = tfstyle.infrared(visible, fit=learned, vgg_weights=real_weights).image[..., 0]
    assert out[masks["red"]].mean() - out[masks["blue"]].mean() > 0.2
    assert metrics.pearson(out, truth) > 0.6
    learned.save(tmp_path / "fit.npz")
    again = fit_lib.load_fit(tmp_path / "fit.npz")
    assert again.sha256 == learned.sha256 and again.route == "trained"
    result = tfstyle.infrared(visible, fit=tmp_path / "fit.npz", vgg_weights=real_weights)
    np.testing.assert_array_equal(result.image[..., 0], out)
    assert result.settings["fit_route"] == "trained"


@pytest.mark.slow
def test_training_resumes_from_its_checkpoint(real_weights, tmp_path):
    checkpoint = tmp_path / "fit.training.npz"
    steps = []

    def stop_at_step_25(p):
        steps.append((p.step, p.first_step))
        if p.step == 25:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit_lib.fit(pairs(), analysis_size=SIZE, weights=real_weights, route="trained",
                    training=TINY, callback=stop_at_step_25, checkpoint=checkpoint)
    assert checkpoint.exists()
    with pytest.raises(ConfigError, match="other pairs or settings"):
        fit_lib.fit(pairs(seeds=(1, 2)), analysis_size=SIZE, weights=real_weights,
                    route="trained", training=TINY, checkpoint=checkpoint)
    steps.clear()
    fit_lib.fit(pairs(), analysis_size=SIZE, weights=real_weights, route="trained",
                training=TINY, callback=lambda p: steps.append((p.step, p.first_step)),
                checkpoint=checkpoint)
    assert steps[0] == (25, 24) and steps[-1] == (TINY.steps, 24)  # step 25 again, then on
    assert not checkpoint.exists()


def test_route_is_chosen_by_the_number_of_pairs():
    assert fit_lib.choose_route("auto", fit_lib.TRAINED_FROM - 1) == "ridge"
    assert fit_lib.choose_route("auto", fit_lib.TRAINED_FROM) == "trained"
    assert fit_lib.choose_route("trained", 2) == "trained"
    with pytest.raises(ConfigError):
        fit_lib.choose_route("magic", 2)
    with pytest.raises(ConfigError, match="route"):
        tfstyle.InfraredConfig(route="magic")


@pytest.mark.slow
def test_cli_trains_with_progress_and_saves_the_trained_fit(tmp_path):
    write_examples(tmp_path / "ex")
    finished = run("infrared", "--content=ex/visible/s1.png", "--examples=ex", cwd=tmp_path)
    assert finished.returncode == 1  # (a photo that is an example is still refused)
    from PIL import Image

    Image.fromarray((scene(4)[0] * 255).astype(np.uint8)).save(tmp_path / "photo.png")
    finished = run("infrared", "--content=photo.png", "--examples=ex", "--route=trained",
                   "--train_steps=12", f"--analysis_size={SIZE}", "--save_fit=fit.npz",
                   "--output=a.png", cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert "step 12/12" in finished.stderr
    assert fit_lib.load_fit(tmp_path / "fit.npz").route == "trained"
    assert not (tmp_path / "fit.training.npz").exists()
    import json

    record = json.loads((tmp_path / "a.json").read_text())
    assert record["settings"]["fit_route"] == "trained"
