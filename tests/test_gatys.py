import dataclasses
import numpy as np
import pytest
import tensorflow as tf

from tfstyle.gatys import experiments, inputs, objective, passes as gpasses, targets as gtargets, transfer

from tfstyle.core import optim
from tfstyle.core.errors import ConfigError
from tfstyle.gatys.config import StyleConfig

RNG = np.random.default_rng(0)


def _content():
    """A colour ramp with a dark square: smooth regions and edges."""
    y, x = np.mgrid[0:24, 0:32] / 32.0
    image = np.stack([x, 0.5 + 0.0 * x, 1.0 - y], -1)
    image[6:16, 10:22] = 0.1
    return image.astype(np.float32)


def _style():
    """Red/blue diagonal stripes: a texture noise cannot match by chance."""
    y, x = np.mgrid[0:40, 0:40]
    stripes = ((x + y) // 3) % 2
    return np.where(stripes[..., None] == 1, [0.9, 0.1, 0.1], [0.1, 0.2, 0.9]).astype(np.float32)


CONTENT, STYLE = _content(), _style()
# The math tests start from noise with beta as eq. 7 takes it (the paper's
# settings); the defaults (auto start, size-independent beta) have tests of their own.
SMALL = dict(size=32, content_layers="conv2_2", style_layers="conv1_1,conv2_1", normalize=False,
             init="noise", style_weight=4e6, size_independent=False)


def _run(weights, callback=None, **kwargs):
    config = StyleConfig(**dict(SMALL, **kwargs))
    seen = []

    def record(p):
        seen.append(p)
        if callback:
            callback(p)

    result = transfer.stylize(CONTENT, STYLE, config, weights=weights, callback=record)
    return result, seen


def _objective(extractor, config, content, styles, **kwargs):
    targets = gtargets.compute_targets(
        extractor, content, styles, content_layers=[n for n, _ in config.content_layers],
        style_layers=[n for n, _ in config.style_layers],
        blend=config.blend_weights(len(styles)), **kwargs)
    return objective.GatysObjective.from_config(extractor, targets, config)


@pytest.mark.parametrize("optimizer, steps", [("lbfgs", 15), ("adam", 30)])
def test_optimizers_lower_the_loss_and_keep_pixels_in_range(fake_weights, optimizer, steps):
    result, seen = _run(fake_weights, optimizer=optimizer, steps=steps, learning_rate=0.05)
    assert result.image.shape == (24, 32, 3) and result.image.dtype == np.float32
    assert 0.0 <= result.image.min() and result.image.max() <= 1.0
    assert [p.step for p in seen] == list(range(1, len(seen) + 1)) and len(seen) >= steps // 2
    assert result.losses["total"] < 0.5 * seen[0].losses["total"]
    assert result.steps == steps and result.evaluations >= steps


def test_same_seed_same_image_other_seed_other_image(tiny_weights):
    a, _ = _run(tiny_weights, steps=3)
    b, _ = _run(tiny_weights, steps=3)
    c, _ = _run(tiny_weights, steps=3, seed=1)
    np.testing.assert_array_equal(a.image, b.image)
    assert np.abs(a.image - c.image).max() > 0.01


def test_inits():
    config = StyleConfig(**SMALL)
    content, (style,) = inputs.prepare_images(CONTENT, STYLE, config)
    assert style.shape == content.shape == (24, 32, 3)  # the paper: style resized to content
    np.testing.assert_array_equal(inputs.initial_image(
        StyleConfig(**dict(SMALL, init="content")), content.shape[:2], content, style), content)
    small_style = STYLE[:20, :10]
    from_style = inputs.initial_image(StyleConfig(**dict(SMALL, init="style")), content.shape[:2],
                                    content, small_style)
    assert from_style.shape == content.shape
    assert abs(from_style.mean() - small_style.mean()) < 0.05
    noise = inputs.initial_image(config, content.shape[:2], content, style)
    assert noise.shape == content.shape and 0.2 < noise.std() < 0.4
    auto = StyleConfig(**dict(SMALL, init="auto"))
    np.testing.assert_array_equal(inputs.initial_image(auto, content.shape[:2], content, style),
                                  content)  # the photo when there is one
    np.testing.assert_array_equal(inputs.initial_image(auto, content.shape[:2], None, style),
                                  noise)  # white noise when there is none (a texture)
    assert StyleConfig().init == "auto"


def test_size_independent_beta_scales_with_the_pixel_count_of_each_pass(fake_weights, monkeypatch):
    betas = []
    real_optimize = gpasses.optimize

    def spy(objective, init, config, callback, steps=None):
        betas.append((init.shape[:2], objective.beta))
        return real_optimize(objective, init, config, callback, steps)

    monkeypatch.setattr(transfer, "optimize", spy)
    config = StyleConfig(**dict(SMALL, size=64, scales=(32,), coarse_steps=1, steps=1,
                                size_independent=True, style_weight=6e6))
    transfer.stylize(CONTENT, STYLE, config, weights=fake_weights)
    # The output is 64x48: eq. 7's beta is 6e6 * 64 * 48 / 512^2, its coarse pass a quarter of it.
    assert [b[0] for b in betas] == [(24, 32), (48, 64)]
    assert betas[1][1] == pytest.approx(6e6 * 64 * 48 / 512**2)
    assert betas[0][1] == pytest.approx(betas[1][1] / 4)
    assert StyleConfig(style_weight=6e6).beta(512 * 512) == 6e6
    assert StyleConfig(style_weight=6e6, size_independent=False).beta(256 * 256) == 6e6


def test_from_config_needs_the_pixel_count_of_a_size_independent_beta(fake_weights):
    from tfstyle.core.vgg import build_extractor

    config = StyleConfig(**dict(SMALL, size_independent=True, style_weight=6e6))
    extractor = build_extractor(fake_weights, config.layers, normalize=False)
    content, styles = inputs.prepare_images(CONTENT, STYLE, config)
    targets = gtargets.compute_targets(extractor, content, styles, content_layers=["block2_conv2"],
                                       style_layers=["block1_conv1", "block2_conv1"])
    with pytest.raises(ConfigError, match="pixel count"):
        objective.GatysObjective.from_config(extractor, targets, config)
    made = objective.GatysObjective.from_config(extractor, targets, config, pixels=24 * 32)
    assert made.beta == pytest.approx(6e6 * 24 * 32 / 512**2)


def test_one_seed_starts_from_noise_with_the_auto_start(tiny_weights):
    config = StyleConfig(**dict(SMALL, steps=1, init="auto"))
    (one,) = transfer.stylize_seeds(CONTENT, STYLE, config, seeds=(3,), weights=tiny_weights)
    noise = transfer.stylize(CONTENT, STYLE, dataclasses.replace(config, init="noise", seed=3),
                             weights=tiny_weights)
    np.testing.assert_array_equal(one.image, noise.image)


def test_size_independent_beta_gives_the_same_balance_at_two_sizes(fake_weights):
    """The same image at two sizes: with size_independent, beta * L_style /
    (alpha * L_content) is nearly the same at both; without it, it falls ~4x."""
    def balance(size, independent):
        result = transfer.stylize(CONTENT, STYLE, StyleConfig(**dict(
            SMALL, size=size, steps=1, scales=(), size_independent=independent)),
            weights=fake_weights)
        parts = result.losses
        return (parts["total"] - parts["content"]) / parts["content"]

    on = balance(64, True) / balance(32, True)
    off = balance(64, False) / balance(32, False)
    assert 0.5 < on < 2.0 and off < 0.5 * on


@pytest.mark.parametrize("kwargs, message", [
    (dict(size=16, style_layers="conv5_1"), "content image is 16x12 px"),
    (dict(style_scale=0.05, style_layers="conv4_1"), "style image is 2x1 px"),
])
def test_images_too_small_for_the_deepest_layer_are_refused(kwargs, message):
    from tfstyle.core.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        inputs.prepare_images(CONTENT, STYLE, StyleConfig(**dict(SMALL, **kwargs)))


def test_style_scale_resizes_style(fake_weights):
    _, (style,) = inputs.prepare_images(CONTENT, STYLE, StyleConfig(**dict(SMALL, style_scale=0.5)))
    assert style.shape == (12, 16, 3)
    _, styles = inputs.prepare_images(CONTENT, [STYLE, STYLE], StyleConfig(**dict(SMALL, style_scale=(1, 0.5))))
    assert [s.shape for s in styles] == [(24, 32, 3), (12, 16, 3)]


def test_objective_matches_hand_computed_losses(fake_weights):
    config = StyleConfig(**SMALL)
    content, (style,) = inputs.prepare_images(CONTENT, STYLE, config)
    from tfstyle.core.vgg import build_extractor

    extractor = build_extractor(fake_weights, config.layers, normalize=False)
    objective = _objective(extractor, config, content, [style])
    x = RNG.uniform(0, 1, (1,) + content.shape).astype(np.float32)
    parts = {k: float(v) for k, v in objective(tf.constant(x)).items()}
    fx, fc, fs = (extractor(v) for v in (x, content[None], style[None]))
    lc = 0.5 * np.sum((np.asarray(fx["block2_conv2"], np.float64) - fc["block2_conv2"]) ** 2)
    ls = 0.0
    for name in ("block1_conv1", "block2_conv1"):
        F = np.asarray(fx[name], np.float64)[0].reshape(-1, fx[name].shape[-1]).T
        S = np.asarray(fs[name], np.float64)[0].reshape(-1, fs[name].shape[-1]).T
        n, m = F.shape
        ls += 0.5 * np.sum((F @ F.T - S @ S.T) ** 2) / (4 * n ** 2 * m ** 2)
    assert parts["content"] == pytest.approx(lc, rel=1e-4)
    assert parts["style"] == pytest.approx(ls, rel=1e-4)
    assert parts["total"] == pytest.approx(lc + 4e6 * ls, rel=1e-4)


def test_lbfgs_respects_bounds_on_a_quadratic():
    target = tf.constant(np.linspace(-0.5, 1.5, 12, dtype=np.float32).reshape(1, 2, 2, 3))

    def objective(image):
        loss = tf.reduce_sum(tf.square(image - target))
        return {"total": loss}

    out = optim.run_lbfgs(objective, np.full((2, 2, 3), 0.5, np.float32), 20)
    np.testing.assert_allclose(out.image, np.clip(target.numpy()[0], 0, 1), atol=1e-4)
    assert out.steps <= 20 and out.losses["total"] == pytest.approx(
        float(np.sum((np.clip(target, 0, 1) - target) ** 2)), rel=1e-4)


def test_lbfgs_runs_with_one_blas_thread_and_restores_the_count():
    import threadpoolctl

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]

    seen = []
    objective = lambda image: {"total": tf.reduce_sum(tf.square(image - 0.25))}
    with threadpoolctl.threadpool_limits(2, user_api="blas"):  # as on a 2-core machine
        before = blas_threads()
        optim.run_lbfgs(objective, np.full((2, 2, 3), 0.5, np.float32), 3,
                        callback=lambda p: seen.append(blas_threads()))
        after = blas_threads()
    assert before and set(before) == {2}
    assert seen and all(threads == [1] * len(before) for threads in seen)
    assert after == before


