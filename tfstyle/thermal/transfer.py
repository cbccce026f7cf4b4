"""Rendering a photo as a thermal image: the fit's prediction, carried to
the output along the photo's own edges.

The prediction is linear in the features, so each layer is projected to one
channel at its own resolution and only that channel is upsampled: a 1024 px
output costs little more than a 256 px one. The guided filter (He et al.
2010, eq. 5-8: q = mean(a) * I + mean(b), a and b the local least-squares fit
of the prediction p on the guide I) then gives the map the photo's sharp
edges where photo and map agree locally, and none where they do not: paint,
print and shadows vanish, and the map keeps a thermal sensor's softness.
"""

import logging
from typing import Optional, Sequence

import numpy as np

from tfstyle.core.errors import ConfigError
from tfstyle.thermal.config import InfraredConfig
from tfstyle.thermal.fit import COLOUR, LAYERS, Fit, descriptor

log = logging.getLogger(__name__)

# The style-only route: WCT² of the photo at this alpha. Measured against
# histogram matching, Magenta's arbitrary network and other alphas in
# benchmarks/ir_bench.py (docs/infrared.md): the best mean SSIM over the
# scenes of the routes without pairs.
STYLE_ONLY_ALPHA = 0.5
# The texture step runs at most at this long side (memory; see Texture).
TEXTURE_MAX_SIDE = 1024
# The guided filter's eps (its edge threshold, in squared [0, 1] intensity):
# edges fainter than about 0.03 in the photo are smoothed over.
EDGE_EPS = 1e-3
# The trained route's split between the ridge map's band and the decoder's:
# a Gaussian of this sigma, in pixels of a 256 px image (measured against 1
# and 4 in docs/infrared.md).
SPLIT_SIGMA = 2.0


def box(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2r+1)^2 window, edges reflected."""
    from scipy.ndimage import uniform_filter

    return uniform_filter(image, 2 * radius + 1, mode="reflect")


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int,
                  eps: float = EDGE_EPS) -> np.ndarray:
    """He et al.'s guided filter of `source` by `guide` ([H, W] each)."""
    mean_i, mean_p = box(guide, radius), box(source, radius)
    a = (box(guide * source, radius) - mean_i * mean_p) / (box(guide * guide, radius)
                                                          - mean_i * mean_i + eps)
    b = mean_p - a * mean_i
    return box(a, radius) * guide + box(b, radius)


def edge_radius(config: InfraredConfig, shape) -> int:
    return max(1, round(config.edge_radius * max(shape) / 256))


def analysis_image(photo: np.ndarray, size: int) -> np.ndarray:
    """`photo` at long side `size`, refused when its short side would fall
    under 16 px (conv5_1 would see nothing)."""
    from tfstyle.core.errors import ImageError
    from tfstyle.core.image import as_image

    small = as_image(photo, size)
    if min(small.shape[:2]) < 16:
        raise ImageError(f"a {photo.shape[1]}x{photo.shape[0]} photo is {small.shape[1]}x"
                         f"{small.shape[0]} at `analysis_size` {size}: too thin to analyse "
                         "(short side under 16 px)")
    return small


def predict(fit: Fit, net, photo: np.ndarray):
    """(the fit's relative thermal map z [H, W] of `photo` [H, W, 3], the
    photo's `fit.descriptor`)."""
    import tensorflow as tf

    from tfstyle.core.color import luminance

    h, w = photo.shape[:2]
    small = analysis_image(photo, fit.analysis_size)
    out = net(small[None])
    z = np.concatenate([photo, luminance(photo)[..., None]], -1) @ fit.weights[COLOUR] + fit.bias
    for name in LAYERS:
        channel = tf.tensordot(out[name][0], fit.weights[name], 1)[None, ..., None]
        z += tf.image.resize(channel, (h, w), method="bilinear")[0, ..., 0].numpy()
    return z.astype(np.float32), descriptor(out)


class Texture:
    """WCT² (`tfstyle.wct2`, its shipped decoder) with the thermal image most
    like the photo as the style: the image analogy's A : A' :: B : B', A the
    visible example nearest the photo (by `fit.descriptor`) and A' its
    thermal twin. Each thermal image's style statistics are computed once,
    when first needed."""

    def __init__(self, thermals: Sequence[np.ndarray], descriptors: np.ndarray, weights):
        from tfstyle.wct2.model import load_model

        self.thermals, self.descriptors = thermals, np.asarray(descriptors, np.float32)
        self.model, self.statistics = load_model(weights=weights), {}

    @classmethod
    def of_fit(cls, fit: Fit, weights) -> "Texture":
        return cls(fit.thermals, fit.descriptors, weights)

    @classmethod
    def of_styles(cls, thermals: Sequence[np.ndarray], net, weights) -> "Texture":
        """Thermal images only (no visible twins): each described by itself."""
        images = [np.round(np.clip(t, 0, 1) * 255).astype(np.uint8) for t in thermals]
        return cls(images, np.stack([descriptor(net(as_rgb(t)[None])) for t in thermals]),
                   weights)

    def __call__(self, image: np.ndarray, photo_descriptor: np.ndarray,
                 alpha: float) -> np.ndarray:
        """[H, W] luminance of `image` ([H, W] or [H, W, 3]) transferred."""
        from tfstyle.core.color import luminance
        from tfstyle.wct2.config import PhotorealConfig
        from tfstyle.wct2.model import PLACES

        nearest = int(np.argmax(self.descriptors @ photo_descriptor))
        if nearest not in self.statistics:
            style = as_rgb(self.thermals[nearest].astype(np.float32) / 255.0)
            self.statistics[nearest] = self.model.style_statistics(
                self.model.encode_style(style, PhotorealConfig(style_size=None)), PLACES)
        content = as_rgb(image) if image.ndim == 2 else image
        if max(content.shape[:2]) <= TEXTURE_MAX_SIDE:
            return luminance(self.model.stylize(content, self.statistics[nearest], alpha=alpha,
                                                size=None, transfer_at=PLACES))
        # A large photo gets the texture at TEXTURE_MAX_SIDE, added back as
        # the change it made: WCT² at full size would need tens of GB.
        from tfstyle.core.image import fit_long_side, resize

        small = resize(content, fit_long_side(content.shape[:2], TEXTURE_MAX_SIDE))
        change = luminance(self.model.stylize(small, self.statistics[nearest], alpha=alpha,
                                              size=None, transfer_at=PLACES)) - luminance(small)
        # core.image.resize clips to [0, 1]: the change, in [-1, 1], goes through halved.
        change = resize((change[..., None] + 1) / 2, content.shape[:2])[..., 0] * 2 - 1
        return luminance(content) + change


