"""WCT² (tfstyle.wct2): the Haar wavelets, the whitening and colouring
transform, label maps, the official release's files against a numpy
reference of its torch layers, and the model's plumbing."""

import io
import logging
import pickle
import re
import zipfile

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf
from PIL import Image

import torch_writer
from tfstyle.core.errors import ConfigError, ImageError, WeightsError
from tfstyle.wct2 import haar, labels, model as model_lib, networks, torch_import, wct

RNG = np.random.default_rng(11)
BANDS = ("LL", "LH", "HL", "HH")
ALL_PLACES = [("encoder",), ("skip",), ("decoder",), ("encoder", "skip"), ("encoder", "decoder"),
              ("skip", "decoder"), ("encoder", "skip", "decoder")]


def _release_haar():
    """The release's fixed filters (clovaai/WCT2 model.get_wav): L = [1, 1]/sqrt 2,
    H = [-1, 1]/sqrt 2, LL = L^T L, LH = L^T H, HL = H^T L, HH = H^T H (float32)."""
    low = np.ones((1, 2)) / np.sqrt(2)
    high = low.copy()
    high[0, 0] *= -1
    return {"LL": (low.T * low), "LH": (low.T * high), "HL": (high.T * low),
            "HH": (high.T * high)}


HAAR = {k: v.astype(np.float32) for k, v in _release_haar().items()}


# ----------------------------------------------------------------------------
# Haar wavelets
# ----------------------------------------------------------------------------

def _np(t):
    return np.asarray(t)


def test_haar_pool_then_unpool_is_the_identity():
    dyadic = (RNG.integers(-64, 65, (2, 8, 6, 3)) / 4.0).astype(np.float32)
    back = _np(haar.haar_unpool(*haar.haar_pool(tf.constant(dyadic))))
    assert back.shape == dyadic.shape
    assert (back == dyadic).all()  # exact: every step is a sum of quarters, halved
    floats = RNG.normal(0, 3, (1, 10, 14, 5)).astype(np.float32)
    parts = [_np(p) for p in haar.haar_pool(tf.constant(floats))]
    assert all(p.shape == (1, 5, 7, 5) for p in parts)
    np.testing.assert_allclose(_np(haar.haar_unpool(*parts)), floats, rtol=0, atol=1e-5)
    # Orthonormal: the components hold the map's energy, no more, no less.
    np.testing.assert_allclose(sum((p.astype(np.float64) ** 2).sum() for p in parts),
                               (floats.astype(np.float64) ** 2).sum(), rtol=1e-5)


def test_haar_components_of_a_constant_map_and_of_a_known_block():
    ll, lh, hl, hh = (_np(p) for p in haar.haar_pool(tf.fill((1, 4, 6, 2), 3.0)))
    assert (ll == 6.0).all() and (lh == 0).all() and (hl == 0).all() and (hh == 0).all()
    # Two blocks side by side: [[a, b], [c, d]] = [[1, 2], [4, 8]] and [[-3, 5], [0, 1]].
    x = np.array([[1, 2, -3, 5], [4, 8, 0, 1]], np.float32)[None, :, :, None]
    ll, lh, hl, hh = (_np(p)[0, :, :, 0] for p in haar.haar_pool(tf.constant(x)))
    for col, (a, b, c, d) in enumerate(((1, 2, 4, 8), (-3, 5, 0, 1))):
        assert ll[0, col] == (a + b + c + d) / 2
        assert lh[0, col] == (-a + b - c + d) / 2
        assert hl[0, col] == (-a - b + c + d) / 2
        assert hh[0, col] == (a - b - c + d) / 2
    # The layer gives the same as the function.
    layer = [_np(p) for p in haar.HaarPool()(tf.constant(x))]
    for got, want in zip(layer, (ll, lh, hl, hh)):
        np.testing.assert_array_equal(got[0, :, :, 0], want)


def test_haar_matches_the_release_filters_as_strided_convolutions():
    x = RNG.normal(0, 1, (1, 6, 8, 4)).astype(np.float32)
    blocks = x[0].reshape(3, 2, 4, 2, 4)  # [i, dy, j, dx, c]
    ours = [_np(p)[0] for p in haar.haar_pool(tf.constant(x))]
    for band, got in zip(BANDS, ours):  # Conv2d(k=2, stride=2, groups=C) with the filter
        np.testing.assert_allclose(got, np.einsum("iyjxc,yx->ijc", blocks, HAAR[band]), atol=1e-6)
    comps = [RNG.normal(0, 1, (1, 3, 4, 4)).astype(np.float32) for _ in BANDS]
    expected = sum(  # ConvTranspose2d(k=2, stride=2, groups=C): each value times the filter
        np.einsum("ijc,yx->iyjxc", c[0], HAAR[band]).reshape(6, 8, 4)
        for c, band in zip(comps, BANDS))
    np.testing.assert_allclose(_np(haar.haar_unpool(*map(tf.constant, comps)))[0], expected,
                               atol=1e-6)


def test_haar_unpool_layers_sum_and_cat5():
    comps = [tf.constant(RNG.normal(0, 1, (2, 3, 5, 4)).astype(np.float32)) for _ in BANDS]
    original = tf.constant(RNG.normal(0, 1, (2, 6, 10, 4)).astype(np.float32))
    whole = _np(haar.haar_unpool(*comps))
    np.testing.assert_allclose(_np(haar.HaarUnpool("sum")(*comps)), whole, atol=1e-6)
    cat = _np(haar.HaarUnpool("cat5")(*comps, original))
    assert cat.shape == (2, 6, 10, 20)
    groups = [cat[..., 4 * i:4 * (i + 1)] for i in range(5)]
    zero = tf.zeros_like(comps[0])
    for i, group in enumerate(groups[:4]):  # each component unpooled on its own
        alone = [comps[j] if j == i else zero for j in range(4)]
        np.testing.assert_allclose(group, _np(haar.haar_unpool(*alone)), atol=1e-6)
    np.testing.assert_allclose(sum(groups[:4]), whole, atol=1e-5)
    np.testing.assert_array_equal(groups[4], _np(original))
    with pytest.raises(ValueError, match="'sum' or 'cat5'"):
        haar.HaarUnpool("max")