def test_blended_styles_target_is_the_weighted_gram(fake_weights):
    from tfstyle.core import losses
    from tfstyle.core.vgg import build_extractor

    other = np.ascontiguousarray(STYLE[:, ::-1, ::-1])  # other colours, other stripe direction
    config = StyleConfig(**dict(SMALL, style_blend=(3, 1)))
    content, styles = inputs.prepare_images(CONTENT, [STYLE, other], config)
    extractor = build_extractor(fake_weights, config.layers, normalize=False)
    objective = _objective(extractor, config, content, styles)
    for name, _ in config.style_layers:
        feats = [extractor(s[None])[name] for s in styles]
        grams = [losses.gram_matrix(f).numpy() / (f.shape[1] * f.shape[2]) for f in feats]
        expected = 0.75 * grams[0] + 0.25 * grams[1]
        np.testing.assert_allclose(objective.style_targets[name].numpy(), expected, rtol=1e-4)


def test_tv_weight_adds_a_smoothness_term(fake_weights):
    plain, _ = _run(fake_weights, steps=8)
    smooth, _ = _run(fake_weights, steps=8, tv_weight=5.0)
    assert "tv" in smooth.losses and "tv" not in plain.losses
    tv = lambda im: np.sum(np.diff(im, axis=0) ** 2) + np.sum(np.diff(im, axis=1) ** 2)
    assert tv(smooth.image) < tv(plain.image)


