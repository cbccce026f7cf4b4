"""An ONNX graph as the readers of Magenta's files (`onnx_import`) see it.

`Graph` folds the constant subgraphs (the QDQ weights dequantized as
DequantizeLinear defines, y = (x - zero_point) * scale; pad amounts; scales),
looks through the QuantizeLinear/DequantizeLinear pairs on activations to find
the network, and gives each Conv node with its weights in Keras layout and
what the Keras networks hard-code around it (reflection padding, nearest
upsampling, the activation after it), for the readers to check. The pairs'
(scale, zero point) are kept, as the Keras networks can emulate them
(`layers.fake_quant`).
"""

import dataclasses
import re
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np

from tfstyle.core.errors import WeightsError

Arrays = Dict[str, np.ndarray]
Quantizer = Tuple[np.ndarray, np.ndarray]  # (scale float32, zero point of the integer type)
QDQ = ("QuantizeLinear", "DequantizeLinear")
# Passed through when following a tensor to where it came from: quantization
# pairs and the layout changes tf2onnx puts around an NHWC graph.
TRANSPARENT = QDQ + ("Transpose", "Identity")
# Ops that copy values without computing new ones: a quantization before them
# holds after them.
MOVES_VALUES = ("Transpose", "Identity", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Pad",
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
                if node.op_type in QDQ and inputs and inputs[0] in self.origin:
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
    def source(self, name: str, through=QDQ) -> str:
        """`name` with quantization pairs (and `through`) above it skipped."""
        while name not in self.constants and name in self.producer \
                and self.producer[name].op_type in through:
            name = self.producer[name].input[0]
        return name

    def producer_of(self, name: str, through=QDQ):
        return self.producer.get(self.source(name, through))

    def consumers(self, name: str, through=QDQ) -> List:
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
        node = self.producer_of(name, TRANSPARENT)
        if node is not None and node.op_type == "Pad":
            pad = self._reflect_amount(node, conv)
            node = self.producer_of(node.input[0], TRANSPARENT)
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
        while node is not None and node.op_type in MOVES_VALUES and node.input[0] \
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
        node = self.producer_of(self.outputs[0], TRANSPARENT)
        if node is None or node.op_type.lower() != activation:
            raise WeightsError(f"{self.what}: the output is not a {activation}")


def _attributes(node) -> dict:
    from onnx import helper

    attrs = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        attrs[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return attrs


def find_convs(convs: Dict[str, Conv], pattern: str) -> Dict[Tuple[str, ...], Conv]:
    """The convs whose kernel names match `pattern`, by its groups."""
    found = {}
    for name, conv in convs.items():
        match = re.fullmatch(pattern, name)
        if match:
            found[match.groups()] = conv
    return found


def put_quantizers(arrays: Arrays, found: Dict[str, Optional[Quantizer]]):
    """Writes each point's "quant/<point>/scale" and ".../zero_point"; a
    point the graph does not quantize (None) is left out."""
    for point, quantizer in found.items():
        if quantizer is not None:
            arrays[f"quant/{point}/scale"], arrays[f"quant/{point}/zero_point"] = quantizer
