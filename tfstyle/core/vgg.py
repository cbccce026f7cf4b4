"""VGG19 feature extractor: Keras' conv layers, average pooling, normalized.

Gatys et al. (CVPR 2016, section 2) use "a normalised version of the 16
convolutional and 5 pooling layers of the 19-layer VGG network": the weights
are rescaled so that each filter's mean activation over images and positions
is one, and max pooling is replaced by average pooling. Because ReLU and both
poolings commute with a positive per-channel scale, dividing layer l's kernel
and bias by factor f_l[c] and multiplying the next layer's input channel c by
the same f_l[c] yields a network whose layer-l response is the original one
divided by f_l, with every later layer unchanged. Choosing f_l as the original
mean activation makes the normalized mean exactly one.
"""

import logging
import pathlib
import re
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from tfstyle.core import samples
from tfstyle.core.errors import ConfigError
from tfstyle.core.cache import cache_dir
from tfstyle.core.weights import CONV_LAYERS, VGGWeights, write_npz_atomic

log = logging.getLogger(__name__)

LAYER_NAMES = tuple(name for name, _, _ in CONV_LAYERS)
POOLINGS = ("avg", "max")
# Caffe's ImageNet mean in BGR order, as in keras.applications.vgg19.preprocess_input.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

# A filter that (almost) never fires on the calibration set would be divided
# by ~0 and then swamp every Gram matrix on images where it does fire (VGG19's
# block2_conv1 has one whose mean is 3e-5 while its layer's median is 100).
# Such factors are raised to this fraction of their layer's median.
RARE_FILTER_FLOOR = 0.05

_DATA_DIR = pathlib.Path(__file__).parent / "data"

# Convs with at least this many input channels compute their forward pass as
# the input gradient of the transposed conv (see `_vgg_conv`). TensorFlow's
# oneDNN Conv2D runs these deep, small-image layers on plain HWIO weights at
# about half the speed of its Conv2DBackpropInput (24x32 px, 512 -> 512: 194
# vs 412 GFLOP/s on a 2-core Sapphire Rapids); the result is the same sum.
TRANSPOSED_FORWARD_CHANNELS = 256


def canonical_layer(name: str) -> str:
    """Keras name for a VGG19 layer given as ``block4_conv2``, ``conv4_2`` or ``relu4_2``."""
    key = name.strip()
    match = re.fullmatch(r"(?:conv|relu)(\d)_(\d)", key)
    if match:
        key = f"block{match.group(1)}_conv{match.group(2)}"
    if key not in LAYER_NAMES:
        raise ConfigError(f"unknown VGG19 layer {name!r}; use one of {', '.join(LAYER_NAMES)} "
                          "(or the paper's conv1_1 ... conv5_4)")
    return key


def pools_before(layer: str) -> int:
    """How many 2x2 poolings come before `layer` (block b has b - 1)."""
    return int(canonical_layer(layer)[len("block")]) - 1


def factors_filename(sha256: str) -> str:
    return f"vgg19_norm_{sha256[:16]}.npz"


def compute_factors(weights: VGGWeights, images: Sequence[np.ndarray], pooling: str) -> Dict[str, np.ndarray]:
    """Mean activation of every filter over images and positions (original net).

    Args:
      weights: the un-normalized VGG19 weights.
      images: float32 [H, W, 3] RGB arrays in [0, 1]; sizes may differ.
      pooling: 'avg' or 'max', the pooling of the network that will be used.
    """
    model = build_extractor(weights, LAYER_NAMES, pooling=pooling, normalize=False)
    sums = {name: 0.0 for name in LAYER_NAMES}
    counts = {name: 0 for name in LAYER_NAMES}
    for image in images:
        feats = model(image[None].astype(np.float32))
        for name in LAYER_NAMES:
            act = np.asarray(feats[name], np.float64)[0]
            sums[name] = sums[name] + act.sum(axis=(0, 1))
            counts[name] += act.shape[0] * act.shape[1]
    return {name: (sums[name] / counts[name]).astype(np.float32) for name in LAYER_NAMES}