@pytest.mark.parametrize("mode", ["luminance", "histogram"])
def test_preserve_color_keeps_the_contents_colours(fake_weights, mode):
    from tfstyle.core import color

    result, _ = _run(fake_weights, steps=8, preserve_color=mode)
    plain, _ = _run(fake_weights, steps=8)
    content = inputs.prepare_images(CONTENT, STYLE, StyleConfig(**SMALL))[0]
    chroma = lambda im: color.rgb_to_yiq(im)[..., 1:]
    if mode == "luminance":  # chroma is the content's wherever RGB needed no clipping
        yiq = color.rgb_to_yiq(content)
        yiq[..., 0] = color.luminance(result.image)
        unclipped = np.all((color.yiq_to_rgb(yiq) >= 0) & (color.yiq_to_rgb(yiq) <= 1), axis=-1)
        assert unclipped.mean() > 0.3
        np.testing.assert_allclose(chroma(result.image)[unclipped], chroma(content)[unclipped],
                                   atol=0.01)
    # Either way the colours are closer to the content's than without.
    err = lambda im: np.abs(chroma(im).mean((0, 1)) - chroma(content).mean((0, 1))).sum()
    assert err(result.image) < err(plain.image)


def test_mask_at_layer_averages_over_each_positions_pixels():
    mask = np.zeros((10, 13), np.float32)
    mask[:, :6] = 1.0  # left 6 columns
    at2 = gtargets.mask_at_layer(mask, "block2_conv1")  # one pooling: 5 x 6 grid
    assert at2.shape == (1, 5, 6, 1)
    np.testing.assert_array_equal(at2[0, 0, :, 0], [1, 1, 1, 0, 0, 0])
    at3 = gtargets.mask_at_layer(mask, "block3_conv1")  # two poolings: 2 x 3 grid
    np.testing.assert_allclose(at3[0, 0, :, 0], [1, 0.5, 0])
    np.testing.assert_array_equal(gtargets.mask_at_layer(mask, "block1_conv1")[0, ..., 0], mask)