# ----------------------------------------------------------------------------
# Whitening and colouring
# ----------------------------------------------------------------------------

def _correlated(n, channels, mean, scale, seed):
    """[n, channels] features with a full, well-conditioned covariance (eigenvalues
    >= scale, so WCT's eps = 1e-5 is negligible next to them)."""
    rng = np.random.default_rng(seed)
    b = rng.normal(0, 1, (channels, channels))
    cov = scale * (b @ b.T + channels * np.eye(channels)) / channels
    return rng.normal(0, 1, (n, channels)) @ np.linalg.cholesky(cov).T + mean


def _rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


# WCT as the equations have it: no ridge, no clamp.
TEXTBOOK = dict(ridge=0.0, clamp=False)


def test_wct_gives_the_styles_mean_and_covariance_by_the_zca_map():
    content = _correlated(2000, 8, RNG.normal(0, 5, 8), 30.0, seed=1)
    style = _correlated(1500, 8, RNG.normal(10, 5, 8), 200.0, seed=2)
    out = wct.wct(content, style, alpha=1.0, **TEXTBOOK)
    assert out.shape == content.shape and out.dtype == np.float64
    assert _rel(out.mean(0), style.mean(0)) < 1e-6
    assert _rel(np.cov(out.T), np.cov(style.T)) < 1e-6
    # Whitening and colouring by the symmetric square roots (ZCA): out = (c - m_c)
    # C^(-1/2) S^(1/2) + m_s, which keeps each position as close to itself as it can.
    root_c = scipy.linalg.sqrtm(np.cov(content.T)).real
    root_s = scipy.linalg.sqrtm(np.cov(style.T)).real
    expected = (content - content.mean(0)) @ np.linalg.inv(root_c) @ root_s + style.mean(0)
    assert _rel(out, expected) < 1e-6
    # alpha blends with the content features; alpha = 0 gives them back unchanged.
    np.testing.assert_array_equal(wct.wct(content, style, alpha=0.0, **TEXTBOOK), content)
    np.testing.assert_allclose(wct.wct(content, style, alpha=0.25, **TEXTBOOK), 0.25 * out + 0.75 * content,
                               rtol=1e-12, atol=1e-9)
    # transfer_features: the same on [h, w, C] maps, as float32.
    maps = wct.transfer_features(content.reshape(40, 50, 8), style.reshape(30, 50, 8),
                                 **TEXTBOOK)
    assert maps.shape == (40, 50, 8) and maps.dtype == np.float32
    np.testing.assert_allclose(maps.reshape(-1, 8), out, rtol=1e-5, atol=1e-4)


def test_the_ridge_transfers_strong_directions_and_passes_weak_ones():
    # Two directions: a strong one (content variance 10, style 400) and a weak
    # one (content 1e-3: fine detail or noise; style 0.02).
    rng = np.random.default_rng(3)
    content = rng.normal(0, 1, (4000, 2)) * [np.sqrt(10), np.sqrt(1e-3)]
    style = rng.normal(0, 1, (4000, 2)) * [20.0, np.sqrt(0.02)] + [5.0, 0.0]
    out = wct.wct(content, style, clamp=False)
    assert abs(out[:, 0].var() / style[:, 0].var() - 1) < 0.02  # transferred
    assert abs(out[:, 0].mean() - style[:, 0].mean()) < 1e-9
    # The weak direction keeps about its own size, instead of being blown up
    # 20 times to the style's variance as the textbook transform does.
    assert out[:, 1].var() / content[:, 1].var() < 1.5
    textbook = wct.wct(content, style, **TEXTBOOK)
    assert textbook[:, 1].var() / content[:, 1].var() > 15


def test_flat_features_stay_finite_with_the_default_ridge_and_clamp():
    content = _correlated(300, 6, 0.0, 4.0, seed=3)
    out = wct.wct(content, np.full((200, 6), 3.0))
    assert np.isfinite(out).all() and content.min() <= out.min() <= out.max() <= content.max()
    # A one-colour content region stays that colour: its range is one value.
    out = wct.wct(np.full((100, 6), -1.5), _correlated(300, 6, 2.0, 4.0, seed=4))
    np.testing.assert_array_equal(out, -1.5)


def test_the_transferred_features_stay_in_the_contents_range():
    content = _correlated(500, 4, 0.0, 1.0, seed=7)
    style = _correlated(500, 4, 30.0, 400.0, seed=8)  # far outside the content's range
    out = wct.wct(content, style)
    assert out.min() >= content.min() - 1e-9 and out.max() <= content.max() + 1e-9
    # alpha blends the clamped transfer with the content.
    np.testing.assert_allclose(wct.wct(content, style, alpha=0.5), 0.5 * out + 0.5 * content,
                               rtol=1e-9, atol=1e-9)


def test_wct_of_features_to_themselves_is_the_identity():
    # Relu features spread their variance over many decades (a 24x40 photo's
    # relu2_1 through random VGG weights: 7000 down to 0.01).
    rng = np.random.default_rng(12)
    basis = np.linalg.qr(rng.normal(0, 1, (16, 16)))[0]
    features = rng.normal(0, 1, (400, 16)) * np.logspace(2, -1.5, 16) @ basis.T + 5.0
    np.testing.assert_allclose(wct.wct(features, features), features, rtol=0, atol=1e-6)


def test_wct_on_tensors_is_the_same_transform():
    content = _correlated(120, 6, 1.0, 4.0, seed=9)
    style = _correlated(90, 6, -2.0, 9.0, seed=10)
    mean, colouring = wct.style_transform(style)
    for alpha in (1.0, 0.4):
        features = tf.constant(content.reshape(1, 10, 12, 6), tf.float32)
        got = wct.wct_tensor(features, mean, colouring, alpha).numpy()
        assert got.shape == (1, 10, 12, 6) and got.dtype == np.float32
        expected = wct.wct(content.astype(np.float32), style, alpha)
        np.testing.assert_allclose(got.reshape(-1, 6), expected, rtol=1e-4, atol=1e-4)


