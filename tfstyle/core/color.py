"""Colour preservation (Gatys, Ecker, Bethge, Hertzmann & Shechtman,
"Controlling Perceptual Factors in Neural Style Transfer", CVPR 2017, section 5).

Two ways to keep the content photo's colours:

* luminance-only transfer: style transfer on the luminance channel alone
  (the style's luminance first matched to the content's mean and standard
  deviation), then the content's chroma put back, in YIQ;
* colour histogram matching: before transfer, an affine map x -> A x + b of
  the style image's colours so their mean and covariance equal the content's.

Images are float32 RGB [H, W, 3] in [0, 1], as everywhere in tfstyle.
"""

import numpy as np

# NTSC RGB -> YIQ, as in the paper (FCC 1953 coefficients).
_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                        [0.595716, -0.274453, -0.321263],
                        [0.211456, -0.522591, 0.311135]], np.float64)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ)

PRESERVE_COLOR = ("none", "luminance", "histogram")


def rgb_to_yiq(image: np.ndarray) -> np.ndarray:
    return (np.asarray(image, np.float64) @ _RGB_TO_YIQ.T).astype(np.float32)


def yiq_to_rgb(image: np.ndarray) -> np.ndarray:
    return (np.asarray(image, np.float64) @ _YIQ_TO_RGB.T).astype(np.float32)


def luminance(image: np.ndarray) -> np.ndarray:
    """Y of YIQ, [H, W]."""
    return rgb_to_yiq(image)[..., 0]


def gray_rgb(y: np.ndarray) -> np.ndarray:
    """A luminance map as a three-channel image (the network takes RGB)."""
    return np.repeat(np.clip(y, 0.0, 1.0)[..., None], 3, axis=-1).astype(np.float32)


def match_luminance(style_y: np.ndarray, content_y: np.ndarray) -> np.ndarray:
    """Paper eq. 8: L_s' = sigma_c / sigma_s * (L_s - mu_s) + mu_c."""
    s_mean, s_std = float(style_y.mean()), float(style_y.std())
    c_mean, c_std = float(content_y.mean()), float(content_y.std())
    scale = c_std / s_std if s_std > 1e-8 else 1.0
    return np.clip(scale * (style_y - s_mean) + c_mean, 0.0, 1.0).astype(np.float32)


def with_content_chroma(result_y: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Luminance from the result, I and Q from the content, back to RGB."""
    yiq = rgb_to_yiq(content)
    yiq[..., 0] = result_y
    return np.clip(yiq_to_rgb(yiq), 0.0, 1.0)


def _sqrtm(cov: np.ndarray, inverse: bool = False) -> np.ndarray:
    values, vectors = np.linalg.eigh(cov)
    values = np.maximum(values, 1e-10)
    power = -0.5 if inverse else 0.5
    return (vectors * values ** power) @ vectors.T


def match_color_histogram(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """Recolours `style` so its colour mean and covariance equal `content`'s.

    x' = A x + b with A = Sigma_c^(1/2) Sigma_s^(-1/2) (symmetric square roots,
    the paper's "image analogies" variant) and b = mu_c - A mu_s.
    """
    s = np.asarray(style, np.float64).reshape(-1, 3)
    c = np.asarray(content, np.float64).reshape(-1, 3)
    mu_s, mu_c = s.mean(0), c.mean(0)
    cov_s = np.cov(s, rowvar=False) + 1e-6 * np.eye(3)
    cov_c = np.cov(c, rowvar=False) + 1e-6 * np.eye(3)
    a = _sqrtm(cov_c) @ _sqrtm(cov_s, inverse=True)
    out = (s - mu_s) @ a.T + mu_c
    return np.clip(out, 0.0, 1.0).reshape(style.shape).astype(np.float32)


def check_mode(mode: str):
    if mode not in PRESERVE_COLOR:
        from tfstyle.core.errors import ConfigError

        raise ConfigError(f"`preserve_color` must be one of {PRESERVE_COLOR}, got {mode!r}")


def before_transfer(content: np.ndarray, style: np.ndarray, mode: str):
    """(content, style) as a method should see them to keep the content's
    colours with `mode` ('none', 'luminance' or 'histogram'): unchanged, the
    style's colours matched to the content's, or both as grey luminance."""
    check_mode(mode)
    if mode == "histogram":
        return content, match_color_histogram(style, content)
    if mode == "luminance":
        content_y = luminance(content)
        return gray_rgb(content_y), gray_rgb(match_luminance(luminance(style), content_y))
    return content, style


def after_transfer(image: np.ndarray, content: np.ndarray, mode: str) -> np.ndarray:
    """The method's output as the user gets it: with the content's chroma put
    back after a luminance-only transfer."""
    if mode == "luminance":
        return with_content_chroma(luminance(image), content)
    return image


def match_mean_std(image: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-channel colour transfer: each RGB channel of `image` moved to the
    mean and standard deviation of `reference`'s (clipped to [0, 1]). The
    plain baseline a photorealistic transfer should beat."""
    x = np.asarray(image, np.float64)
    r = np.asarray(reference, np.float64)
    mu_x, sd_x = x.reshape(-1, 3).mean(0), x.reshape(-1, 3).std(0)
    mu_r, sd_r = r.reshape(-1, 3).mean(0), r.reshape(-1, 3).std(0)
    out = (x - mu_x) / np.maximum(sd_x, 1e-6) * sd_r + mu_r
    return np.clip(out, 0.0, 1.0).astype(np.float32)