def test_guided_gram_of_a_binary_mask_is_the_regions_gram(fake_weights):
    from tfstyle.core import losses
    from tfstyle.core.vgg import build_extractor

    extractor = build_extractor(fake_weights, ["block1_conv1", "block2_conv1"], normalize=False)
    mask = np.zeros((24, 32), np.float32)
    mask[4:20, 8:24] = 1
    feats = extractor(STYLE[:24, :32][None])
    for name, (top, left) in (("block1_conv1", (4, 8)), ("block2_conv1", (2, 4))):
        f = feats[name]
        crop = f[:, top:top + 16 * f.shape[1] // 24, left:left + 16 * f.shape[2] // 32]
        m = gtargets.mask_at_layer(mask, name)
        guided = losses.gram_matrix(f, m) / losses.num_positions(f, m)
        plain = losses.gram_matrix(crop) / losses.num_positions(crop)
        np.testing.assert_allclose(guided.numpy(), plain.numpy(), rtol=1e-5)


def _halves(width=32, height=24):
    left = np.zeros((height, width), np.float32)
    left[:, : width // 2] = 1
    return left, left[:, ::-1].copy()


def test_masks_give_each_style_its_region(fake_weights):
    red = np.broadcast_to(np.float32([0.9, 0.15, 0.1]), (24, 32, 3)).copy()
    red[::4] = 0.3  # some texture so the Gram is not rank one
    blue = np.ascontiguousarray(red[..., ::-1])
    config = StyleConfig(**dict(SMALL, steps=25, content_weight=0.0, style_weight=1e4))
    result = transfer.stylize(CONTENT, [red, blue], config, masks=list(_halves()),
                           weights=fake_weights)
    left, right = result.image[:, :14], result.image[:, 18:]
    redness = lambda im: float(np.mean(im[..., 0] - im[..., 2]))
    assert redness(left) > 0.2 and redness(right) < -0.2


def test_uncovered_pixels_keep_the_content_photo(fake_weights):
    mask, _ = _halves()
    mask[:, 16:] = 0
    mask[:, 14:16] = 0.5  # a soft seam
    seen = []
    result = transfer.stylize(CONTENT, STYLE, StyleConfig(**dict(SMALL, steps=5)), masks=[mask],
                           weights=fake_weights, callback=seen.append)
    content = inputs.prepare_images(CONTENT, STYLE, StyleConfig(**SMALL))[0]
    np.testing.assert_allclose(result.image[:, 16:], content[:, 16:], atol=1e-6)
    np.testing.assert_allclose(seen[-1].image[:, 16:], content[:, 16:], atol=1e-6)
    assert np.abs(result.image[:, :14] - content[:, :14]).mean() > 0.05


def test_style_mask_picks_the_statistics_of_its_region(fake_weights):
    from tfstyle.core import losses
    from tfstyle.core.vgg import build_extractor

    # Style: top half red stripes, bottom half blue; its mask picks the top.
    style = np.concatenate([STYLE[:12, :32], STYLE[:12, :32, ::-1]], axis=0)
    top = np.zeros((24, 32), np.float32)
    top[:12] = 1
    config = StyleConfig(**SMALL)
    extractor = build_extractor(fake_weights, config.layers, normalize=False)
    masked = _objective(extractor, config, CONTENT[:24, :32], [style],
                        masks=[np.ones((24, 32), np.float32)], style_masks=[top])
    whole = _objective(extractor, config, CONTENT[:24, :32], [style])
    for name, rows in (("block1_conv1", 12), ("block2_conv1", 6)):
        f = extractor(style[None])[name][:, :rows]  # the top half's positions
        expected = losses.gram_matrix(f).numpy() / (rows * f.shape[2])
        np.testing.assert_allclose(masked.style_targets[name].numpy(), expected, rtol=1e-5)
        assert not np.allclose(whole.style_targets[name].numpy(), expected, rtol=1e-2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(masks=[np.ones((4, 4))] * 2), "2 masks for 1 style"),
    (dict(masks=[np.zeros((4, 4))]), "mask 1 selects no pixels"),
    (dict(style_masks=[np.ones((4, 4))]), "need output masks"),
    (dict(masks=[np.ones((4, 4))], style_masks=[np.zeros((4, 4))]), "style mask 1 selects no"),
])
def test_bad_masks_are_refused(fake_weights, kwargs, message):
    from tfstyle.core.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        transfer.stylize(CONTENT, STYLE, StyleConfig(**SMALL), weights=fake_weights, **kwargs)


