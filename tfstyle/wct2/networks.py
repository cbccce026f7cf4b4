"""WCT²'s networks (Yoo et al. 2019): VGG19 to relu4_1 with every max pooling
replaced by Haar wavelet pooling, and a mirrored decoder that unpools with the
encoder's detail components, so high frequencies skip the bottleneck.

Both run level by level, so the transfer can whiten and colour the features
between levels. Levels (h: the input's height; a pooling halves it):

    encoder 1  conv0 (RGB [0, 1] -> caffe BGR), conv1_1                -> 64  @ h
            2  conv1_2, pool1 (skips: LH, HL, HH, conv1_2), conv2_1    -> 128 @ h/2
            3  conv2_2, pool2 (skips), conv3_1                         -> 256 @ h/4
            4  conv3_2..conv3_4, pool3 (skips), conv4_1                -> 512 @ h/8
    decoder 4  dec4_1, unpool3, dec3_4, dec3_3, dec3_2                 -> 256 @ h/4
            3  dec3_1, unpool2, dec2_2                                 -> 128 @ h/2
            2  dec2_1, unpool1, dec1_2                                 -> 64  @ h
            1  dec1_1                                                  -> RGB @ h

Every 3x3 conv is reflection-padded and followed by a ReLU, except dec1_1.
"""

from typing import Dict, Mapping, Optional, Tuple

import keras
import numpy as np
import tensorflow as tf

from tfstyle.core.vgg import CAFFE_MEAN_BGR
from tfstyle.wct2.config import KINDS
from tfstyle.wct2.haar import HaarPool, HaarUnpool

# (name, in, out) of the encoder's convs after conv0, VGG19's first nine.
ENCODER_CONVS = (
    ("conv1_1", 3, 64), ("conv1_2", 64, 64), ("conv2_1", 64, 128), ("conv2_2", 128, 128),
    ("conv3_1", 128, 256), ("conv3_2", 256, 256), ("conv3_3", 256, 256), ("conv3_4", 256, 256),
    ("conv4_1", 256, 512))
# Keras' names of the same layers (tfstyle.core.weights.CONV_LAYERS).
VGG_NAMES = {name: f"block{name[4]}_conv{name[6]}" for name, _, _ in ENCODER_CONVS}
# (name, in, out) of the decoder's convs; the three after an unpooling take
# five times the channels with 'cat5'.
DECODER_CONVS = (
    ("dec4_1", 512, 256), ("dec3_4", 256, 256), ("dec3_3", 256, 256), ("dec3_2", 256, 256),
    ("dec3_1", 256, 128), ("dec2_2", 128, 128), ("dec2_1", 128, 64), ("dec1_2", 64, 64),
    ("dec1_1", 64, 3))
AFTER_UNPOOL = ("dec3_4", "dec2_2", "dec1_2")
LEVELS = (1, 2, 3, 4)
# A cat5 conv over more input channels than this runs as a sum of a conv per
# channel group (Decoder._relu_conv_parts; measured in docs/photoreal.md).
SPLIT_ABOVE = 320
# The detail components of each pooling, as the skips dict names them.
POOLS = ("pool1", "pool2", "pool3")

Conv = Tuple[np.ndarray, np.ndarray]  # (kernel [kh, kw, in, out], bias [out]), Keras layout


def decoder_shapes(kind: str) -> Dict[str, Tuple[int, int]]:
    """(in, out) channels of each decoder conv for `kind`."""
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {KINDS}, got {kind!r}")
    grow = 5 if kind == "cat5" else 1
    return {name: (cin * grow if name in AFTER_UNPOOL else cin, cout)
            for name, cin, cout in DECODER_CONVS}


def imagenet_encoder(vgg, factors: Optional[Mapping[str, np.ndarray]] = None) -> Dict[str, Conv]:
    """Encoder weights from tfstyle's ImageNet VGG19 (`weights.VGGWeights`),
    with the caffe preprocessing (x255, RGB -> BGR, minus the mean) as conv0.

    `factors` (default: the shipped max-pooling ones) rescale the convs so each
    filter's mean activation is one: features of order one at every level, so
    the decoder trains at an ordinary step size and WCT sees every level alike.
    """
    from tfstyle.core.vgg import normalization_factors, normalized_layers

    source = normalized_layers(vgg, factors if factors is not None
                               else normalization_factors(vgg, "max"))
    kernel = np.zeros((1, 1, 3, 3), np.float32)
    for out, rgb in enumerate((2, 1, 0)):
        kernel[0, 0, rgb, out] = 255.0
    layers = {"conv0": (kernel, -np.array(CAFFE_MEAN_BGR, np.float32))}
    for name, _, _ in ENCODER_CONVS:
        layers[name] = tuple(np.asarray(a, np.float32) for a in source[VGG_NAMES[name]])
    return layers