def save_factors(path, factors_by_pooling: Mapping[str, Mapping[str, np.ndarray]], sha256: str, note: str):
    arrays = {f"{pooling}/{name}": value
              for pooling, factors in factors_by_pooling.items() for name, value in factors.items()}
    arrays["weights_sha256"] = np.array(sha256)
    arrays["calibration"] = np.array(note)
    write_npz_atomic(pathlib.Path(path), arrays)


def _read_factors(path, sha256: str, pooling: str) -> Optional[Dict[str, np.ndarray]]:
    """The factors in `path` for these weights and pooling; None if absent or unreadable."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            if str(data["weights_sha256"]) != sha256 or f"{pooling}/{LAYER_NAMES[0]}" not in data:
                return None
            return {name: data[f"{pooling}/{name}"] for name in LAYER_NAMES}
    except Exception as exc:  # OSError, KeyError, BadZipFile, EOFError...
        log.warning("ignoring unreadable normalization factors %s: %s", path, exc)
        return None


def normalization_factors(weights: VGGWeights, pooling: str) -> Dict[str, np.ndarray]:
    """Factors for these weights: shipped, cached, or computed once and cached.

    The shipped file (made by ``scripts/make_norm_factors.py``) covers the
    weights tfstyle finds offline; other weights (Keras' own download, a user's
    file) are calibrated on first use on the same image set, then cached.
    """
    name = factors_filename(weights.sha256)
    for path in (_DATA_DIR / name, cache_dir() / name):
        factors = _read_factors(path, weights.sha256, pooling)
        if factors is not None:
            return factors
    log.info("calibrating VGG19 normalization for %s (%s pooling); this runs once, ~10 s",
             weights.source, pooling)
    factors = compute_factors(weights, samples.calibration_images(), pooling)
    cached = {pooling: factors}
    for other in POOLINGS:  # keep the other pooling's factors already in the cache
        found = _read_factors(cache_dir() / name, weights.sha256, other) if other != pooling else None
        if found is not None:
            cached[other] = found
    try:
        save_factors(cache_dir() / name, cached, weights.sha256, samples.CALIBRATION_NOTE)
    except OSError as exc:
        log.warning("could not cache normalization factors: %s", exc)
    return factors


def effective_factors(factors: Mapping[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Measured mean activations with rare filters floored (see RARE_FILTER_FLOOR)."""
    out = {}
    for name in LAYER_NAMES:
        f = np.asarray(factors[name], np.float32)
        out[name] = np.maximum(f, np.float32(RARE_FILTER_FLOOR) * np.median(f)).astype(np.float32)
    return out


def normalized_layers(weights: VGGWeights, factors: Mapping[str, np.ndarray]):
    """Kernels and biases rescaled so layer l's response is the original / f_l.

    `factors` are measured mean activations; `effective_factors` is applied.
    """
    layers = {}
    previous = np.ones(weights.layers[LAYER_NAMES[0]][0].shape[2], np.float32)
    for name, f in effective_factors(factors).items():
        kernel, bias = weights.layers[name]
        layers[name] = (kernel * previous[None, None, :, None] / f, bias / f)
        previous = f
    return layers


def build_extractor(weights: VGGWeights, outputs: Sequence[str], pooling: str = "avg",
                    normalize: bool = True, factors: Optional[Mapping[str, np.ndarray]] = None):
    """A Keras model mapping RGB images in [0, 1] to the named layers' responses.

    The caffe preprocessing (x255, RGB->BGR, minus the ImageNet mean) happens
    inside, so callers only ever see [0, 1] RGB. The network stops at the
    deepest requested layer.

    Args:
      weights: VGG19 conv weights.
      outputs: layer names (any form `canonical_layer` accepts).
      pooling: 'avg' (the paper's choice for synthesis) or 'max' (VGG's own).
      normalize: rescale so each filter's mean activation is one (the paper).
      factors: normalization factors; looked up by `normalization_factors`
        when None.

    Returns:
      A ``keras.Model`` whose output is a dict layer name -> [B, h, w, C].
    """
    import keras

    if pooling not in POOLINGS:
        raise ConfigError(f"`pooling` must be one of {POOLINGS}, got {pooling!r}")
    wanted = [canonical_layer(n) for n in outputs]
    if not wanted:
        raise ConfigError("the extractor needs at least one output layer")
    last = max(LAYER_NAMES.index(n) for n in wanted)
    if normalize:
        layers = normalized_layers(weights, factors or normalization_factors(weights, pooling))
    else:
        layers = weights.layers
    pool_cls = keras.layers.AveragePooling2D if pooling == "avg" else keras.layers.MaxPooling2D

    inputs = keras.Input((None, None, 3), name="rgb01")
    mean = np.array(CAFFE_MEAN_BGR, np.float32)
    x = keras.layers.Lambda(lambda t: t[..., ::-1] * 255.0 - mean, name="caffe_preprocess")(inputs)
    found = {}
    for index, name in enumerate(LAYER_NAMES[: last + 1]):
        block = name.split("_")[0]
        if index > 0 and block != LAYER_NAMES[index - 1].split("_")[0]:
            x = pool_cls(2, 2, name=f"{LAYER_NAMES[index - 1].split('_')[0]}_pool")(x)
        kernel, bias = layers[name]
        conv = _vgg_conv()(kernel.shape[-1], name=name)
        x = conv(x)
        conv.load(kernel, bias)
        found[name] = x
    return keras.Model(inputs, {n: found[n] for n in dict.fromkeys(wanted)}, name="vgg19_features")



