"""Training an AdaIN decoder: the data stream, falling losses, checkpoints
and resuming, TensorBoard logs."""

import numpy as np
import pytest
import tensorflow as tf

from tfstyle import adain

from tfstyle.adain import train as adain_train
from tfstyle.adain.config import TrainConfig
from tfstyle.core.errors import ConfigError, ImageError, WeightsError
from tfstyle.core.image import save_image


def _images(folder, count, seed, shape=(40, 40)):
    folder.mkdir()
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:shape[0], 0:shape[1]] / max(shape)
    for i in range(count):
        base = np.stack([np.sin(6 * x + i), y, np.cos(5 * y * (i + 1))], -1) * 0.5 + 0.5
        noisy = np.clip(base + rng.normal(0, 0.05, base.shape), 0, 1)
        save_image(folder / f"{i}.png", noisy.astype(np.float32))
    return folder


def test_config_is_checked():
    with pytest.raises(ConfigError, match="multiple of 8"):
        TrainConfig(crop_size=100)
    with pytest.raises(ConfigError, match="cannot exceed `load_size`"):
        TrainConfig(crop_size=512, load_size=256)
    with pytest.raises(ConfigError, match="learning_rate"):
        TrainConfig(learning_rate=0)
    with pytest.raises(ConfigError, match="style_lambda"):
        TrainConfig(style_lambda=float("nan"))


def test_stream_gives_square_crops_and_skips_broken_files(tmp_path):
    folder = _images(tmp_path / "a", 2, 0, shape=(30, 50))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (folder / "header_only.png").write_bytes((folder / "0.png").read_bytes()[:60])
    files = adain_train.readable_images(folder, "content_dir")
    assert len(files) == 3  # the broken header is left out up front ...
    config = TrainConfig(batch_size=3, load_size=24, crop_size=16)
    batches = list(adain_train.image_stream(files, config, seed=1).take(4))
    for b in batches:  # ... the truncated one when it fails to decode
        assert b.shape == (3, 16, 16, 3)
        assert 0.0 <= float(tf.reduce_min(b)) and float(tf.reduce_max(b)) <= 1.0
    with pytest.raises(ImageError, match="none of its 1 image files is readable"):
        (tmp_path / "b").mkdir()
        (tmp_path / "b" / "x.jpg").write_bytes(b"nope")
        adain_train.readable_images(tmp_path / "b", "style_dir")


@pytest.mark.slow
def test_training_lowers_the_loss_checkpoints_and_resumes(tmp_path, real_weights):
    content = _images(tmp_path / "content", 1, 0)
    style = _images(tmp_path / "style", 1, 1)
    # One image each and crop == load size: every batch is the same, so with
    # small steps (Adam's first steps move every weight by the full step
    # size) the loss must fall steadily.
    config = TrainConfig(steps=12, batch_size=2, load_size=32, crop_size=32,
                         learning_rate=3e-6, checkpoint_every=5, image_every=6)
    seen = []
    first = adain_train.train(content, style, tmp_path / "a.weights.h5", config,
                              weights=real_weights, checkpoint_dir=tmp_path / "ckpt",
                              logdir=tmp_path / "logs", callback=seen.append)
    totals = [p.losses["total"] for p in seen]
    assert first.steps == 12 and len(totals) == 12
    assert totals[-1] < 0.5 * totals[0]
    assert sum(b < a for a, b in zip(totals, totals[1:])) >= 9
    assert seen[5].image is not None and seen[5].image.shape == (32, 96, 3)  # content|style|out
    assert sorted(p.name for p in (tmp_path / "ckpt").glob("*.index")) == [
        "ckpt-10.index", "ckpt-12.index"]
    assert any(p.name.startswith("events") for p in (tmp_path / "logs").iterdir())

    # Same directory, same steps: nothing to train; the restored decoder is written.
    again = adain_train.train(content, style, tmp_path / "b.weights.h5", config,
                              weights=real_weights, checkpoint_dir=tmp_path / "ckpt")
    assert again.steps == 12
    loaded = adain.AdaIN.load(tmp_path / "b.weights.h5")
    for a, b in zip(first.model.decoder.get_weights(), loaded.decoder.get_weights()):
        np.testing.assert_array_equal(a, b)

    # More steps continue from step 12 (the callback sees 13 and 14 only).
    seen.clear()
    more = adain_train.train(content, style, tmp_path / "c.weights.h5",
                             TrainConfig(**dict(config.to_dict(), steps=14)),
                             weights=real_weights, checkpoint_dir=tmp_path / "ckpt",
                             callback=seen.append)
    assert more.steps == 14 and [p.step for p in seen] == [13, 14]
    assert seen[0].first_step == 12
    with pytest.raises(ConfigError, match="batch_size=2, not 4"):
        adain_train.train(content, style, tmp_path / "d.weights.h5",
                          TrainConfig(**dict(config.to_dict(), batch_size=4)),
                          weights=real_weights, checkpoint_dir=tmp_path / "ckpt")


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_to_resume_from(tmp_path, real_weights):
    content = _images(tmp_path / "content", 2, 0)
    style = _images(tmp_path / "style", 2, 1)
    config = TrainConfig(steps=6, batch_size=1, load_size=32, crop_size=24, checkpoint_every=100)

    def interrupt(p):
        if p.step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        adain_train.train(content, style, tmp_path / "m.weights.h5", config,
                          weights=real_weights, callback=interrupt)
    assert not (tmp_path / "m.weights.h5").exists()
    assert (tmp_path / "m_checkpoints" / "ckpt-2.index").exists()
    seen = []
    result = adain_train.train(content, style, tmp_path / "m.weights.h5", config,
                               weights=real_weights, callback=seen.append)
    assert [p.step for p in seen] == [3, 4, 5, 6] and result.steps == 6
    assert (tmp_path / "m.weights.h5").exists()
    with pytest.raises(ImageError, match="exists"):
        adain_train.train(content, style, tmp_path / "m.weights.h5", config, weights=real_weights)


@pytest.mark.slow
def test_fine_tuning_starts_from_a_models_decoder(tmp_path, real_weights, fake_weights):
    content = _images(tmp_path / "content", 1, 0)
    style = _images(tmp_path / "style", 1, 1)
    config = TrainConfig(steps=2, batch_size=1, load_size=24, crop_size=24, seed=1)
    base = adain_train.train(content, style, tmp_path / "base.weights.h5", config,
                             weights=real_weights).model
    tiny = TrainConfig(**dict(config.to_dict(), steps=1, learning_rate=1e-12, seed=2))
    tuned = adain_train.train(content, style, tmp_path / "tuned.weights.h5", tiny,
                              weights=real_weights, init_model=tmp_path / "base.weights.h5").model
    for a, b in zip(base.decoder.get_weights(), tuned.decoder.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)  # one step of 1e-12 from the base
    other = adain.AdaIN(adain.imagenet_encoder_weights(fake_weights))
    other.save(tmp_path / "other.weights.h5")
    with pytest.raises(WeightsError, match="another encoder"):
        adain_train.train(content, style, tmp_path / "x.weights.h5", tiny, weights=real_weights,
                          init_model=tmp_path / "other.weights.h5")
