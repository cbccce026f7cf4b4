import numpy as np
import pytest

from tfstyle.core import color

RNG = np.random.default_rng(0)


def test_yiq_round_trip_and_luminance():
    image = RNG.uniform(0, 1, (5, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(color.yiq_to_rgb(color.rgb_to_yiq(image)), image, atol=1e-5)
    np.testing.assert_allclose(color.luminance(np.ones((2, 2, 3), np.float32)), 1.0, atol=1e-6)
    gray = np.full((2, 2, 3), 0.4, np.float32)
    np.testing.assert_allclose(color.rgb_to_yiq(gray)[..., 1:], 0.0, atol=1e-6)


def test_luminance_matching_is_eq8():
    style = RNG.uniform(0.0, 0.5, (30, 30)).astype(np.float32)
    content = RNG.normal(0.6, 0.1, (20, 20)).clip(0, 1).astype(np.float32)
    out = color.match_luminance(style, content)
    assert out.mean() == pytest.approx(content.mean(), abs=1e-3)
    assert out.std() == pytest.approx(content.std(), rel=1e-2)


def test_content_chroma_is_restored():
    content = RNG.uniform(0.2, 0.8, (4, 4, 3)).astype(np.float32)
    result_y = np.full((4, 4), 0.5, np.float32)
    out = color.with_content_chroma(result_y, content)
    np.testing.assert_allclose(color.luminance(out), 0.5, atol=1e-3)
    np.testing.assert_allclose(color.rgb_to_yiq(out)[..., 1:], color.rgb_to_yiq(content)[..., 1:],
                               atol=1e-3)


def test_histogram_matching_matches_mean_and_covariance():
    content = (RNG.uniform(0, 1, (40, 40, 3)) @ np.array(
        [[0.5, 0.1, 0.0], [0.1, 0.3, 0.1], [0.0, 0.2, 0.4]]) + 0.2).astype(np.float32)
    style = (RNG.uniform(0, 1, (50, 30, 3)) * [0.3, 0.2, 0.6] + [0.1, 0.4, 0.2]).astype(np.float32)
    out = color.match_color_histogram(style, content)
    assert out.shape == style.shape
    c, o = content.reshape(-1, 3), out.reshape(-1, 3)
    np.testing.assert_allclose(o.mean(0), c.mean(0), atol=2e-3)
    np.testing.assert_allclose(np.cov(o, rowvar=False), np.cov(c, rowvar=False), atol=2e-3)


def test_mean_std_transfer_matches_each_channel():
    image = RNG.uniform(0.3, 0.6, (20, 30, 3)).astype(np.float32)
    reference = RNG.uniform(0.2, 0.8, (25, 25, 3)).astype(np.float32) * [1.0, 0.5, 0.8]
    out = color.match_mean_std(image, reference)
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out.reshape(-1, 3).mean(0), reference.reshape(-1, 3).mean(0),
                               atol=0.02)
    np.testing.assert_allclose(out.reshape(-1, 3).std(0), reference.reshape(-1, 3).std(0),
                               atol=0.02)
    assert 0.0 <= out.min() and out.max() <= 1.0
    # A wide reference pushes values past [0, 1]: clipped, not wrapped; a flat
    # channel (no spread to scale) takes the reference's mean.
    flat = image.copy()
    flat[..., 2] = 0.5
    wide = color.match_mean_std(flat, np.stack([np.zeros((10, 10, 3)), np.ones((10, 10, 3))]))
    assert wide.min() == 0.0 and wide.max() == 1.0
    np.testing.assert_allclose(wide[..., 2], 0.5, atol=1e-6)