def _spec(tensor):
    """A TensorSpec of `tensor` with any batch and spatial size."""
    return tf.TensorSpec([None, None, None, tensor.shape[-1]], tensor.dtype)


def _in_graph(owner, key, fn, *args):
    """`fn(*args)`, run as a graph (traced once per `key`, for any image size)
    when called eagerly: one graph per level lets grappler fuse the pads,
    convs, biases and ReLUs, about 10 % of a level's time at 1024 px."""
    if not tf.executing_eagerly():  # already inside the caller's graph
        return fn(*args)
    graphs = owner.__dict__.setdefault("_level_graphs", {})
    if key not in graphs:
        graphs[key] = tf.function(fn, input_signature=tf.nest.map_structure(_spec, args))
    return graphs[key](*args)


def _pad(x):
    return tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")


def _conv(name: str, cout: int, size: int = 3, weights: Optional[Conv] = None, **kwargs):
    layer = keras.layers.Conv2D(cout, size, padding="valid", name=name, **kwargs)
    if weights is not None:
        layer.build((None, None, None, weights[0].shape[2]))
        layer.set_weights([np.asarray(w, np.float32) for w in weights])
    return layer


class Encoder(keras.Model):
    """The frozen wavelet encoder; `level` runs one level (see the module doc)."""

    def __init__(self, layers: Mapping[str, Conv], kind: str = "cat5", **kwargs):
        super().__init__(**kwargs)
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.convs = {"conv0": _conv("conv0", 3, 1, layers["conv0"], trainable=False)}
        for name, cin, cout in ENCODER_CONVS:
            kernel, bias = layers[name]
            if kernel.shape != (3, 3, cin, cout) or bias.shape != (cout,):
                raise ValueError(f"encoder {name}: shapes {kernel.shape}, {bias.shape}; "
                                 f"expected {(3, 3, cin, cout)}, {(cout,)}")
            self.convs[name] = _conv(name, cout, 3, layers[name], trainable=False)
        self.pool = HaarPool()
        self.trainable = False

    def _relu_conv(self, name, x):
        return tf.nn.relu(self.convs[name](_pad(x)))

    def level(self, level: int, x, skips: dict):
        """Level `level` on `x`; the poolings' detail components and pre-pool
        maps go into `skips` ('pool1': [LH, HL, HH], 'conv1_2': map, ...).

        The two kinds split the same network into levels at other places, as
        the paper's release does: 'cat5' after each block's first conv (see
        the module doc), 'sum' after each pooling (LL) and after conv4_1.
        """
        out, new = _in_graph(self, level, lambda x_: self._level(level, x_), x)
        skips.update(new)
        return out

    def _level(self, level: int, x):
        skips = {}
        return self._one_level(level, x, skips), skips

    def _one_level(self, level: int, x, skips: dict):
        if self.kind == "sum":
            return self._sum_level(level, x, skips)
        if level == 1:
            return self._relu_conv("conv1_1", self.convs["conv0"](x))
        block = {2: ("conv1_2",), 3: ("conv2_2",), 4: ("conv3_2", "conv3_3", "conv3_4")}[level]
        for name in block:
            x = self._relu_conv(name, x)
        ll, lh, hl, hh = self.pool(x)
        skips[f"pool{level - 1}"] = [lh, hl, hh]
        skips[block[-1]] = x
        return self._relu_conv(f"conv{level}_1", ll)

    def _sum_level(self, level: int, x, skips: dict):
        if level == 4:
            return self._relu_conv("conv4_1", x)
        if level == 1:
            x = self.convs["conv0"](x)
        block = {1: ("conv1_1", "conv1_2"), 2: ("conv2_1", "conv2_2"),
                 3: ("conv3_1", "conv3_2", "conv3_3", "conv3_4")}[level]
        for name in block:
            x = self._relu_conv(name, x)
        ll, lh, hl, hh = self.pool(x)
        skips[f"pool{level}"] = [lh, hl, hh]
        skips[block[-1]] = x
        return ll

    def call(self, x):
        skips = {}
        for level in LEVELS:
            x = self.level(level, x, skips)
        return x, skips


