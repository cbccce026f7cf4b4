"""Arbitrary style transfer in one forward pass: AdaIN (Huang & Belongie, ICCV 2017).

An encoder (VGG19 up to relu4_1), adaptive instance normalization of the
content's features to the style's per-channel mean and standard deviation
(eq. 8), and a decoder trained to invert the encoder. The paper's controls
(§7) are arguments of `AdaIN.stylize`: the content-style trade-off alpha,
interpolation between several styles, colour preservation and spatial
control with masks.

Both networks use reflection padding and no normalization layers, as the
paper's; the decoder mirrors the encoder with nearest-neighbour upsampling.
The encoder comes from either weight source, built the same way:

* the official release (naoto0804/pytorch-AdaIN `vgg_normalised.pth`, with
  its `decoder.pth`): a 1x1 conv first (RGB in [0, 1] -> caffe BGR), max
  pooling with ceil mode;
* tfstyle's ImageNet VGG19 weights, whose caffe preprocessing is written as
  the same 1x1 conv. Decoders trained by tfstyle use this one, normalized
  (each filter's mean activation one, max pooling) as `vgg_normalised` is.
"""

import dataclasses
import functools
import logging
import pathlib
from typing import Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from tfstyle.adain.config import AdainConfig
from tfstyle.core import color
from tfstyle.core.errors import ConfigError, WeightsError
from tfstyle.core.image import as_image, load_mask
from tfstyle.adain.layers import (ENCODER_CONVS, EPS, Conv, adain, build_decoder, build_encoder,
                                  mean_std)
from tfstyle.adain.torch_import import read_pytorch_decoder, read_pytorch_encoder

log = logging.getLogger(__name__)

_DEFAULTS = AdainConfig()


def _weights_of(model, names) -> Dict[str, Conv]:
    return {n: tuple(np.asarray(w) for w in model.get_layer(n).get_weights()) for n in names}


@dataclasses.dataclass(frozen=True)
class StyleStats:
    """A style image's relu4_1 mean and std ([1, 1, 1, 512] each): all AdaIN
    needs of a style, so a repeated style is encoded once."""
    mean: np.ndarray
    std: np.ndarray


