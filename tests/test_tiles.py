"""Images larger than memory: exact encoding by cores and tiled optimization."""

import numpy as np
import pytest
import tensorflow as tf

from tfstyle.gatys import inputs, objective, passes as gpasses, targets as gtargets, transfer
from tfstyle.gatys import objective as gobjective

from tfstyle.gatys import tiles
from tfstyle.gatys.config import StyleConfig
from tfstyle.core.errors import ConfigError
from tfstyle.core.vgg import build_extractor

RNG = np.random.default_rng(3)
LAYERS = dict(content_layers="conv2_2", style_layers="conv1_1,conv2_1,conv5_1", normalize=False,
              init="noise", size_independent=False)


def _scene(height, width):
    """Smooth colour ramps with a few blocks: structure at several scales."""
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    image = np.stack([x, 0.3 + 0.4 * y, 1.0 - x * y], -1)
    for i in range(4):
        image[20 + 40 * i:40 + 40 * i, 30 + 50 * i:60 + 50 * i] = 0.15 * i
    return np.clip(image, 0, 1).astype(np.float32)


def _stripes(size=96):
    y, x = np.mgrid[0:size, 0:size]
    stripes = ((x + 2 * y) // 5) % 2
    return np.where(stripes[..., None] == 1, [0.9, 0.7, 0.1], [0.1, 0.2, 0.6]).astype(np.float32)


CONTENT, STYLE = _scene(208, 272), _stripes()


@pytest.fixture(scope="module")
def extractor(tiny_weights):
    return build_extractor(tiny_weights, StyleConfig(**LAYERS).layers, normalize=False)


def _objective(extractor, config, masks=None, core=None):
    content, styles = inputs.prepare_images(CONTENT, STYLE, config)
    targets = gtargets.compute_targets(
        extractor, content, styles, content_layers=[n for n, _ in config.content_layers],
        style_layers=[n for n, _ in config.style_layers], masks=masks, core=core)
    return objective.GatysObjective.from_config(extractor, targets, config), content


def test_cores_cover_the_image_once_and_windows_add_a_clipped_halo():
    shape = (208, 272)
    covered = np.zeros(shape, int)
    for c in tiles.cores(shape, 64):
        covered[c.y0:c.y1, c.x0:c.x1] += 1
        w = tiles.window(c, shape)
        assert (w.y0, w.x0) == (max(c.y0 - tiles.HALO, 0), max(c.x0 - tiles.HALO, 0))
        assert (w.y1, w.x1) == (min(c.y1 + tiles.HALO, 208), min(c.x1 + tiles.HALO, 272))
        assert w.y0 % tiles.ALIGN == 0 and w.x0 % tiles.ALIGN == 0
    assert (covered == 1).all()
    with pytest.raises(ValueError):
        tiles.cores(shape, 40)
    # A sliver narrower than the pooling grid joins its neighbour.
    assert [(c.x0, c.x1) for c in tiles.cores((64, 136), 64)] == [(0, 64), (64, 136)]


def test_encoding_by_cores_gives_the_whole_images_features(extractor):
    layers = StyleConfig(**LAYERS).layers
    whole = extractor(tf.constant(CONTENT[None]))
    pieces = list(tiles.encode_by_cores(extractor, CONTENT, layers, 64))
    assert len(pieces) == 4 * 5
    for core, feats in pieces:
        for name in layers:
            expected = tiles.crop_layer_map(whole[name], core, name, CONTENT.shape[:2])
            assert feats[name].shape == expected.shape
            np.testing.assert_allclose(feats[name], expected, rtol=1e-4,
                                       atol=1e-4 * float(tf.reduce_max(tf.abs(whole[name]))))


def test_style_targets_and_losses_by_cores_equal_the_whole_images(extractor):
    config = StyleConfig(**dict(LAYERS, size=None, tv_weight=3.0))
    mask = np.zeros(CONTENT.shape[:2], np.float32)
    mask[:, :150] = 1.0
    for masks in (None, [mask]):
        whole, content = _objective(extractor, config, masks)
        by_cores, _ = _objective(extractor, config, masks, core=64)
        for a, b in zip(whole.targets.styles, by_cores.targets.styles):
            for name in a.grams:
                np.testing.assert_allclose(b.grams[name], a.grams[name], rtol=1e-4,
                                           atol=1e-5 * float(tf.reduce_max(a.grams[name])))
        x = RNG.uniform(0, 1, CONTENT.shape).astype(np.float32)
        expected = {k: float(v) for k, v in whole(tf.constant(x[None])).items()}
        got = whole.evaluate_by_cores(x, content, 64)
        assert got.keys() == expected.keys()
        for k in expected:
            assert got[k] == pytest.approx(expected[k], rel=1e-4), k


def test_a_tile_moves_only_its_core_and_sees_its_halo(extractor):
    config = StyleConfig(**dict(LAYERS, size=None))
    objective, content = _objective(extractor, config, core=64)
    image = RNG.uniform(0, 1, CONTENT.shape).astype(np.float32)
    core = tiles.cores(CONTENT.shape[:2], 64)[6]  # an inner core: halo on every side
    win = tiles.window(core, CONTENT.shape[:2])
    beta = gobjective.beta_for(config, CONTENT.shape[0] * CONTENT.shape[1],
                               core_pixels=core.shape[0] * core.shape[1])
    tile = objective.for_tile(core, content, image, beta)
    x = tf.Variable(win.crop(image)[None])
    with tf.GradientTape() as tape:
        loss = tile(x)["total"]
    grad = np.abs(tape.gradient(loss, x).numpy()[0]).sum(-1)
    inside = np.zeros(win.shape, bool)
    inside[core.y0 - win.y0:core.y1 - win.y0, core.x0 - win.x0:core.x1 - win.x0] = True
    assert grad[~inside].max() == 0.0 and grad[inside].min() > 0.0
    # The halo is the image's own pixels, fixed: other pixels there change the core's loss.
    other = image.copy()
    other[win.y0:win.y1, win.x0:win.x1][~inside] = 0.5
    changed = objective.for_tile(core, content, other, beta)
    assert float(changed(x)["total"]) != pytest.approx(float(loss), rel=1e-4)


def test_passes_carry_their_own_beta_and_keep_the_callers_config():
    config = StyleConfig(**dict(LAYERS, size=None, scales=(128,), steps=4, coarse_steps=2,
                                tile_size=128, size_independent=True, style_weight=6e6))
    passes = gpasses.plan_passes(config, CONTENT, [STYLE], None, None)
    output = CONTENT.shape[0] * CONTENT.shape[1]
    assert all(p.config is config for p in passes)
    assert [p.iterations for p in passes] == [2, 4] and not passes[0].grid and passes[1].grid
    coarse = passes[0].content.shape[0] * passes[0].content.shape[1]
    assert passes[1].beta == config.beta(output) == gobjective.beta_for(config, output)
    assert passes[0].beta == pytest.approx(config.beta(output) * coarse / output)
    core = passes[1].grid[0]
    assert passes[1].tile_beta(core) == pytest.approx(
        config.beta(output) * core.shape[0] * core.shape[1] / output)


def _stylize(weights, callback=None, masks=None, **kwargs):
    config = StyleConfig(**dict(dict(LAYERS, size=None, scales=(), steps=4), **kwargs))
    return transfer.stylize(CONTENT, STYLE, config, weights=weights, masks=masks,
                         callback=callback)


def test_tiled_pass_runs_every_tile_and_reports_the_whole_images_loss(tiny_weights, extractor):
    seen = []
    result = _stylize(tiny_weights, seen.append, tile_size=128)
    count = len(tiles.cores(CONTENT.shape[:2], 128))
    assert count == 6
    assert [p.step for p in seen] == list(range(1, len(seen) + 1)) and seen[-1].step <= 4 * count
    assert {p.steps for p in seen} == {4 * count}
    assert all(p.image.shape == CONTENT.shape for p in seen)
    assert result.steps == len(seen) and result.image.shape == CONTENT.shape
    assert gpasses.total_steps(CONTENT.shape[:2], StyleConfig(size=None, scales=(), steps=4,
                                                            tile_size=128)) == 4 * count
    whole, _ = _objective(extractor, StyleConfig(**dict(LAYERS, size=None)))
    start = float(whole(tf.constant(inputs.initial_image(result.config, CONTENT.shape[:2])[None]))["total"])
    final = float(whole(tf.constant(result.image[None]))["total"])
    assert result.losses["total"] == pytest.approx(final, rel=1e-4)
    assert final < 0.5 * start


def test_tiles_in_the_kept_region_are_skipped_and_keep_the_photo(tiny_weights):
    mask = np.zeros(CONTENT.shape[:2], np.float32)
    mask[:, :120] = 1.0  # the right-hand cores (x >= 128) are all kept
    seen = []
    result = _stylize(tiny_weights, seen.append, masks=[mask], tile_size=128)
    np.testing.assert_allclose(result.image[:, 120:], CONTENT[:, 120:], atol=1e-6)
    assert np.abs(result.image[:, :120] - CONTENT[:, :120]).mean() > 0.02
    assert result.steps <= 4 * 2  # only the two left cores ran


def test_auto_tiles_only_when_memory_is_short(tiny_weights, monkeypatch):
    # The planner's bytes per pixel are constants measured on VGG19, not read from
    # the weights: the tiny encoder is planned exactly as the full one.
    assert tiles.auto_tile_side((208, 272), budget=10**12) is None
    side = tiles.auto_tile_side((4096, 4096), budget=tiles.BASE_BYTES + tiles.BYTES_PER_PIXEL * 600**2)
    assert side % tiles.ALIGN == 0 and tiles.window_side(side) <= 600
    assert tiles.step_bytes((side + 2 * tiles.HALO,) * 2) <= (
        tiles.BASE_BYTES + tiles.BYTES_PER_PIXEL * 600**2)
    # Pretend memory is short: the automatic setting tiles the pass.
    monkeypatch.setattr(tiles, "available_bytes",
                        lambda: (tiles.BASE_BYTES + tiles.BYTES_PER_PIXEL * 200**2) / tiles.MEMORY_SHARE)
    seen = []
    result = _stylize(tiny_weights, seen.append, steps=1)
    assert seen[-1].steps == len(tiles.cores(CONTENT.shape[:2], 128)) and result.steps > 1
    assert _stylize(tiny_weights, steps=1, tile_size=0).steps == 1


@pytest.mark.parametrize("value, message", [(64, "at least 128"), (-1, "at least 128"),
                                            ("big", "'auto', 'none' or a tile side")])
def test_bad_tile_sizes_are_refused(value, message):
    with pytest.raises(ConfigError, match=message):
        StyleConfig(tile_size=value)


def test_tile_size_rounds_down_to_the_pooling_grid():
    assert StyleConfig(tile_size=200).tile_size == 192
    assert StyleConfig(tile_size=0).tile_size == 0 and StyleConfig().tile_size is None