def test_wct_with_flat_features_stays_finite():
    content = _correlated(300, 6, 0.0, 4.0, seed=3)
    flat = np.full((200, 6), 3.0)
    out = wct.wct(content, flat, **TEXTBOOK)
    assert np.isfinite(out).all()
    # A flat style has (regularized) covariance eps: the output is its value,
    # give or take sqrt(eps).
    assert np.abs(out - 3.0).max() < 10 * np.sqrt(wct.EPS)
    # A flat content (one colour) whitens to zero: the output is the style's mean.
    style = _correlated(300, 6, 2.0, 4.0, seed=4)
    out = wct.wct(np.full((100, 6), -1.5), style, **TEXTBOOK)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, np.broadcast_to(style.mean(0), out.shape), atol=1e-9)
    out = wct.transfer_features(np.full((10, 10, 6), 0.25, np.float32),
                                np.full((8, 8, 6), 7.0, np.float32), **TEXTBOOK)
    assert np.isfinite(out).all() and np.abs(out - 7.0).max() < 10 * np.sqrt(wct.EPS)


def test_transfer_features_goes_region_to_region():
    h, w, c = 12, 16, 4
    content = _correlated(h * w, c, 0.0, 25.0, seed=5).reshape(h, w, c).astype(np.float32)
    # Content labels at twice the features' resolution: 1 left, 2 right, 3 (a
    # 4x4 block, in the content only) at the top left, 4 (2x2 at this level, too
    # small for a covariance) at the bottom right, 5 (one colour) at the bottom left.
    c_labels = np.ones((2 * h, 2 * w), np.int32)
    c_labels[:, w:] = 2
    c_labels[:8, :8] = 3
    c_labels[-4:, -4:] = 4
    c_labels[-8:, :8] = 5
    content[-4:, :4] = 0.5
    # Style: 2 on top, 1 and 5 below (each with its own statistics), 9 nowhere in
    # the content, a few 4s.
    sh, sw = 10, 12
    s_labels = np.full((sh, sw), 2, np.int32)
    s_labels[sh // 2:] = 1
    s_labels[sh // 2:, 8:] = 5
    s_labels[:3, -3:] = 9
    s_labels[-1, :5] = 4
    style = np.zeros((sh, sw, c))
    for label, mean, scale, seed in ((1, 20.0, 9.0, 6), (2, -20.0, 49.0, 7), (5, 3.0, 1.0, 8)):
        style[s_labels == label] = _correlated((s_labels == label).sum(), c, mean, scale, seed)
    style[s_labels == 9] = 1000.0
    style = style.astype(np.float32)

    report = set()
    out = wct.transfer_features(content, style, 1.0, c_labels, s_labels, report=report,
                                 **TEXTBOOK)
    assert out.shape == content.shape and np.isfinite(out).all()
    at = c_labels[::2, ::2]  # the labels at the features' grid
    for label in (1, 2):
        got, ref = out[at == label].astype(np.float64), style[s_labels == label].astype(np.float64)
        assert _rel(got.mean(0), ref.mean(0)) < 1e-4, label
        assert _rel(np.cov(got.T), np.cov(ref.T)) < 1e-3, label
    # A one-colour region whitens to nothing: the style region's mean, no NaN.
    np.testing.assert_allclose(out[at == 5], np.broadcast_to(
        style[s_labels == 5].mean(0), out[at == 5].shape), rtol=1e-5)
    # Labels the style lacks, or too small to have statistics, keep the content's features.
    np.testing.assert_array_equal(out[at == 3], content[at == 3])
    np.testing.assert_array_equal(out[at == 4], content[at == 4])
    assert report == {3, 4}
    assert np.abs(out).max() < 100  # the style-only label 9 (1000s) was never used
    # alpha = 0: the content, region by region too.
    np.testing.assert_array_equal(
        wct.transfer_features(content, style, 0.0, c_labels, s_labels), content)


# ----------------------------------------------------------------------------
# Label maps
# ----------------------------------------------------------------------------

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def _colour_map(layout, palette):
    return np.array([[palette[k] for k in row] for row in layout], np.uint8)


def test_colour_and_index_label_maps_are_read(tmp_path):
    layout_a = ["rrgg", "rrgg", "bbbb"]
    layout_b = ["gwwr", "bbbr"]
    palette = {"r": RED, "g": GREEN, "b": BLUE, "w": WHITE}
    Image.fromarray(_colour_map(layout_a, palette), "RGB").save(tmp_path / "a.png")
    Image.fromarray(_colour_map(layout_b, palette), "RGB").save(tmp_path / "b.png")
    a, b = labels.read_label_map(tmp_path / "a.png"), labels.read_label_map(tmp_path / "b.png")
    assert a.shape == (3, 4) and b.shape == (2, 4) and a.dtype == np.int32
    assert len(np.unique(a)) == 3 and len(np.unique(b)) == 4
    # Equal colours are equal labels, within a map and across maps; different ones differ.
    ids = {}
    for layout, got in ((layout_a, a), (layout_b, b)):
        for y, row in enumerate(layout):
            for x, key in enumerate(row):
                assert ids.setdefault(key, got[y, x]) == got[y, x], key
    assert len(set(ids.values())) == 4
    # An index image: the values are the labels.
    index = np.array([[0, 0, 7], [200, 7, 0]], np.uint8)
    Image.fromarray(index, "L").save(tmp_path / "index.png")
    np.testing.assert_array_equal(labels.read_label_map(tmp_path / "index.png"), index)
    # Arrays: integers as they are, float colours in [0, 1] like uint8 ones.
    np.testing.assert_array_equal(labels.read_label_map(index.astype(np.int64)), index)
    np.testing.assert_array_equal(
        labels.read_label_map(_colour_map(layout_a, palette).astype(np.float32) / 255), a)


def test_palette_pngs_are_colour_coded_maps(tmp_path):
    layout = np.array([[0, 0, 1, 1]] * 3, np.uint8)
    for name, pixels, palette in (("a.png", layout, RED + BLUE), ("b.png", 1 - layout, BLUE + RED)):
        img = Image.fromarray(pixels, "P")
        img.putpalette(palette + (0,) * (768 - 6))
        img.save(tmp_path / name)
    a, b = labels.read_label_map(tmp_path / "a.png"), labels.read_label_map(tmp_path / "b.png")
    # Both show red on the left and blue on the right.
    np.testing.assert_array_equal(a, b)


def test_the_blended_edges_of_drawn_maps_join_a_label():
    drawn = np.zeros((20, 20, 3), np.uint8)
    drawn[:, :10] = RED
    drawn[:, 10:] = BLUE
    drawn[3, 9] = (200, 0, 60)  # anti-aliasing: a reddish purple, 1 px of 400
    drawn[7, 10] = (70, 0, 190)  # a bluish one
    got = labels.read_label_map(drawn)
    assert len(np.unique(got)) == 2
    assert got[3, 9] == got[0, 0] and got[7, 10] == got[0, 19] and got[0, 0] != got[0, 19]


def test_a_photo_is_no_label_map():
    y, x = np.mgrid[0:64, 0:64]
    photo = np.stack([x * 4, y * 4, (x * y) % 256], -1).astype(np.uint8)  # 4096 colours
    photo[:16] = WHITE  # a blown-out sky: one colour covers a quarter
    assert len(np.unique(photo.reshape(-1, 3), axis=0)) > labels.MAX_LABELS
    with pytest.raises(ConfigError, match="is it a label map"):
        labels.pair(photo, photo, (64, 64), (64, 64))


def test_label_map_pairs_are_checked(tmp_path):
    content = np.zeros((6, 8), np.int32)
    content[:, 4:] = 1
    style = np.zeros((4, 4), np.int32)
    style[2:] = 1
    assert labels.pair(None, None, (12, 16), (4, 4)) is None
    got_c, got_s = labels.pair(content, style, (12, 16), (8, 8), originals=((6, 8), (4, 4)))
    np.testing.assert_array_equal(got_c, content.repeat(2, 0).repeat(2, 1))  # nearest
    np.testing.assert_array_equal(got_s, style.repeat(2, 0).repeat(2, 1))
    with pytest.raises(ConfigError, match="pairs"):
        labels.pair(content, None, (6, 8), (4, 4))
    with pytest.raises(ConfigError, match="pairs"):
        labels.pair(None, style, (6, 8), (4, 4))
    with pytest.raises(ConfigError, match="style_labels is 4x4 px but its image is 5x4"):
        labels.pair(content, style, (6, 8), (4, 4), originals=((6, 8), (4, 5)))
    with pytest.raises(ConfigError, match="content_labels .* must match its photo"):
        labels.pair(content, style, (6, 8), (4, 4), originals=((6, 9), (4, 4)))
    many = np.arange(17 * 17, dtype=np.int32).reshape(17, 17)  # 289 > MAX_LABELS
    assert len(np.unique(many)) > labels.MAX_LABELS
    with pytest.raises(ConfigError, match="is it a label map"):
        labels.pair(content, many, (6, 8), (17, 17))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    with pytest.raises(ImageError, match="not a readable label map"):
        labels.read_label_map(tmp_path / "broken.png")
    with pytest.raises(ImageError, match="no such file"):
        labels.pair(tmp_path / "missing.png", style, (6, 8), (4, 4))


# ----------------------------------------------------------------------------
# The official release's files, against a numpy reference of its torch layers
# ----------------------------------------------------------------------------

# The release's layers (clovaai/WCT2 model.py), [out, in, kh, kw], written out
# here rather than taken from tfstyle.
ENCODER_SHAPES = {
    "conv0": (3, 3, 1, 1), "conv1_1": (64, 3, 3, 3), "conv1_2": (64, 64, 3, 3),
    "conv2_1": (128, 64, 3, 3), "conv2_2": (128, 128, 3, 3), "conv3_1": (256, 128, 3, 3),
    "conv3_2": (256, 256, 3, 3), "conv3_3": (256, 256, 3, 3), "conv3_4": (256, 256, 3, 3),
    "conv4_1": (512, 256, 3, 3)}
DECODER_SHAPES = {
    "sum": {"conv4_1": (256, 512, 3, 3), "conv3_4": (256, 256, 3, 3), "conv3_3": (256, 256, 3, 3),
            "conv3_2": (256, 256, 3, 3), "conv3_1": (128, 256, 3, 3), "conv2_2": (128, 128, 3, 3),
            "conv2_1": (64, 128, 3, 3), "conv1_2": (64, 64, 3, 3), "conv1_1": (3, 64, 3, 3)},
    "cat5": {"conv4_1": (256, 512, 3, 3), "conv3_4_2": (256, 1280, 3, 3),
             "conv3_3": (256, 256, 3, 3), "conv3_2": (256, 256, 3, 3), "conv3_1": (128, 256, 3, 3),
             "conv2_2_2": (128, 640, 3, 3), "conv2_1": (64, 128, 3, 3),
             "conv1_2_2": (64, 320, 3, 3), "conv1_1": (3, 64, 3, 3)}}


def _haar_state(prefix, channels):
    return {f"{prefix}.{band}.weight": np.broadcast_to(HAAR[band], (channels, 1, 2, 2)).copy()
            for band in BANDS}


def _convs_state(shapes, rng, gain):
    state = {}
    for name, shape in shapes.items():
        fan_in = shape[1] * shape[2] * shape[3]
        std = gain * np.sqrt(2.0 / fan_in)
        state[f"{name}.weight"] = rng.normal(0, std, shape).astype(np.float32)
        state[f"{name}.bias"] = rng.normal(0.02, 0.02, shape[0]).astype(np.float32)
    return state


def _release_states(kind, seed):
    rng = np.random.default_rng(seed)
    enc = _convs_state(ENCODER_SHAPES, rng, 1.0)
    for i, channels in ((1, 64), (2, 128), (3, 256)):
        enc.update(_haar_state(f"pool{i}", channels))
    dec = _convs_state(DECODER_SHAPES[kind], rng, 0.8)
    for i, channels in ((3, 256), (2, 128), (1, 64)):
        dec.update(_haar_state(f"recon_block{i}", channels))
    return enc, dec


STATES = {kind: _release_states(kind, seed) for kind, seed in (("sum", 21), ("cat5", 22))}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """wave_{encoder,decoder}_{sum,cat5}_l4.pth, in both of torch's formats."""
    folder = tmp_path_factory.mktemp("wct2")
    paths = {}
    legacy, zipped = torch_writer.legacy_bytes, torch_writer.zip_bytes
    for kind, enc_writer, dec_writer in (("cat5", legacy, zipped), ("sum", zipped, legacy)):
        enc, dec = STATES[kind]
        paths[kind] = (folder / f"wave_encoder_{kind}_l4.pth",
                       folder / f"wave_decoder_{kind}_l4.pth")
        paths[kind][0].write_bytes(enc_writer(enc))
        paths[kind][1].write_bytes(dec_writer(dec))
    return paths


@pytest.fixture(scope="module")
def official(release):
    return {kind: model_lib.Photoreal(*torch_import.read_official(*release[kind]))
            for kind in ("sum", "cat5")}


# numpy reference of the torch layers: [C, H, W] float64, OIHW kernels.
def _conv(x, weight, bias, pad=True):
    if pad:  # nn.ReflectionPad2d(1)
        x = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    k = weight.shape[-1]
    h, w = x.shape[1] - k + 1, x.shape[2] - k + 1
    out = np.zeros((weight.shape[0], h, w))
    for dy in range(k):
        for dx in range(k):
            out += np.einsum("oc,chw->ohw", weight[:, :, dy, dx].astype(np.float64),
                             x[:, dy:dy + h, dx:dx + w])
    return out + bias[:, None, None]


def _pool(x, weight):  # Conv2d(C, C, 2, stride=2, groups=C, bias=False)
    c, h, w = x.shape
    return np.einsum("ciyjx,cyx->cij", x.reshape(c, h // 2, 2, w // 2, 2), weight[:, 0])


def _unpool(x, weight):  # ConvTranspose2d(C, C, 2, stride=2, groups=C, bias=False)
    c, h, w = x.shape
    return np.einsum("cij,cyx->ciyjx", x, weight[:, 0]).reshape(c, 2 * h, 2 * w)


class _Release:
    """clovaai/WCT2's WaveEncoder.encode / WaveDecoder.decode, level by level."""

    def __init__(self, kind):
        self.kind = kind
        self.enc, self.dec = STATES[kind]

    def _rc(self, state, name, x):
        return np.maximum(_conv(x, state[f"{name}.weight"], state[f"{name}.bias"]), 0)

    def _wave_pool(self, i, x, skips):
        ll, lh, hl, hh = (_pool(x, self.enc[f"pool{i}.{b}.weight"]) for b in BANDS)
        skips[f"pool{i}"] = [lh, hl, hh]
        return ll

    def encode(self, x, skips, level):
        rc = lambda name, t: self._rc(self.enc, name, t)  # noqa: E731
        if self.kind == "sum":  # every level ends with its pooling
            if level == 1:
                x = _conv(x, self.enc["conv0.weight"], self.enc["conv0.bias"], pad=False)
                x = rc("conv1_2", rc("conv1_1", x))
            elif level == 2:
                x = rc("conv2_2", rc("conv2_1", x))
            elif level == 3:
                x = rc("conv3_4", rc("conv3_3", rc("conv3_2", rc("conv3_1", x))))
            else:
                return rc("conv4_1", x)
            last = {1: "conv1_2", 2: "conv2_2", 3: "conv3_4"}[level]
            skips[last] = x
            return self._wave_pool(level, x, skips)
        if level == 1:  # cat5: every level ends with a conv
            x = _conv(x, self.enc["conv0.weight"], self.enc["conv0.bias"], pad=False)
            return rc("conv1_1", x)
        names = {2: ("conv1_2",), 3: ("conv2_2",), 4: ("conv3_2", "conv3_3", "conv3_4")}[level]
        for name in names:
            x = rc(name, x)
        skips[names[-1]] = x
        return rc(f"conv{level}_1", self._wave_pool(level - 1, x, skips))

    def decode(self, x, skips, level):
        rc = lambda name, t: self._rc(self.dec, name, t)  # noqa: E731
        cat = "_2" if self.kind == "cat5" else ""
        if level == 1:
            return _conv(x, self.dec["conv1_1.weight"], self.dec["conv1_1.bias"])
        first, block, after, original = {
            4: ("conv4_1", 3, ["conv3_4" + cat, "conv3_3", "conv3_2"], "conv3_4"),
            3: ("conv3_1", 2, ["conv2_2" + cat], "conv2_2"),
            2: ("conv2_1", 1, ["conv1_2" + cat], "conv1_2")}[level]
        x = rc(first, x)
        parts = [_unpool(t, self.dec[f"recon_block{block}.{b}.weight"])
                 for t, b in zip([x] + skips[f"pool{block}"], BANDS)]
        x = sum(parts) if self.kind == "sum" else np.concatenate(parts + [skips[original]], 0)
        for name in after:
            x = rc(name, x)
        return x

    def forward(self, image):
        x, skips, levels = image.transpose(2, 0, 1).astype(np.float64), {}, {}
        for level in (1, 2, 3, 4):
            x = levels[level] = self.encode(x, skips, level)
        features = x
        for level in (4, 3, 2, 1):
            x = self.decode(x, skips, level)
        return levels, features, skips, x


def _chw_close(got, expected, what):
    got = np.asarray(got)[0].transpose(2, 0, 1)
    assert got.shape == expected.shape, what
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max(),
                               err_msg=what)


def test_release_files_are_read_and_their_kinds_detected(release, official):
    for kind in ("sum", "cat5"):
        enc_path, dec_path = release[kind]
        got_kind, layers = torch_import.read_decoder(dec_path)
        assert got_kind == kind
        assert set(layers) == {name for name, _, _ in networks.DECODER_CONVS}
        official_name = "conv3_4_2" if kind == "cat5" else "conv3_4"
        np.testing.assert_array_equal(  # OIHW -> HWIO
            layers["dec3_4"][0], STATES[kind][1][f"{official_name}.weight"].transpose(2, 3, 1, 0))
        encoder = torch_import.read_encoder(enc_path)
        assert encoder["conv0"][0].shape == (1, 1, 3, 3)
        np.testing.assert_array_equal(encoder["conv4_1"][1], STATES[kind][0]["conv4_1.bias"])
        assert official[kind].kind == kind
    loaded = model_lib.load_model(release["sum"])
    assert loaded.kind == "sum" and loaded.source == "official"


@pytest.mark.parametrize("kind", ["sum", "cat5"])
def test_official_networks_match_the_torch_layers(official, kind):
    image = RNG.uniform(0, 1, (16, 16, 3)).astype(np.float32)
    _, features, skips, output = _Release(kind).forward(image)
    model = official[kind]
    got_features, got_skips = model.encoder(tf.constant(image[None]))
    _chw_close(got_features, features, "relu4_1")
    for pool in ("pool1", "pool2", "pool3"):
        for band, got, want in zip(BANDS[1:], got_skips[pool], skips[pool]):
            _chw_close(got, want, f"{pool} {band}")
    for name in ("conv1_2", "conv2_2", "conv3_4"):
        _chw_close(got_skips[name], skips[name], name)
    got = model.decoder(got_features, got_skips)
    _chw_close(got, output, "decoder output")
    assert np.abs(output).max() > 0.05 and output.std() > 0.01  # not a degenerate reference
    # reconstruct: the same through [0, 1] clipping.
    np.testing.assert_allclose(model.reconstruct(image), np.clip(output.transpose(1, 2, 0), 0, 1),
                               atol=1e-4 * np.abs(output).max())


@pytest.mark.parametrize("kind", ["sum", "cat5"])
def test_official_models_stylize(official, kind):
    image = RNG.uniform(0, 1, (16, 24, 3)).astype(np.float32)
    style = RNG.uniform(0, 1, (16, 16, 3)).astype(np.float32) ** 2
    model = official[kind]
    np.testing.assert_allclose(model.stylize(image, style, alpha=0.0, size=None, style_size=None),
                               model.reconstruct(image), atol=1e-5)
    out = model.stylize(image, style, size=None, style_size=None)
    assert out.shape == (16, 24, 3) and np.isfinite(out).all()


@pytest.mark.parametrize("kind", ["sum", "cat5"])
def test_encoder_levels_are_the_releases_transfer_points(official, kind):
    image = RNG.uniform(0, 1, (16, 16, 3)).astype(np.float32)
    levels, _, _, _ = _Release(kind).forward(image)
    encoded = official[kind].encode(image)
    for level in (1, 2, 3, 4):
        _chw_close(encoded.encoder[level], levels[level], f"encoder level {level}")


def _zip_pickle(obj):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(obj, protocol=2))
        archive.writestr("archive/version", "3\n")
    return out.getvalue()


def test_bad_release_files_are_clear_errors(tmp_path, release):
    enc, dec = STATES["cat5"]
    path = tmp_path / "bad.pth"

    def fails(reader, data, message):
        path.write_bytes(data)
        with pytest.raises(WeightsError, match=message):
            reader(path)

    fails(torch_import.read_encoder, torch_writer.zip_bytes(
        dict(enc, **{"conv2_1.weight": np.zeros((128, 64, 5, 5), np.float32)})),
        r"conv2_1 has shape \(128, 64, 5, 5\), expected \(128, 64, 3, 3\)")
    fails(torch_import.read_encoder, torch_writer.legacy_bytes(
        {k: v for k, v in enc.items() if k != "conv3_3.bias"}), "no 'conv3_3.bias'")
    fails(torch_import.read_encoder, torch_writer.zip_bytes(
        dict(enc, **{"conv1_1.bias": np.full(64, np.inf, np.float32)})), "non-finite")
    # A cat5 decoder whose conv3_4_2 takes the sum decoder's input.
    fails(torch_import.read_decoder, torch_writer.zip_bytes(
        dict(dec, **{"conv3_4_2.weight": np.zeros((256, 256, 3, 3), np.float32)})),
        r"conv3_4_2 has shape \(256, 256, 3, 3\), expected \(256, 1280, 3, 3\)")
    fails(torch_import.read_decoder, torch_writer.zip_bytes(
        {k: v for k, v in dec.items() if not k.startswith("conv2_1.")}), "no 'conv2_1.weight'")
    fails(torch_import.read_encoder, _zip_pickle([1, 2, 3]), "holds a list, not a state_dict")
    fails(torch_import.read_decoder, b"just some text, not a checkpoint", "torch file")
    with pytest.raises(WeightsError, match="no such file"):
        torch_import.read_official(tmp_path / "missing.pth", release["cat5"][1])
    # The encoder given as the decoder (and the other way round).
    with pytest.raises(WeightsError, match="wave_decoder: conv4_1 has shape"):
        torch_import.read_official(*release["sum"][::-1])
    # Decoder layers of the other kind are refused by the model too.
    _, sum_layers = torch_import.read_decoder(release["sum"][1])
    with pytest.raises(WeightsError, match="a cat5 decoder needs"):
        model_lib.Photoreal(torch_import.read_encoder(release["sum"][0]), sum_layers, "cat5")


def test_a_state_dict_of_non_tensors_is_a_weights_error(tmp_path):
    path = tmp_path / "strings.pth"
    path.write_bytes(_zip_pickle({"conv0.weight": "abc", "conv0.bias": "def"}))
    with pytest.raises(WeightsError):
        torch_import.read_encoder(path)


def test_release_files_with_other_fixed_filters_are_refused(tmp_path):
    enc, _ = STATES["sum"]
    swapped = dict(enc, **{"pool2.LH.weight": enc["pool2.HL.weight"],
                           "pool2.HL.weight": enc["pool2.LH.weight"]})
    path = tmp_path / "swapped.pth"
    path.write_bytes(torch_writer.zip_bytes(swapped))
    with pytest.raises(WeightsError, match="pool2.LH"):
        torch_import.read_encoder(path)


# ----------------------------------------------------------------------------
# The model's plumbing, with VGG-shaped fake weights and an untrained decoder
# ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def encoder_layers(fake_weights, fake_factors):
    return networks.imagenet_encoder(fake_weights, fake_factors["max"])


@pytest.fixture(scope="module")
def untrained(encoder_layers):
    """An untrained cat5 decoder, except that its last conv (zeros at first:
    a grey picture whatever the input) gets small random weights, so the output
    depends on what goes in."""
    layers = networks.Decoder("cat5", seed=3).layer_weights()
    kernel, bias = layers["dec1_1"]
    assert not kernel.any() and (bias == 0.5).all()
    kernel = np.random.default_rng(4).normal(0, 0.02, kernel.shape).astype(np.float32)
    layers["dec1_1"] = (kernel, bias)
    return model_lib.Photoreal(encoder_layers, layers, "cat5")


@pytest.fixture(scope="module")
def pictures():
    rng = np.random.default_rng(8)
    y, x = np.mgrid[0:24, 0:40] / 40.0
    content = np.clip(np.stack([x, 0.3 + 0 * x, y], -1) + rng.normal(0, 0.05, (24, 40, 3)), 0, 1)
    style = rng.uniform(0, 1, (16, 16, 3)) ** np.array([3.0, 1.0, 0.3])
    return content.astype(np.float32), style.astype(np.float32)


def test_imagenet_encoder_starts_with_the_caffe_preprocessing(fake_weights, fake_factors,
                                                              encoder_layers):
    from tfstyle.core.vgg import build_extractor

    image = RNG.uniform(0, 1, (16, 16, 3)).astype(np.float32)
    encoder = networks.Encoder(encoder_layers)
    ours = encoder.level(1, tf.constant(image[None]), {}).numpy()[0]
    keras_vgg = build_extractor(fake_weights, ["block1_conv1"], pooling="max",
                                factors=fake_factors["max"])
    theirs = keras_vgg(tf.constant(image[None]))["block1_conv1"].numpy()[0]
    # Reflection against zero padding: only the border differs.
    np.testing.assert_allclose(ours[1:-1, 1:-1], theirs[1:-1, 1:-1], rtol=1e-4,
                               atol=1e-4 * np.abs(theirs).max())


@pytest.fixture(scope="module")
def stylized(untrained, pictures):
    """The decoder's reconstruction, alpha = 0, every transfer_at subset, and the
    content given as its own style (the WCT is the stylizations' whole cost, so
    they are made once)."""
    content, style = pictures
    kw = dict(size=None, style_size=None)
    out = {"plain": untrained.reconstruct(content),
           "alpha0": untrained.stylize(content, style, alpha=0.0, **kw),
           "self": untrained.stylize(content, content, **kw)}
    for places in ALL_PLACES:
        out[places] = untrained.stylize(content, style, transfer_at=places, **kw)
    return out


def test_stylize_at_every_place(stylized):
    plain = stylized["plain"]
    assert plain.shape == (24, 40, 3) and plain.std() > 1e-3
    np.testing.assert_allclose(stylized["alpha0"], plain, atol=1e-5)
    for places in ALL_PLACES:
        out = stylized[places]
        assert out.shape == (24, 40, 3) and out.dtype == np.float32, places
        assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1, places
        assert np.abs(out - plain).mean() > 1e-4, places  # the style did something
    for a, b in (("encoder",), ("skip",)), (("skip",), ("decoder",)), (("encoder",), ("decoder",)):
        assert np.abs(stylized[a] - stylized[b]).mean() > 1e-4, (a, b)


def test_a_photo_as_its_own_style_comes_back(stylized):
    # Content and style features meet at the same places: every WCT is the identity.
    np.testing.assert_allclose(stylized["self"], stylized["plain"], atol=2e-4)


def test_stylize_with_label_maps(untrained, pictures, stylized, caplog, monkeypatch):
    # The command line (run in-process by other tests) stops tfstyle's messages
    # from reaching the root logger, where caplog listens.
    monkeypatch.setattr(logging.getLogger("tfstyle"), "propagate", True)
    content, style = pictures
    kw = dict(size=None, style_size=None)
    c_labels = np.zeros((24, 40), np.int32)
    c_labels[:, 20:] = 1
    c_labels[:8, :8] = 7  # the style has no 7
    s_labels = np.zeros((16, 16), np.int32)
    s_labels[8:] = 1
    with caplog.at_level(logging.INFO, logger="tfstyle.wct2.model"):
        out = untrained.stylize(content, style, content_labels=c_labels, style_labels=s_labels,
                                **kw)
    assert out.shape == (24, 40, 3) and np.isfinite(out).all() and 0 <= out.min() <= out.max() <= 1
    said = [r.getMessage() for r in caplog.records if r.name == "tfstyle.wct2.model"]
    assert any(re.search(r"labels \[[^\]]*\b7\] are in one image only", m) for m in said), said
    assert np.abs(out - stylized[ALL_PLACES[-1]]).mean() > 1e-4
    # One region in each map: the same as no maps (given regions large enough
    # at every level: a 32 px style, the skips).
    big_style = np.random.default_rng(10).uniform(0, 1, (32, 32, 3)).astype(np.float32) ** 2
    skip = dict(kw, transfer_at=("skip",))
    np.testing.assert_allclose(
        untrained.stylize(content, big_style, content_labels=np.full((24, 40), 3),
                          style_labels=np.full((32, 32), 3), **skip),
        untrained.stylize(content, big_style, **skip), atol=1e-5)
    # The maps follow their images when these are resized (size=16: 10x16 and 16x16).
    small = untrained.stylize(content, style, content_labels=c_labels, style_labels=s_labels,
                              size=16, style_size=16, transfer_at=("skip",))
    assert small.shape == (10, 16, 3) and np.isfinite(small).all()
    with pytest.raises(ConfigError, match="must match its photo"):
        untrained.stylize(content, style, content_labels=c_labels[:, :20], style_labels=s_labels)
    with pytest.raises(ConfigError, match="pairs"):
        untrained.stylize(content, style, content_labels=c_labels)


def test_small_images(untrained):
    rng = np.random.default_rng(9)
    content = rng.uniform(0, 1, (16, 16, 3)).astype(np.float32)
    style = rng.uniform(0, 1, (12, 16, 3)).astype(np.float32)
    out = untrained.stylize(content, style, size=None, style_size=None)
    assert out.shape == (16, 16, 3) and np.isfinite(out).all()
    out = untrained.stylize(rng.uniform(0, 1, (13, 20, 3)).astype(np.float32), style, size=None,
                            transfer_at=("skip",))
    assert out.shape == (13, 20, 3) and np.isfinite(out).all()


def test_eight_pixel_images(untrained):
    content = np.full((8, 12, 3), 0.5, np.float32)
    assert untrained.stylize(content, content, size=None, style_size=None).shape == (8, 12, 3)


def test_decoder_save_and_read_back(untrained, encoder_layers, pictures, tmp_path):
    path = tmp_path / "decoder.npz"
    untrained.save(path)
    kind, layers = model_lib.read_decoder(path)
    assert kind == "cat5"
    mine = untrained.decoder.layer_weights()
    assert set(layers) == set(mine)
    for name, (kernel, bias) in mine.items():
        assert layers[name][0].dtype == np.float32
        np.testing.assert_allclose(layers[name][0], kernel, rtol=1e-3, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(layers[name][1], bias, rtol=1e-3, atol=1e-6, err_msg=name)
    again = model_lib.Photoreal(encoder_layers, layers, kind)
    content, _ = pictures
    np.testing.assert_allclose(again.reconstruct(content), untrained.reconstruct(content),
                               atol=2e-3)

    (tmp_path / "text.npz").write_text("not numpy at all")
    with pytest.raises(WeightsError, match="not a tfstyle photoreal decoder"):
        model_lib.read_decoder(tmp_path / "text.npz")
    np.savez(tmp_path / "other.npz", kind=np.array("cat5"), weights=np.zeros(3))
    with pytest.raises(WeightsError, match="not a tfstyle photoreal decoder"):
        model_lib.read_decoder(tmp_path / "other.npz")
    with pytest.raises(WeightsError, match="no such file"):
        model_lib.read_decoder(tmp_path / "missing.npz")


def test_broken_decoder_files_are_weights_errors(tmp_path):
    np.savez_compressed(tmp_path / "whole.npz", kind=np.array("sum"), x=np.zeros(500, np.float16))
    (tmp_path / "cut.npz").write_bytes((tmp_path / "whole.npz").read_bytes()[:200])
    np.save(tmp_path / "array.npy", np.zeros(3))
    for name in ("cut.npz", "array.npy"):
        with pytest.raises(WeightsError):
            model_lib.read_decoder(tmp_path / name)


def test_transfer_at_and_alpha_are_checked(untrained, pictures):
    assert model_lib.check_transfer_at("skip") == ("skip",)
    assert model_lib.check_transfer_at(["decoder", "encoder"]) == ("decoder", "encoder")
    for wrong in ("everywhere", ["encoder", "bottleneck"], []):
        with pytest.raises(ConfigError, match="transfer_at` must name"):
            model_lib.check_transfer_at(wrong)
    content, style = pictures
    with pytest.raises(ConfigError, match="transfer_at` must name"):
        untrained.stylize(content, style, transfer_at=("encoder", "middle"))
    with pytest.raises(ConfigError, match="alpha` must be in"):
        untrained.stylize(content, style, alpha=1.5)
    with pytest.raises(ConfigError, match="kind` must be one of"):
        model_lib.Photoreal({}, None, kind="concat")


def test_tensor_function_matches_stylize_and_maps_a_dataset(untrained, pictures):
    """`stylize_tensor` (traceable, TensorFlow's float64 WCT) gives `stylize`'s image,
    in a tf.data map too, for one image or a batch."""
    content, style = pictures
    content = content[:16, :32]  # sides multiples of 8: no padding on either path
    from tfstyle.wct2.config import PhotorealConfig

    encoded = untrained.encode_style(style, PhotorealConfig(style_size=None))
    for places in (("decoder",), model_lib.PLACES):  # the default, and every place
        transforms = untrained.style_transforms(encoded, places)
        expected = untrained.stylize(content, encoded, size=None, transfer_at=places)
        one = untrained.stylize_tensor(content, transforms).numpy()
        np.testing.assert_allclose(one, expected, atol=2e-3)
    # A batch of two unrelated images: each is clamped to its own range.
    other = (content[::-1] * 0.3).astype(np.float32)
    ds = tf.data.Dataset.from_tensor_slices(np.stack([content, other]))
    mapped = list(ds.map(lambda x: untrained.stylize_tensor(x, transforms)).as_numpy_iterator())
    np.testing.assert_allclose(mapped[0], expected, atol=2e-3)
    batch = untrained.stylize_tensor(np.stack([content, other]), transforms).numpy()
    np.testing.assert_allclose(batch[1], mapped[1], atol=1e-4)
    assert not np.allclose(batch[0], batch[1], atol=1e-2)


def test_a_style_prepared_for_every_place_serves_any_of_them(untrained, pictures):
    content, style = pictures
    from tfstyle.wct2.config import PhotorealConfig

    encoded = untrained.encode_style(style, PhotorealConfig(style_size=None))
    every = untrained.style_statistics(encoded, model_lib.PLACES)
    for places in (("decoder",), ("encoder", "skip", "decoder")):
        np.testing.assert_allclose(
            untrained.stylize(content, every, size=None, transfer_at=places),
            untrained.stylize(content, style, size=None, style_size=None, transfer_at=places),
            atol=1e-4)
    only_decoder = untrained.style_statistics(encoded, ("decoder",))
    for places in (("encoder",), ("skip",)):
        with pytest.raises(ConfigError, match="prepared for other places"):
            untrained.stylize(content, only_decoder, size=None, transfer_at=places)


def test_style_statistics_give_the_same_transfer_as_the_features():
    rng = np.random.default_rng(3)
    content = rng.normal(size=(12, 16, 6)).astype(np.float32)
    style = (rng.normal(size=(10, 14, 6)) * 2 + 1).astype(np.float32)
    whole = wct.transfer_features(content, style, 0.7)
    np.testing.assert_allclose(wct.transfer_features(content, wct.style_statistics(style), 0.7),
                               whole, atol=1e-5)
    c_labels = np.repeat(np.array([[0] * 8 + [1] * 8]), 12, axis=0)
    s_labels = np.repeat(np.array([[1] * 7 + [0] * 7]), 10, axis=0)
    seen_a, seen_b = set(), set()
    by_features = wct.transfer_features(content, style, 1.0, c_labels, s_labels, report=seen_a)
    by_stats = wct.transfer_features(content, wct.style_statistics(style, s_labels), 1.0,
                                     c_labels, report=seen_b)
    np.testing.assert_allclose(by_stats, by_features, atol=1e-5)
    assert seen_a == seen_b
    assert not np.allclose(by_features, whole)  # the labels did change the transfer
