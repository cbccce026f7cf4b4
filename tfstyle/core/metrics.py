"""Similarity of a result to a reference image, in grayscale: SSIM (Wang et
al. 2004, TensorFlow's `tf.image.ssim`: 11x11 Gaussian window, sigma 1.5),
Pearson's r of the pixel values (structure), and the distance between the
two intensity distributions (statistics, whatever the layout). Used to
measure how infrared-looking outputs compare with real thermal images of the
same scene."""

from typing import Dict, Optional

import numpy as np

from tfstyle.core.color import luminance
from tfstyle.core.errors import ImageError
from tfstyle.core.image import as_image


def gray(image, size: Optional[int] = 256) -> np.ndarray:
    """[H, W] luminance in [0, 1] of a path, PIL image or array, long side `size`."""
    return luminance(as_image(image, size))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """SSIM of two [H, W] grayscale images in [0, 1] of one size."""
    import tensorflow as tf

    return float(tf.image.ssim(tf.constant(a[..., None], tf.float32),
                               tf.constant(b[..., None], tf.float32), max_val=1.0))


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's r of the pixel values of two images of one size (0 if either is flat)."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator > 0 else 0.0


def intensity_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Earth mover's distance between the pixel-value distributions of two
    images of one size (mean |difference| of their sorted values; 0: the same
    histogram, in [0, 1] for images in [0, 1])."""
    return float(np.abs(np.sort(np.ravel(a)) - np.sort(np.ravel(b))).mean())


def compare(result, reference, size: Optional[int] = 256) -> Dict[str, float]:
    """{"ssim", "pearson", "intensity_distance"} of `result` against
    `reference` in grayscale, both resized to long side `size` (they must have
    the same aspect ratio)."""
    a, b = gray(result, size), gray(reference, size)
    if a.shape != b.shape:
        raise ImageError(f"result {a.shape[1]}x{a.shape[0]} and reference {b.shape[1]}x"
                         f"{b.shape[0]} differ in aspect ratio")
    return {"ssim": ssim(a, b), "pearson": pearson(a, b),
            "intensity_distance": intensity_distance(a, b)}


# The layers of Gatys et al.'s style representation (conv1_1 ... conv5_1).
GRAM_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


class GramDistance:
    """Texture distance to a reference: the mean over GRAM_LAYERS of
    ||G(x) - G(ref)||_F / ||G(ref)||_F, G the Gram matrix of the normalized
    VGG19's responses (0: the same statistics; layout does not count).
    Builds the network once; call it with (image, reference)."""

    def __init__(self, weights=None):
        from tfstyle.core import vgg
        from tfstyle.core.weights import find_vgg19_weights

        self.net = vgg.build_extractor(weights or find_vgg19_weights(), list(GRAM_LAYERS))

    def grams(self, image, size: Optional[int] = 256) -> Dict[str, np.ndarray]:
        x = as_image(image, size)
        out = self.net(x[None])
        grams = {}
        for name in GRAM_LAYERS:
            f = np.asarray(out[name][0], np.float64).reshape(-1, out[name].shape[-1])
            grams[name] = f.T @ f / len(f)
        return grams

    def __call__(self, image, reference, size: Optional[int] = 256) -> float:
        a = self.grams(image, size)
        b = reference if isinstance(reference, dict) else self.grams(reference, size)
        return float(np.mean([np.linalg.norm(a[n] - b[n]) / max(np.linalg.norm(b[n]), 1e-12)
                              for n in GRAM_LAYERS]))
