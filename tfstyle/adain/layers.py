"""AdaIN's networks and its equation: the encoder (VGG19 to relu4_1, reflection
padding), the mirrored decoder, and AdaIN itself (Huang & Belongie 2017, eq. 8)."""

from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from tfstyle.core.vgg import CAFFE_MEAN_BGR, normalized_layers
from tfstyle.core.weights import CONV_LAYERS

# (name, in, out) of the encoder's 3x3 convs up to relu4_1 (VGG19's first
# nine), in order; a 2x2 max pooling follows each block's last conv.
ENCODER_CONVS = CONV_LAYERS[:9]
# The style loss reads these (relu1_1 ... relu4_1); the last is AdaIN's input.
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1")
# (name, in, out) of the decoder's convs; "up" is a 2x nearest upsampling.
DECODER_CONVS = (
    ("dec4_1", 512, 256), "up",
    ("dec3_4", 256, 256), ("dec3_3", 256, 256), ("dec3_2", 256, 256), ("dec3_1", 256, 128), "up",
    ("dec2_2", 128, 128), ("dec2_1", 128, 64), "up",
    ("dec1_2", 64, 64), ("dec1_1", 64, 3),
)

# Added to the variance before the square root (the reference implementation's).
EPS = 1e-5

Conv = Tuple[np.ndarray, np.ndarray]  # (kernel [kh, kw, in, out], bias [out]) in Keras layout


def mean_std(features, eps: float = EPS):
    """Per-channel mean and standard deviation over the spatial dims of
    [B, h, w, C] features, each [B, 1, 1, C]. The variance is the unbiased
    one, as torch's (and pytorch-AdaIN's), plus `eps`."""
    import tensorflow as tf

    mean, var = tf.nn.moments(features, axes=[1, 2], keepdims=True)
    n = tf.cast(tf.shape(features)[1] * tf.shape(features)[2], features.dtype)
    var = var * n / tf.maximum(n - 1.0, 1.0)
    return mean, tf.sqrt(var + eps)


def adain(content, style, eps: float = EPS):
    """Eq. 8: AdaIN(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y), per channel.

    Args:
      content: x, [B, h, w, C] features.
      style: y, [B, h', w', C] features (any spatial size), or a
        (mean, std) pair of [B, 1, 1, C] tensors (cached style statistics).
    """
    style_mean, style_std = style if isinstance(style, tuple) else mean_std(style, eps)
    content_mean, content_std = mean_std(content, eps)
    return style_std * (content - content_mean) / content_std + style_mean


def imagenet_encoder_weights(vgg, factors: Optional[Mapping[str, np.ndarray]] = None
                             ) -> Dict[str, Conv]:
    """Encoder weights from tfstyle's ImageNet VGG19 (`weights.VGGWeights`):
    the caffe preprocessing (x255, RGB -> BGR, minus the mean) as the 1x1 conv.

    With `factors` (`vgg.normalization_factors(vgg, "max")`) the convs are
    rescaled so each filter's mean activation is one, as the release's
    `vgg_normalised` is; every style layer then weighs alike in the style loss.
    """
    kernel = np.zeros((1, 1, 3, 3), np.float32)
    for out, rgb in enumerate((2, 1, 0)):
        kernel[0, 0, rgb, out] = 255.0
    layers = {"preprocess": (kernel, -np.array(CAFFE_MEAN_BGR, np.float32))}
    source = normalized_layers(vgg, factors) if factors is not None else vgg.layers
    for name, _, _ in ENCODER_CONVS:
        layers[name] = tuple(np.asarray(a, np.float32) for a in source[name])
    return layers


def _reflect_pad(x):
    import tensorflow as tf

    return tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")


def build_encoder(layers: Mapping[str, Conv], outputs: Sequence[str] = STYLE_LAYERS):
    """Keras model: RGB in [0, 1] [B, H, W, 3] -> {layer: relu output} for
    `outputs` (of `STYLE_LAYERS`), frozen. Reflection padding; 2x2 max
    pooling that keeps an odd last row or column (torch's ceil mode)."""
    import keras

    inputs = keras.Input((None, None, 3), name="rgb01")
    pre = keras.layers.Conv2D(3, 1, name="preprocess", trainable=False)
    x = pre(inputs)
    pre.set_weights(list(layers["preprocess"]))
    found = {}
    last = max(STYLE_LAYERS.index(n) for n in outputs)
    for i, (name, _, cout) in enumerate(ENCODER_CONVS):
        if i and name.split("_")[0] != ENCODER_CONVS[i - 1][0].split("_")[0]:
            x = keras.layers.MaxPooling2D(2, 2, padding="same", name=f"pool{i}")(x)
        x = keras.layers.Lambda(_reflect_pad, name=f"pad_{name}")(x)
        conv = keras.layers.Conv2D(cout, 3, activation="relu", name=name, trainable=False)
        x = conv(x)
        conv.set_weights(list(layers[name]))
        found[name] = x
        if name == STYLE_LAYERS[last]:
            break
    return keras.Model(inputs, {n: found[n] for n in outputs}, name="adain_encoder")


def build_decoder(layers: Optional[Mapping[str, Conv]] = None, seed: int = 0):
    """Keras model: relu4_1-like features [B, h, w, 512] -> RGB [B, 8h, 8w, 3]
    (not clipped; training needs the gradient beyond [0, 1]). Random
    (Glorot-uniform, seeded) when `layers` is None."""
    import keras

    inputs = keras.Input((None, None, 512), name="features")
    x = inputs
    convs = [c for c in DECODER_CONVS if c != "up"]
    for i, item in enumerate(DECODER_CONVS):
        if item == "up":
            x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"up{i}")(x)
            continue
        name, _, cout = item
        x = keras.layers.Lambda(_reflect_pad, name=f"pad_{name}")(x)
        # A seed per layer: one seeded initializer would give layers of one
        # shape the same starting kernel.
        conv = keras.layers.Conv2D(cout, 3, activation=None if item is convs[-1] else "relu",
                                   kernel_initializer=keras.initializers.GlorotUniform(seed + i),
                                   name=name)
        x = conv(x)
        if layers is not None:
            conv.set_weights(list(layers[name]))
    return keras.Model(inputs, x, name="adain_decoder")