def _conv_by_transpose():
    """conv2d(x, kernel) (3x3, stride 1, 'same') computed as
    conv2d_transpose(x, flipped), `flipped` being the kernel turned by 180
    degrees with its channel axes swapped: the same sums in a faster oneDNN
    kernel. The gradient is Conv2D's own (Conv2DBackpropInput for x)."""
    import tensorflow as tf

    @tf.custom_gradient
    def conv(x, kernel, flipped):
        shape = tf.concat([tf.shape(x)[:3], tf.shape(kernel)[3:]], 0)
        y = tf.nn.conv2d_transpose(x, flipped, shape, 1, "SAME")

        def grad(dy):
            dx = tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=kernel,
                                                out_backprop=dy, strides=[1, 1, 1, 1],
                                                padding="SAME")
            dkernel = tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=tf.shape(kernel),
                                                      out_backprop=dy, strides=[1, 1, 1, 1],
                                                      padding="SAME")
            return dx, dkernel, None

        return y, grad

    return conv


def _vgg_conv():
    """The Keras layer class of VGG's 3x3 'same' conv + ReLU (built on first use,
    so importing this module does not import Keras)."""
    global _VGGConv
    if _VGGConv is not None:
        return _VGGConv
    import keras
    import tensorflow as tf

    by_transpose = _conv_by_transpose()

    @keras.saving.register_keras_serializable(package="tfstyle")
    class VGGConv(keras.layers.Conv2D):
        """keras.layers.Conv2D(filters, 3, 'same', relu), frozen. With at
        least `TRANSPOSED_FORWARD_CHANNELS` input channels its forward pass
        runs as a transposed conv on a flipped copy of the kernel, which
        `load` and `set_weights` keep in step with the kernel."""

        def __init__(self, filters, name=None, **kwargs):
            kwargs = {"kernel_size": 3, "padding": "same", "activation": "relu",
                      "trainable": False, **kwargs}
            super().__init__(filters, name=name, **kwargs)
            self.flipped = None

        def set_weights(self, weights):
            """[kernel, bias] (the flipped copy is derived), or all three."""
            if self.flipped is not None and len(weights) == 2:
                self.load(*weights)
            else:
                super().set_weights(weights)

        def build(self, input_shape):
            super().build(input_shape)
            if input_shape[-1] >= TRANSPOSED_FORWARD_CHANNELS:
                self.flipped = self.add_weight(
                    shape=(3, 3, self.filters, input_shape[-1]), initializer="zeros",
                    trainable=False, name="flipped_kernel")

        def load(self, kernel: np.ndarray, bias: np.ndarray):
            """Sets the kernel [3, 3, in, out] and bias [out] (and the flipped copy)."""
            self.kernel.assign(kernel)
            self.bias.assign(bias)
            if self.flipped is not None:
                self.flipped.assign(np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2)))

        def convolution_op(self, inputs, kernel):
            if self.flipped is None:
                return super().convolution_op(inputs, kernel)
            return by_transpose(inputs, tf.convert_to_tensor(kernel),
                                tf.convert_to_tensor(self.flipped))

    _VGGConv = VGGConv
    return VGGConv


_VGGConv = None