def test_masks_and_style_blend_do_not_mix(fake_weights):
    from tfstyle.core.errors import ConfigError

    with pytest.raises(ConfigError, match="style_blend does not apply"):
        transfer.stylize(CONTENT, [STYLE, STYLE], StyleConfig(**dict(SMALL, style_blend=(1, 2))),
                      masks=list(_halves()), weights=fake_weights)


def test_content_reconstruction_matches_one_layer_and_has_no_style_term(fake_weights):
    from tfstyle.core.vgg import build_extractor

    config = StyleConfig(**dict(SMALL, content_layers="conv1_2", steps=40))
    seen = []
    result = experiments.reconstruct_content(CONTENT, config, weights=fake_weights,
                                       callback=seen.append)
    assert set(result.losses) == {"total", "content"}
    assert result.losses["content"] < 0.05 * seen[0].losses["content"]
    content = inputs.prepare_images(CONTENT, STYLE, StyleConfig(**SMALL))[0]
    # A shallow layer pins the pixels down: the image converges to the photo.
    noise = inputs.initial_image(config, content.shape[:2])
    assert np.abs(result.image - content).mean() < 0.5 * np.abs(noise - content).mean()
    extractor = build_extractor(fake_weights, ["block1_conv2"], normalize=False)
    assert "block5_conv1" not in extractor.output  # no style layers were built


def test_texture_has_any_size_and_only_a_style_term(fake_weights):
    config = StyleConfig(**dict(SMALL, steps=20))
    seen = []
    result = experiments.synthesize_texture(STYLE, config, output_size=(20, 52), weights=fake_weights,
                                      callback=seen.append)
    assert result.image.shape == (20, 52, 3)
    assert set(result.losses) == {"total", "style"}
    assert result.losses["style"] < 0.1 * seen[0].losses["style"]
    default = experiments.synthesize_texture(STYLE, StyleConfig(**dict(SMALL, steps=1)),
                                       weights=fake_weights)
    assert default.image.shape == (32, 32, 3)  # the style at --size 32


