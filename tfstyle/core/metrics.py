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
    """Texture distance to a reference: the mean over `layers` (default
    GRAM_LAYERS) of ||G(x) - G(ref)||_F / ||G(ref)||_F, G the Gram matrix of
    the normalized VGG19's responses (0: the same statistics; layout does not
    count). Builds the network once; call it with (image, reference)."""

    def __init__(self, weights=None, layers=GRAM_LAYERS):
        from tfstyle.core import vgg
        from tfstyle.core.weights import find_vgg19_weights

        self.layers = tuple(layers)
        self.net = vgg.build_extractor(weights or find_vgg19_weights(), list(self.layers))

    def grams(self, image, size: Optional[int] = 256) -> Dict[str, np.ndarray]:
        x = as_image(image, size)
        out = self.net(x[None])
        grams = {}
        for name in self.layers:
            f = np.asarray(out[name][0], np.float64).reshape(-1, out[name].shape[-1])
            grams[name] = f.T @ f / len(f)
        return grams

    def __call__(self, image, reference, size: Optional[int] = 256) -> float:
        a = self.grams(image, size)
        b = reference if isinstance(reference, dict) else self.grams(reference, size)
        return float(np.mean([np.linalg.norm(a[n] - b[n]) / max(np.linalg.norm(b[n]), 1e-12)
                              for n in self.layers]))


# Chroma bins of `invented_chroma`: CIELAB a* and b* in [-128, 128), 4 units wide.
CHROMA_BIN, CHROMA_RANGE = 4.0, 128.0


def _chroma_bins(image) -> np.ndarray:
    """[H * W] bin indices of the pixels' CIELAB (a*, b*)."""
    from skimage.color import rgb2lab

    ab = rgb2lab(np.clip(as_image(image, None), 0, 1))[..., 1:].reshape(-1, 2)
    side = int(2 * CHROMA_RANGE / CHROMA_BIN)
    cells = np.clip(((ab + CHROMA_RANGE) / CHROMA_BIN).astype(int), 0, side - 1)
    return cells[:, 0] * side + cells[:, 1]


def chroma_support(image, share: float = 0.99) -> np.ndarray:
    """[bins] bool: the densest chroma bins of `image` that together hold
    `share` of its pixels, grown by one bin each way (a shade next to a
    present one is not new)."""
    side = int(2 * CHROMA_RANGE / CHROMA_BIN)
    counts = np.bincount(_chroma_bins(image), minlength=side * side).astype(np.float64)
    order = np.argsort(-counts, kind="stable")
    # The densest bins up to and including the one that crosses `share`.
    last = int(np.searchsorted(np.cumsum(counts[order]), share * counts.sum()))
    kept = order[:last + 1]
    kept = kept[counts[kept] > 0]
    support = np.zeros(side * side, bool)
    support[kept] = True
    grid = support.reshape(side, side)
    grown = grid.copy()
    for dy in (-1, 0, 1):  # np.roll wraps at the plane's edge, which sRGB never reaches
        for dx in (-1, 0, 1):
            grown |= np.roll(np.roll(grid, dy, 0), dx, 1)
    return grown.reshape(-1)


def invented_chroma(output, *references, share: float = 0.99) -> float:
    """The share of `output`'s pixels whose chroma (CIELAB a*, b*, 4-unit
    bins) lies outside every reference's `chroma_support` (its densest bins
    holding `share` of its pixels, one bin of margin): colours that neither
    the content nor the style has. 0: none invented."""
    if not references:
        raise ValueError("invented_chroma needs at least one reference image")
    support = np.zeros_like(chroma_support(references[0], share))
    for reference in references:
        support |= chroma_support(reference, share)
    return float(np.mean(~support[_chroma_bins(output)]))


def warping_error(frames, flows=None, inputs=None, preset: str = "medium") -> float:
    """The warping error of Lai et al. 2018: the mean over t of
    sum M_t ||V_t - warp(V_{t+1})||^2 / sum M_t, V the clip (frames [H, W, 3]
    in [0, 1]), warp by the flow from frame t to t+1 and M_t its
    non-occlusion mask (`flow.reliable`). The flows come from `flows` (a
    sequence of (forward, backward) pairs of `flow.Flow`'s layout) or are
    computed on `inputs`, the *input* clip's frames (not the stylized ones).
    Frames may be any iterable; only two are held at a time."""
    from tfstyle.core import flow as flow_lib

    if (flows is None) == (inputs is None):
        raise ValueError("give `flows` or `inputs`")
    estimate = flow_lib.Flow(preset) if inputs is not None else None
    pairs = iter(flows) if flows is not None else None
    inputs = iter(inputs) if inputs is not None else None
    errors, previous, previous_input = [], None, None
    for frame in frames:
        frame = np.asarray(frame, np.float32)
        current_input = next(inputs) if inputs is not None else None
        if previous is not None:
            if estimate is not None:
                forward = estimate(previous_input, current_input)
                backward = estimate(current_input, previous_input)
            else:
                forward, backward = next(pairs)
            mask = flow_lib.reliable(forward, backward)
            diff = ((previous - flow_lib.warp(frame, forward)) ** 2).sum(-1)
            errors.append(float((mask * diff).sum() / max(mask.sum(), 1.0)))
        previous, previous_input = frame, current_input
    if not errors:
        raise ValueError("the warping error needs at least two frames")
    return float(np.mean(errors))