class Decoder(keras.Model):
    """The trained half; `level` runs one level (see the module doc)."""

    def __init__(self, kind: str = "cat5", layers: Optional[Mapping[str, Conv]] = None,
                 seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        shapes = decoder_shapes(kind)
        self.kind = kind
        self.convs = {}
        for i, (name, (cin, cout)) in enumerate(shapes.items()):
            init = keras.initializers.HeNormal(seed=seed * 100 + i)  # layers seeded apart
            bias = "zeros"
            if name == "dec1_1":  # the untrained decoder starts at mid grey, not noise
                init, bias = "zeros", keras.initializers.Constant(0.5)
            layer = _conv(name, cout, 3, kernel_initializer=init, bias_initializer=bias)
            layer.build((None, None, None, cin))
            if layers is not None:
                kernel, bias = layers[name]
                if kernel.shape != (3, 3, cin, cout) or bias.shape != (cout,):
                    raise ValueError(f"decoder {name}: shapes {kernel.shape}, {bias.shape}; "
                                     f"a {kind} decoder needs {(3, 3, cin, cout)}, {(cout,)}")
                layer.set_weights([np.asarray(kernel, np.float32), np.asarray(bias, np.float32)])
            self.convs[name] = layer
            setattr(self, name, layer)  # tracked by name, so checkpoints hold the weights
        self.unpool = HaarUnpool(kind)

    def _relu_conv(self, name, x):
        return tf.nn.relu(self.convs[name](_pad(x)))

    def level(self, level: int, x, skips: Mapping):
        """Decoder level `level` on `x`, with the encoder's `skips`."""
        if level == 1:
            return _in_graph(self, 1, lambda x_: self._one_level(1, x_, {}), x)
        pool, original = {4: ("pool3", "conv3_4"), 3: ("pool2", "conv2_2"),
                          2: ("pool1", "conv1_2")}[level]
        needed = {pool: list(skips[pool])}
        if self.kind == "cat5":
            needed[original] = skips[original]
        return _in_graph(self, level, lambda x_, s_: self._one_level(level, x_, s_), x, needed)

    def _one_level(self, level: int, x, skips: Mapping):
        if level == 1:
            return self.convs["dec1_1"](_pad(x))
        first, after, rest, pool, original = {
            4: ("dec4_1", "dec3_4", ("dec3_3", "dec3_2"), "pool3", "conv3_4"),
            3: ("dec3_1", "dec2_2", (), "pool2", "conv2_2"),
            2: ("dec2_1", "dec1_2", (), "pool1", "conv1_2")}[level]
        x = self._relu_conv(first, x)
        if self.kind == "cat5":
            x = self._relu_conv_parts(after, self.unpool.parts(x, *skips[pool], skips[original]))
        else:
            x = self._relu_conv(after, self.unpool(x, *skips[pool]))
        for name in rest:
            x = self._relu_conv(name, x)
        return x

    def _relu_conv_parts(self, name, parts):
        """The conv `name` on the channel concatenation of `parts`. Above
        `SPLIT_ABOVE` channels it runs as the sum of a conv per part (the same
        sum of products): oneDNN runs a 640-channel input at a quarter of the
        rate of a 128-channel one, while at 320 one conv beats five."""
        layer = self.convs[name]
        if sum(int(part.shape[-1]) for part in parts) <= SPLIT_ABOVE:
            return self._relu_conv(name, tf.concat(parts, axis=-1))
        total, start = None, 0
        for part in parts:
            width = int(part.shape[-1])
            y = tf.nn.conv2d(_pad(part), layer.kernel[:, :, start:start + width], 1, "VALID")
            total, start = (y if total is None else total + y), start + width
        return tf.nn.relu(tf.nn.bias_add(total, layer.bias))

    def call(self, x, skips):
        for level in reversed(LEVELS):
            x = self.level(level, x, skips)
        return x

    def layer_weights(self) -> Dict[str, Conv]:
        return {name: tuple(w.numpy() for w in layer.weights) for name, layer in self.convs.items()}