@pytest.mark.parametrize("call, message", [
    (lambda w: experiments.synthesize_texture(STYLE, StyleConfig(**SMALL), output_size=(1, 40),
                                        weights=w), "output image is 40x1 px"),
    (lambda w: experiments.synthesize_texture(STYLE, StyleConfig(**dict(SMALL, init="content")),
                                        weights=w), "needs a content image"),
    (lambda w: experiments.reconstruct_content(CONTENT, StyleConfig(**dict(SMALL, init="style")),
                                         weights=w), "needs a style image"),
    (lambda w: experiments.reconstruct_content(CONTENT, StyleConfig(**dict(SMALL, init="content")),
                                         weights=w), "start a content reconstruction at its"),
])
def test_modes_refuse_what_they_cannot_do(fake_weights, call, message):
    from tfstyle.core.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        call(fake_weights)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_tensorboard_logs_every_loss_part_at_every_step(fake_weights, tmp_path, optimizer):
    from tfstyle.core.summary import TensorBoardLogger

    logger = TensorBoardLogger(tmp_path / "run", image_every=3, settings={"steps": 7})
    result, seen = _run(fake_weights, steps=7, optimizer=optimizer, tv_weight=1.0,
                        callback=logger)
    logger.close()
    scalars, images, texts = {}, [], []
    for event_file in (tmp_path / "run").glob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(event_file)):
            for value in event.summary.value:
                tensor = tf.make_ndarray(value.tensor)
                if value.tag.startswith("loss/"):
                    scalars.setdefault(value.tag, {})[event.step] = float(tensor)
                elif value.tag == "image":
                    images.append(event.step)
                    width, height = int(tensor[0]), int(tensor[1])
                    assert (height, width) == result.image.shape[:2]
                elif value.tag == "settings":
                    texts.append(tensor)
    assert set(scalars) == {"loss/total", "loss/content", "loss/style", "loss/tv"}
    for tag, by_step in scalars.items():
        assert sorted(by_step) == [p.step for p in seen]
        assert by_step[seen[-1].step] == pytest.approx(seen[-1].losses[tag[5:]], rel=1e-6)
    assert sorted(images) == [3, 6, seen[-1].step] and len(texts) == 1


def test_coarse_to_fine_runs_every_pass_and_reports_full_resolution_losses(fake_weights,
                                                                          monkeypatch):
    from tfstyle.core.vgg import build_extractor

    betas = []
    real_optimize = gpasses.optimize

    def spy(objective, init, config, callback, steps=None):
        betas.append((init.shape[:2], objective.beta, steps, config))
        return real_optimize(objective, init, config, callback, steps)

    monkeypatch.setattr(transfer, "optimize", spy)
    config = StyleConfig(**dict(SMALL, size=64, scales=(32,), coarse_steps=3, steps=4))
    seen = []
    result = transfer.stylize(CONTENT, STYLE, config, weights=fake_weights, callback=seen.append)
    assert [b[0] for b in betas] == [(24, 32), (48, 64)]
    assert betas[0][1] == pytest.approx(4e6 / 4) and betas[1][1] == 4e6  # beta per pixel count
    assert [b[2] for b in betas] == [3, 4]
    # A pass's beta and steps are its own: every pass runs with the caller's config.
    assert all(b[3] is config for b in betas)
    assert [p.step for p in seen] == list(range(1, 8)) and {p.steps for p in seen} == {7}
    assert [p.image.shape[:2] for p in seen] == [(24, 32)] * 3 + [(48, 64)] * 4
    assert result.steps == 7 and result.image.shape == (48, 64, 3)
    # The reported losses are the final image's at full resolution.
    single = StyleConfig(**dict(SMALL, size=64, scales=()))
    content, styles = inputs.prepare_images(CONTENT, STYLE, single)
    objective = _objective(build_extractor(fake_weights, single.layers, normalize=False),
                           single, content, styles)
    expected = float(objective(tf.constant(result.image[None]))["total"])
    assert result.losses["total"] == pytest.approx(expected, rel=1e-3)


def test_coarse_pass_starts_the_fine_one(tiny_weights):
    """Upsampled coarse result as the start: after as many fine steps, lower loss than from noise."""
    base = dict(SMALL, size=64, steps=3)
    multi = transfer.stylize(CONTENT, STYLE, StyleConfig(**dict(base, scales=(32,), coarse_steps=30)),
                          weights=tiny_weights)
    single = transfer.stylize(CONTENT, STYLE, StyleConfig(**dict(base, scales=())),
                           weights=tiny_weights)
    assert multi.losses["total"] < single.losses["total"]


def test_auto_scales_skip_passes_too_small_and_explicit_ones_are_errors(tiny_weights):
    from tfstyle.core.errors import ConfigError

    wide = np.ascontiguousarray(np.tile(CONTENT, (1, 13, 1))[:24, :300])  # 300 x 24 px
    config = StyleConfig(**dict(SMALL, size=None, style_layers="conv1_1,conv5_1", steps=1,
                                coarse_steps=1))
    assert config.scale_plan(300) == (150, 300)  # the 150 x 12 pass cannot reach conv5_1
    result = transfer.stylize(wide, STYLE, config, weights=tiny_weights)
    assert result.steps == 1 and result.image.shape == (24, 300, 3)
    with pytest.raises(ConfigError, match="scales: the 150 px pass is too small"):
        transfer.stylize(wide, STYLE, StyleConfig(**dict(SMALL, size=None, scales=(150,),
                                                      style_layers="conv1_1,conv5_1")),
                      weights=tiny_weights)