# What looks thermal (issue 33). SSIM rewards a smooth, safe guess; these
# say whether an output has the real thermal image's crispness, fine detail
# and bright warm objects. Each is the output's value over the real one's
# (1: the same), both [H, W] grey in [0, 1] of one size.

# The detail band: the image minus its Gaussian blur of this sigma (px at 256 px).
DETAIL_SIGMA = 2.0
# `hot_contrast_ratio`'s hot pixels: the real thermal's brightest share.
HOT_SHARE = 0.05


def sharpness(image: np.ndarray) -> float:
    """Mean Sobel gradient magnitude of an [H, W] image."""
    from scipy import ndimage

    image = np.asarray(image, np.float64)
    return float(np.hypot(ndimage.sobel(image, 0), ndimage.sobel(image, 1)).mean())


def detail(image: np.ndarray, sigma: float = DETAIL_SIGMA) -> float:
    """Energy (mean square) of image - its Gaussian blur of `sigma` px."""
    from scipy import ndimage

    image = np.asarray(image, np.float64)
    return float(np.mean((image - ndimage.gaussian_filter(image, sigma)) ** 2))


def hot_contrast(image: np.ndarray, hot: np.ndarray) -> float:
    """(mean over `hot` - mean over the rest) / the image's std."""
    image = np.asarray(image, np.float64)
    spread = image.std()
    if not spread > 0 or hot.all() or not hot.any():
        return 0.0
    return float((image[hot].mean() - image[~hot].mean()) / spread)


def hot_pixels(reference: np.ndarray, share: float = HOT_SHARE) -> np.ndarray:
    """[H, W] bool: the reference's brightest `share` of pixels."""
    return reference >= np.quantile(reference, 1.0 - share)


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("nan")


def sharpness_ratio(output: np.ndarray, reference: np.ndarray) -> float:
    """Mean Sobel gradient magnitude of the output over the reference's."""
    return _ratio(sharpness(output), sharpness(reference))


def detail_ratio(output: np.ndarray, reference: np.ndarray) -> float:
    """Detail-band energy (image - Gaussian blur, sigma 2 px) of the output
    over the reference's."""
    return _ratio(detail(output), detail(reference))


def hot_contrast_ratio(output: np.ndarray, reference: np.ndarray) -> float:
    """How much the reference's hot things (its brightest 5 %) stand out in
    the output, over how much they stand out in the reference; 1: as much,
    0: not at all, below 0: darker than the rest."""
    hot = hot_pixels(reference)
    return _ratio(hot_contrast(output, hot), hot_contrast(reference, hot))


def thermal_look(output: np.ndarray, reference: np.ndarray) -> Dict[str, float]:
    """{"sharpness", "detail", "hot"}: the three ratios of one output."""
    return {"sharpness": sharpness_ratio(output, reference),
            "detail": detail_ratio(output, reference),
            "hot": hot_contrast_ratio(output, reference)}


class PooledFeatures:
    """A set-level realism measure's features: the normalized VGG19's conv5_1
    responses, mean- and max-pooled over the image (1,024 numbers, scaled
    to unit root-mean-square), in place of Inception's pool3. Builds the
    network once."""

    LAYER = "block5_conv1"

    def __init__(self, weights=None):
        from tfstyle.core import vgg
        from tfstyle.core.weights import find_vgg19_weights

        self.net = vgg.build_extractor(weights or find_vgg19_weights(), [self.LAYER])

    def __call__(self, image, size: Optional[int] = 256) -> np.ndarray:
        x = as_image(image, size)
        f = np.asarray(self.net(x[None])[self.LAYER][0], np.float64).reshape(-1, 512)
        pooled = np.concatenate([f.mean(0), f.max(0)])
        # Scaled to unit root-mean-square: the cubic kernel's x.y / D is then
        # of order one, as for Inception's pool3 features (raw normalized-VGG
        # maxima run to the hundreds, and the kernel would only see magnitude).
        return pooled / max(float(np.sqrt(np.mean(pooled ** 2))), 1e-12)


def kernel_inception_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The kernel inception distance (Bińkowski et al. 2018): the unbiased
    squared MMD between two sets of features ([N, D] and [M, D], N, M >= 2)
    with the cubic polynomial kernel k(x, y) = (x.y / D + 1)^3. Here on
    `PooledFeatures` (VGG19), so it is not comparable with published
    Inception-based KID or FID values; lower is closer, 0 in expectation for
    two samples of one distribution (it can dip below 0)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("the kernel inception distance needs at least two images per set")
    d = a.shape[1]
    k = lambda x, y: (x @ y.T / d + 1.0) ** 3  # noqa: E731
    kaa, kbb, kab = k(a, a), k(b, b), k(a, b)
    n, m = len(a), len(b)
    return float((kaa.sum() - np.trace(kaa)) / (n * (n - 1))
                 + (kbb.sum() - np.trace(kbb)) / (m * (m - 1)) - 2 * kab.mean())