class AdaIN:
    """An encoder/decoder pair; `stylize` runs the paper's method and controls."""

    def __init__(self, encoder_layers: Mapping[str, Conv],
                 decoder_layers: Optional[Mapping[str, Conv]] = None, *,
                 source: str = "", seed: int = 0):
        self.encoder_layers = dict(encoder_layers)
        self.encoder = build_encoder(self.encoder_layers)
        self.decoder = build_decoder(decoder_layers, seed)
        self.source = source  # where the weights came from, for records
        self._encode4 = None

    @classmethod
    def from_pytorch(cls, vgg_path, decoder_path) -> "AdaIN":
        """The official release: pytorch-AdaIN's `vgg_normalised.pth` and `decoder.pth`."""
        return cls(read_pytorch_encoder(vgg_path), read_pytorch_decoder(decoder_path),
                   source=f"pytorch:{pathlib.Path(decoder_path).name}")

    def save(self, path):
        """Writes encoder and decoder weights to a Keras weights file (`.weights.h5`)."""
        path = pathlib.Path(path)
        if not path.name.endswith(".weights.h5"):
            raise ConfigError(f"AdaIN weights are saved as <name>.weights.h5, got {path.name}")
        import os
        import secrets

        import keras

        inputs = keras.Input((None, None, 3))
        both = keras.Model(inputs, self.decoder(self.encoder(inputs)["block4_conv1"]))
        # Keras writes by file name (and wants the suffix): a temporary name
        # beside the target, renamed when complete.
        tmp = path.with_name(f".{secrets.token_hex(4)}.{path.name}")
        try:
            both.save_weights(str(tmp))
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()

    @classmethod
    def load(cls, path) -> "AdaIN":
        """Reads a file written by `save`."""
        import keras

        path = pathlib.Path(path)
        if not path.is_file():
            raise WeightsError(f"no such file: {path}")
        zeros = {"preprocess": (np.zeros((1, 1, 3, 3), np.float32), np.zeros(3, np.float32))}
        zeros.update({n: (np.zeros((3, 3, i, o), np.float32), np.zeros(o, np.float32))
                      for n, i, o in ENCODER_CONVS})
        model = cls(zeros, source=f"keras:{path.name}")
        inputs = keras.Input((None, None, 3))
        both = keras.Model(inputs, model.decoder(model.encoder(inputs)["block4_conv1"]))
        try:
            both.load_weights(str(path))
        except Exception as exc:  # h5py and Keras raise many kinds
            raise WeightsError(f"{path}: not an AdaIN weights file ({exc})") from None
        model.encoder_layers = _weights_of(model.encoder, ["preprocess"] + [
            n for n, _, _ in ENCODER_CONVS])
        return model

    def encode(self, images):
        """relu4_1 features of [B, H, W, 3] images in [0, 1]."""
        import tensorflow as tf

        if self._encode4 is None:
            self._encode4 = tf.function(lambda x: self.encoder(x)["block4_conv1"])
        return self._encode4(tf.convert_to_tensor(images, tf.float32))

    def style_stats(self, style, size: Optional[int] = 512) -> StyleStats:
        """Encodes one style image (path, PIL image or array) at long side `size`."""
        image = as_image(style, size)
        _check_size(image.shape, "style")
        mean, std = mean_std(self.encode(image[None]))
        return StyleStats(mean.numpy(), std.numpy())

    def stylize(self, content, styles, *, alpha: float = _DEFAULTS.alpha,
                style_weights: Optional[Sequence[float]] = None,
                masks: Optional[Sequence] = None,
                preserve_color: str = _DEFAULTS.preserve_color,
                size: Optional[int] = _DEFAULTS.size,
                style_size: Optional[int] = _DEFAULTS.style_size) -> np.ndarray:
        """Renders `content` in the style(s) of `styles`; returns [H, W, 3] in [0, 1].

        Args:
          content: path, PIL image or array.
          styles: one style (path, PIL image, array or `StyleStats`), or a list.
          alpha: content-style trade-off in [0, 1] (eq. 14): the decoder gets
            alpha * AdaIN(f(c), f(s)) + (1 - alpha) * f(c).
          style_weights: with several styles and no masks, their weights
            (normalized to sum to 1): the AdaIN outputs are blended (§7,
            style interpolation). Default: equal.
          masks: spatial control: one mask per style (white where it goes,
            any size); each region gets AdaIN with its style, with the
            content statistics of the region. Pixels no mask covers keep the
            plain content features (alpha = 0 there).
          preserve_color: keep the content's colours (§7, colour control):
            'histogram' matches each style image's colour mean and covariance
            to the content's first (the paper's way); 'luminance' stylizes
            the luminance only and puts back the content's chroma (YIQ).
            Either needs style images, not `StyleStats`.
          size: long side of the content (None: its own size), and of the
            output. A side that is not a multiple of 8 (three 2x poolings) is
            reflection-padded for the networks and cropped back.
          style_size: long side styles are encoded at (None: their own).
        """
        # The controls are validated once, by the config that holds their defaults.
        config = AdainConfig(alpha=alpha, style_blend=tuple(style_weights or ()),
                             preserve_color=preserve_color, size=size, style_size=style_size)
        photo = as_image(content, size)
        _check_size(photo.shape, "content")
        image, _ = color.before_transfer(photo, photo, preserve_color)
        styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
        if not styles:
            raise ConfigError("at least one style is needed")
        if masks is not None and style_weights is not None:
            raise ConfigError("style weights blend styles everywhere and masks place them; "
                              "give one or the other")
        weights = config.blend_weights(len(styles))
        stats = [self._stats_of(s, photo, preserve_color, style_size) for s in styles]
        height, width = photo.shape[:2]
        feats = self.encode(_pad_to_8(image[None]))
        if masks is None:
            target = _blended_target(feats, stats, weights, alpha)
        else:
            target = self._masked_target(feats, stats, masks, alpha)
        out = self.decoder(target).numpy()[0, :height, :width]
        out = np.clip(out, 0.0, 1.0).astype(np.float32)
        return color.after_transfer(out, photo, preserve_color)

    def _stats_of(self, style, photo: np.ndarray, preserve_color: str,
                  style_size: Optional[int]) -> StyleStats:
        """A style's statistics: as given (`StyleStats`), or encoded from the
        image after colour preservation against `photo`."""
        if isinstance(style, StyleStats):
            if preserve_color != "none":
                raise ConfigError("`preserve_color` needs style images, not cached statistics")
            return style
        _, style = color.before_transfer(photo, as_image(style, style_size), preserve_color)
        return self.style_stats(style, None)

    def stylize_tensor(self, images, style: StyleStats, alpha: float = 1.0):
        """The plain method on tensors, for `tf.data` and batches: [H, W, 3]
        or [B, H, W, 3] (float in [0, 1] or uint8; sides >= 8 px) -> float32
        of the same shape, in the style whose statistics `style` holds
        (`style_stats`). Traceable: no numpy inside.

            ds = ds.map(lambda x: model.stylize_tensor(x, stats, alpha=0.8))

        `Dataset.map` runs on the CPU; with a GPU, batch the dataset and call
        this in the consuming loop (or a `tf.function`) instead.
        """
        import tensorflow as tf

        x = tf.image.convert_image_dtype(tf.convert_to_tensor(images), tf.float32)
        if x.shape.rank not in (3, 4):
            raise ConfigError(f"stylize_tensor takes [H, W, 3] or [B, H, W, 3] images of known "
                              f"rank, got shape {x.shape}")
        single = x.shape.rank == 3
        if single:
            x = x[None]
        height, width = tf.shape(x)[1], tf.shape(x)[2]
        feats = self.encoder(_pad_to_8(x))["block4_conv1"]
        target = adain(feats, (tf.constant(style.mean), tf.constant(style.std)))
        target = alpha * target + (1.0 - alpha) * feats
        out = tf.clip_by_value(self.decoder(target)[:, :height, :width], 0.0, 1.0)
        return out[0] if single else out

    def _masked_target(self, feats, stats, masks, alpha):
        import tensorflow as tf

        masks = list(masks)
        if len(masks) != len(stats):
            raise ConfigError(f"{len(masks)} masks for {len(stats)} styles; give one per style")
        h, w = int(feats.shape[1]), int(feats.shape[2])
        target = feats
        covered = np.zeros((h, w, 1), np.float32)
        for i, (mask, st) in enumerate(zip(masks, stats)):
            m = load_mask(mask, (h, w), f"mask {i + 1}")[..., None]
            weight = tf.constant(m[None])
            # The region's own content statistics, so a region is normalized
            # as if it were the whole image.
            total = tf.reduce_sum(weight)
            mu = tf.reduce_sum(feats * weight, axis=[1, 2], keepdims=True) / total
            # Unbiased, as `mean_std`: a mask covering everything is plain AdaIN.
            var = (tf.reduce_sum(tf.square(feats - mu) * weight, axis=[1, 2], keepdims=True)
                   / tf.maximum(total - 1.0, 1.0))
            normalized = (feats - mu) / tf.sqrt(var + EPS)
            styled = normalized * st.std + st.mean
            mixed = alpha * styled + (1.0 - alpha) * feats
            target = target + weight * (mixed - feats)
            covered += m
        if covered.max() > 1.0 + 1e-3:
            log.info("masks overlap; overlapping regions add up")
        return target