def test_a_mask_covering_everything_is_the_unmasked_loss(fake_weights):
    from tfstyle.core.vgg import build_extractor

    config = StyleConfig(**SMALL)
    content, (style,) = inputs.prepare_images(CONTENT, STYLE, config)
    extractor = build_extractor(fake_weights, config.layers, normalize=False)
    x = tf.constant(RNG.uniform(0, 1, (1,) + content.shape).astype(np.float32))
    plain = _objective(extractor, config, content, [style])(x)
    everywhere = _objective(extractor, config, content, [style],
                            masks=[np.ones(content.shape[:2], np.float32)])(x)
    assert float(everywhere["style"]) == pytest.approx(float(plain["style"]), rel=1e-5)
    # Half the image: its term counts half, so each pixel is pushed as hard as before.
    half = np.zeros(content.shape[:2], np.float32)
    half[:, :16] = 1
    left = _objective(extractor, config, content, [style], masks=[half])
    assert [w for _, _, w, _ in left._style_terms] == pytest.approx([0.25, 0.25])


def test_vanishing_masks_are_errors_not_nans(fake_weights):
    from tfstyle.core.errors import ConfigError
    from tfstyle.core.vgg import build_extractor

    config = StyleConfig(**SMALL)
    content, (style,) = inputs.prepare_images(CONTENT, STYLE, config)
    extractor = build_extractor(fake_weights, config.layers, normalize=False)
    empty = np.zeros(content.shape[:2], np.float32)
    with pytest.raises(ConfigError, match="every style mask vanishes"):
        _objective(extractor, config, content, [style], masks=[empty])
    with pytest.raises(ConfigError, match="style mask 1 selects no position at block1_conv1"):
        _objective(extractor, config, content, [style], masks=[empty + 1], style_masks=[empty])


def test_transparent_mask_pixels_are_outside(tmp_path):
    from PIL import Image

    rgba = np.full((10, 20, 4), 255, np.uint8)
    rgba[:, 10:, 3] = 0  # right half transparent (its colour is white)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "mask.png")
    mask = inputs.load_mask(tmp_path / "mask.png", (10, 20))
    assert mask[:, :9].min() > 0.99 and mask[:, 11:].max() < 0.01


def test_tensorboard_logs_the_last_image_of_a_run_that_stopped_early(tmp_path):
    from tfstyle.core.summary import TensorBoardLogger

    logger = TensorBoardLogger(tmp_path, image_every=0)
    for step in (1, 2, 3):
        logger(optim.Progress(step, 10, {"total": 1.0 / step}, 0.1 * step,
                              np.zeros((4, 6, 3), np.float32)))
    logger.close()
    steps = [event.step for path in tmp_path.glob("events.*")
             for event in tf.compat.v1.train.summary_iterator(str(path))
             for value in event.summary.value if value.tag == "image"]
    assert steps == [3]


def test_seeds_batch_with_adam_is_each_seeds_own_run(tiny_weights):
    config = StyleConfig(**dict(SMALL, optimizer="adam", steps=6, learning_rate=0.05))
    seen = []
    batch = transfer.stylize_seeds(CONTENT, STYLE, config, seeds=(3, 5), weights=tiny_weights,
                                callback=seen.append)
    assert [r.config.seed for r in batch] == [3, 5]
    assert seen[0].image.shape == (2, 24, 32, 3) and len(seen) == 6
    for result in batch:
        alone = transfer.stylize(CONTENT, STYLE, result.config, weights=tiny_weights)
        # Equal up to float rounding in the batched convolutions (well below a grey level).
        np.testing.assert_allclose(result.image, alone.image, atol=2e-3)
        assert result.losses["total"] == pytest.approx(alone.losses["total"], rel=1e-3)
    assert np.abs(batch[0].image - batch[1].image).max() > 0.05


