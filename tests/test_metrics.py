"""SSIM and Pearson's r against hand-checkable cases."""

import numpy as np
import pytest

from tfstyle.core import metrics
from tfstyle.core.errors import ImageError

RNG = np.random.default_rng(3)


def test_identical_images_score_one_and_inversion_is_anticorrelated():
    image = RNG.uniform(0, 1, (40, 60, 3)).astype(np.float32)
    same = metrics.compare(image, image, size=None)
    assert same["ssim"] == pytest.approx(1.0, abs=1e-6) and same["pearson"] == pytest.approx(1.0)
    inverted = metrics.compare(1.0 - image, image, size=None)
    assert inverted["pearson"] == pytest.approx(-1.0, abs=1e-6)
    assert inverted["ssim"] < 0


def test_pearson_ignores_gain_and_offset_ssim_does_not():
    a = RNG.uniform(0, 1, (32, 32)).astype(np.float32)
    b = 0.5 * a + 0.2
    assert metrics.pearson(a, b) == pytest.approx(1.0)
    assert metrics.ssim(a, b) < 0.95
    assert metrics.pearson(a, np.full_like(a, 0.3)) == 0.0


def test_different_aspect_ratios_are_refused():
    with pytest.raises(ImageError, match="aspect ratio"):
        metrics.compare(np.zeros((40, 60, 3), np.float32), np.zeros((40, 40, 3), np.float32))


def test_intensity_distance_sees_histograms_not_layout():
    a = RNG.uniform(0, 1, (16, 16)).astype(np.float32)
    shuffled = RNG.permutation(a.ravel()).reshape(a.shape)
    assert metrics.intensity_distance(a, shuffled) == pytest.approx(0.0, abs=1e-7)
    assert metrics.intensity_distance(a, np.clip(a + 0.1, 0, 1)) == pytest.approx(0.1, abs=0.01)