def _blended_target(feats, stats: Sequence[StyleStats], weights: Sequence[float], alpha: float):
    """The decoder's input without masks: AdaIN to each style, blended by
    `weights` (§7, style interpolation), then mixed with the content's
    features by `alpha` (eq. 14)."""
    import tensorflow as tf

    target = tf.add_n([w * adain(feats, (tf.constant(st.mean), tf.constant(st.std)))
                       for w, st in zip(weights, stats)])
    return alpha * target + (1.0 - alpha) * feats


def _pad_to_8(images):
    """Reflection-pads [B, H, W, 3] (numpy or tensor) at the bottom and right
    to multiples of 8, so the decoder's output covers the whole input."""
    import tensorflow as tf

    height, width = tf.shape(images)[1], tf.shape(images)[2]
    return tf.pad(images, [[0, 0], [0, (-height) % 8], [0, (-width) % 8], [0, 0]], mode="REFLECT")


def _check_size(shape, what: str):
    if min(shape[:2]) < 8:
        raise ConfigError(f"the {what} image is {shape[1]}x{shape[0]} px; AdaIN needs at "
                          "least 8 px on each side (three 2x poolings)")


ModelSpec = Union["AdaIN", str, pathlib.Path, Tuple[str, str]]


@functools.lru_cache(maxsize=4)
def _load_cached(spec: Tuple[str, ...], stamps: Tuple[float, ...]) -> AdaIN:
    del stamps  # part of the cache key only: a rewritten file is read again
    return AdaIN.load(spec[0]) if len(spec) == 1 else AdaIN.from_pytorch(*spec)


def load_model(model: ModelSpec) -> AdaIN:
    """An `AdaIN` from a `.weights.h5` path (`AdaIN.save`, `train_adain`) or a
    (vgg_normalised.pth, decoder.pth) pair; an `AdaIN` is returned as is.
    Files are read once per process (again if they change)."""
    if isinstance(model, AdaIN):
        return model
    spec = tuple(str(p) for p in model) if isinstance(model, (tuple, list)) else (str(model),)
    if len(spec) not in (1, 2):
        raise ConfigError("an AdaIN model is a .weights.h5 path or a (vgg_normalised.pth, "
                          "decoder.pth) pair")
    for path in spec:
        if not pathlib.Path(path).is_file():
            raise WeightsError(f"no such file: {path}")
    stamps = tuple(pathlib.Path(p).stat().st_mtime for p in spec)
    return _load_cached(tuple(str(pathlib.Path(p).resolve()) for p in spec), stamps)


def transfer(content, styles, model: ModelSpec, **controls) -> np.ndarray:
    """AdaIN style transfer in one call (`tfstyle.adain_transfer`).

    `model` is an `AdaIN`, a `.weights.h5` path or a (vgg_normalised.pth,
    decoder.pth) pair (read once, then cached); `controls` are those of
    `AdaIN.stylize` (alpha, style_weights, masks, preserve_color, size,
    style_size). Returns float32 [H, W, 3] in [0, 1].
    """
    return load_model(model).stylize(content, styles, **controls)