def test_seeds_batch_with_lbfgs_reports_each_images_own_losses(tiny_weights):
    from tfstyle.core.vgg import build_extractor

    config = StyleConfig(**dict(SMALL, size=64, scales=(32,), coarse_steps=3, steps=8))
    seen = []
    batch = transfer.stylize_seeds(CONTENT, STYLE, config, seeds=(0, 1, 2), weights=tiny_weights,
                                callback=seen.append)
    assert [p.image.shape for p in seen] == [(3, 24, 32, 3)] * 3 + [(3, 48, 64, 3)] * 8
    single = StyleConfig(**dict(SMALL, size=64, scales=()))
    content, styles = inputs.prepare_images(CONTENT, STYLE, single)
    objective = _objective(build_extractor(tiny_weights, single.layers, normalize=False),
                           single, content, styles)
    for result in batch:
        assert result.image.shape == (48, 64, 3)
        assert 0 <= result.image.min() <= result.image.max() <= 1
        expected = {k: float(v) for k, v in objective(tf.constant(result.image[None])).items()}
        assert result.losses == pytest.approx(expected, rel=1e-4)
        assert result.steps == 11
    # The batch's summed loss fell over the final pass, and it is the images' losses added up.
    assert seen[-1].losses["total"] < 0.8 * seen[3].losses["total"]
    summed = sum(r.losses["total"] for r in batch)
    assert summed == pytest.approx(seen[-1].losses["total"], rel=1e-3)


def test_seeds_batch_with_masks_keeps_the_photo_in_every_image(fake_weights):
    left, _ = _halves()
    config = StyleConfig(**dict(SMALL, steps=4))
    batch = transfer.stylize_seeds(CONTENT, STYLE, config, seeds=(0, 1), masks=[left],
                                weights=fake_weights)
    for result in batch:
        np.testing.assert_allclose(result.image[:, 16:], CONTENT[:, 16:], atol=1e-6)
        assert np.abs(result.image[:, :16] - CONTENT[:, :16]).max() > 0.05


def test_one_seed_is_a_plain_run(fake_weights):
    config = StyleConfig(**dict(SMALL, steps=4))
    (result,) = transfer.stylize_seeds(CONTENT, STYLE, config, seeds=[4], weights=fake_weights)
    alone = transfer.stylize(CONTENT, STYLE, StyleConfig(**dict(SMALL, steps=4, seed=4)),
                          weights=fake_weights)
    np.testing.assert_array_equal(result.image, alone.image)
    assert result.config.seed == 4 and result.losses == alone.losses


@pytest.mark.parametrize("kwargs, seeds, message", [
    (dict(init="content"), (0, 1), "`seeds` needs `init`=noise"),
    ({}, (0, 0), "seeds` must be different integers >= 0, at least one, got '0,0'"),
    ({}, (), "at least one"),
    ({}, (0, -1), "seeds` must be different integers >= 0, at least one, got '0,-1'"),
    (dict(size=256, tile_size=128, scales=()), (0, 1), "one batch, which does not tile"),
])
def test_bad_seed_batches_are_refused(fake_weights, kwargs, seeds, message):
    from tfstyle.core.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        transfer.stylize_seeds(CONTENT, STYLE, StyleConfig(**dict(SMALL, **kwargs)), seeds=seeds,
                            weights=fake_weights)


def test_a_seed_batch_too_large_for_memory_is_refused(fake_weights, monkeypatch):
    from tfstyle.gatys import tiles
    from tfstyle.core.errors import ConfigError

    one = tiles.step_bytes((24, 32))
    # Room for one image's step, not for 64 of them.
    monkeypatch.setattr(tiles, "available_bytes", lambda: int(one / tiles.MEMORY_SHARE) + 1)
    with pytest.raises(ConfigError, match="64 seeds of 32x24 px need about"):
        transfer.stylize_seeds(CONTENT, STYLE, StyleConfig(**SMALL), seeds=range(64),
                            weights=fake_weights)


def test_the_estimate_weighs_passes_by_their_pixels():
    from tfstyle.core.progress import Progress
    from tfstyle.gatys.passes import offset_progress

    seen = []
    # A coarse pass of 100 steps on 1 unit of pixels, then 100 on 4 units.
    coarse = offset_progress(seen.append, 0, 200, start=0.0, work=(0.0, 1.0, 500.0))
    coarse(Progress(100, 100, {}, 0.0))
    p = dataclasses.replace(seen[-1], elapsed=10.0)  # 100 pixel-steps took 10 s
    assert (p.step, p.steps, p.work_done) == (100, 200, 100.0)
    assert p.eta == pytest.approx(40.0)  # 400 pixel-steps left, not 100 steps at 0.1 s
    plain = Progress(100, 200, {}, 10.0)
    assert plain.eta == pytest.approx(10.0)  # no work known: the mean pace
    fine = offset_progress(seen.append, 100, 200, start=0.0, work=(100.0, 4.0, 500.0))
    fine(Progress(100, 100, {}, 0.0))
    assert seen[-1].step == 200 and seen[-1].work_done == 500.0