def trained_map(model, net, photo: np.ndarray, analysis_size: int) -> np.ndarray:
    """The decoder's standardized map [H, W] of `photo` at its own size: the
    decoder at the analysis size (reflect-padded to the encoder's stride),
    brought to the photo's size bilinearly."""
    import tensorflow as tf

    from tfstyle.thermal import decoder

    small = analysis_image(photo, analysis_size)
    h, w = small.shape[:2]
    stride = decoder.STRIDE
    padded = np.pad(small, ((0, -h % stride), (0, -w % stride), (0, 0)), mode="reflect")
    z = decoder.predict(model, net, padded)[:h, :w]
    if z.shape != photo.shape[:2]:
        z = tf.image.resize(z[None, ..., None], photo.shape[:2], method="bilinear")[0, ..., 0]
    return np.asarray(z, np.float32)


def split_sigma(shape) -> float:
    """The trained route's frequency split, in pixels of the output."""
    return SPLIT_SIGMA * max(shape) / 256


def trained_model(fit: Fit):
    """The fit's trained decoder as a Keras model (None for the ridge route)."""
    if not fit.decoder:
        return None
    from tfstyle.thermal.decoder import weights_from_bytes

    return weights_from_bytes(fit.decoder)[0]


def prepare(fit: Fit, weights, config: InfraredConfig):
    """(the trained route's decoder or None, the ridge route's texture step
    or None): what `render` needs, built once per fit."""
    model = trained_model(fit)
    texture = Texture.of_fit(fit, weights) if config.texture > 0 and model is None else None
    return model, texture


def render(fit: Fit, net, photo: np.ndarray, config: InfraredConfig,
           texture: Optional[Texture] = None, model=None) -> np.ndarray:
    """[H, W] thermal intensity in [0, 1] of `photo` at its own size;
    `texture` is needed when config.texture > 0 on the ridge route; `model`
    is `trained_model(fit)` (built here when None) on the trained route,
    whose decoder makes the edges and texture itself."""
    from tfstyle.core.color import luminance

    z, photo_descriptor = predict(fit, net, photo)
    intensity = fit.thermal_mean + config.contrast * fit.thermal_std * z
    smooth = np.clip(guided_filter(luminance(photo), intensity,
                                   edge_radius(config, photo.shape[:2])), 0.0, 1.0)
    if fit.decoder:
        # Low frequencies from the ridge map (where things are warm: it keeps
        # the structure), high ones from the decoder (crisp outlines, the
        # sensor's texture): each is the better at its own band (measured).
        from scipy.ndimage import gaussian_filter

        sharp = fit.thermal_mean + config.contrast * fit.thermal_std * trained_map(
            model or trained_model(fit), net, photo, fit.analysis_size)
        sigma = split_sigma(photo.shape[:2])
        mixed = gaussian_filter(smooth, sigma) + sharp - gaussian_filter(sharp, sigma)
        return np.clip(mixed, 0.0, 1.0).astype(np.float32)
    if config.texture > 0:
        smooth = texture(smooth, photo_descriptor, config.texture)
    return np.clip(smooth, 0.0, 1.0).astype(np.float32)


def check_weights(fit: Fit, weights):
    if fit.vgg_sha256 != weights.sha256:
        raise ConfigError(f"the fit was made with VGG19 weights {fit.vgg_sha256[:12]}, these "
                          f"are {weights.sha256[:12]} ({weights.source}); fit again with these "
                          "weights, or give the fit's own with `vgg_weights`")


def style_only(photo: np.ndarray, net, texture: Texture, analysis_size: int) -> np.ndarray:
    """Without pairs: the photo itself through WCT² at STYLE_ONLY_ALPHA, the
    thermal image most like it as the style; its luminance."""
    out = net(analysis_image(photo, analysis_size)[None])
    return np.clip(texture(photo, descriptor(out), STYLE_ONLY_ALPHA), 0.0, 1.0).astype(
        np.float32)


def as_rgb(intensity: np.ndarray) -> np.ndarray:
    return np.repeat(intensity[..., None], 3, -1)

