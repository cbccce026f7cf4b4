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


def _solid(rgb, shape=(30, 40)):
    return np.broadcast_to(np.array(rgb, np.float32), (*shape, 3)).copy()


def test_invented_chroma_counts_colours_neither_reference_has():
    red, blue, green = _solid((0.8, 0.1, 0.1)), _solid((0.1, 0.1, 0.8)), _solid((0.1, 0.7, 0.1))
    assert metrics.invented_chroma(red, red, blue) == 0.0
    assert metrics.invented_chroma(green, red, blue) == 1.0
    half = np.concatenate([red, green])
    assert metrics.invented_chroma(half, red, blue) == pytest.approx(0.5)
    # A shade next to a present one is not new; a rare colour (under 1 % of a
    # reference) does not make it present.
    near = _solid((0.8, 0.12, 0.1))
    assert metrics.invented_chroma(near, red) == 0.0
    speckled = red.copy()
    speckled[0, :5] = (0.1, 0.7, 0.1)  # 5 of 1200 pixels green
    assert metrics.invented_chroma(green, speckled) == 1.0
    # Brightness alone is not chroma: a light grey against a dark grey.
    assert metrics.invented_chroma(_solid((0.5, 0.5, 0.5)), _solid((0.2, 0.2, 0.2))) == 0.0
    # Keeping every pixel (share 1) keeps the bins that hold them, not the whole plane.
    assert metrics.invented_chroma(green, red, share=1.0) == 1.0
    with pytest.raises(ValueError):
        metrics.invented_chroma(red)
