"""Reading the style prediction network of `arbitrary_predict.onnx`:
MobileNetV2 (TF-slim's scopes, as tf2onnx names them), a global average
pooling and a 1x1 bottleneck to the style vector. Its convs pad as
TensorFlow's 'SAME' does, which the Keras predictor hard-codes; the residual
connections are checked to be MobileNetV2's."""

from typing import Dict, Optional, Tuple

import numpy as np

from tfstyle.core.errors import WeightsError
from tfstyle.magenta.networks import STYLE_DIM
from tfstyle.magenta.onnx_graph import (TRANSPARENT, Arrays, Conv, Graph, Quantizer, find_convs,
                                        load_model, put_quantizers)

PARTS = ("expand", "depthwise", "project")  # an inverted residual block's convs, in order


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
    stem, blocks, top, bottleneck = _scopes(graph)
    _check_same(what, stem, "stem", "relu6")
    arrays: Arrays = {"stem/kernel": stem.kernel, "stem/bias": stem.bias,
                      "stem/stride": np.array(stem.stride, np.int64)}
    channels = stem.kernel.shape[3]
    count = 1 + max(int(i or 0) for i, _ in blocks)
    block_parts, residual_adds = [], {}
    for i in range(count):
        parts = {part: blocks.get((str(i) if i else None, part)) for part in PARTS}
        channels, added = _block(graph, i, parts, channels, arrays)
        block_parts.append(parts)
        if added is not None:
            residual_adds[i] = added
    pooled = _head(graph, top, bottleneck, channels, count, arrays)
    if graph.quantizes_activations():
        layers = {"stem": stem, "top": top, "bottleneck": bottleneck}
        layers.update({f"block{i}/{part}": conv for i, parts in enumerate(block_parts)
                       for part, conv in parts.items() if conv is not None})
        put_quantizers(arrays, _predictor_quantizers(graph, layers, pooled, residual_adds))
    return arrays


def _scopes(graph: Graph) -> Tuple[Conv, Dict[Tuple[str, ...], Conv], Conv, Conv]:
    """(stem, blocks by (index or None, part), top, bottleneck) by their scopes."""
    convs = graph.convs()
    stem = find_convs(convs, r"MobilenetV2/Conv/weights")
    blocks = find_convs(convs, r"MobilenetV2/expanded_conv(?:_(\d+))?/(expand|depthwise|project)/"
                               r"(?:depthwise_)?weights")
    top = find_convs(convs, r"MobilenetV2/Conv_1/weights")
    bottleneck = find_convs(convs, r"mobilenet_conv/Conv/weights")
    if not (stem and top and bottleneck and blocks):
        raise WeightsError(f"{graph.what}: not a MobileNetV2 style predictor (it needs the "
                           "scopes MobilenetV2/Conv, MobilenetV2/expanded_conv*, "
                           "MobilenetV2/Conv_1 and mobilenet_conv)")
    return stem[()], blocks, top[()], bottleneck[()]


def _block(graph: Graph, i: int, parts: Dict[str, Optional[Conv]], channels: int,
           arrays: Arrays):
    """Puts block `i`'s weights and stride in `arrays`, checked against the
    layer before (which gives `channels`); returns (the block's output
    channels, its residual Add node or None)."""
    what = graph.what
    if parts["depthwise"] is None or parts["project"] is None:
        raise WeightsError(f"{what}: block {i} has no depthwise or projection conv")
    cin = channels
    for part in PARTS:
        conv = parts[part]
        if conv is None:
            continue
        key = f"block{i}/{part}"
        _check_same(what, conv, key, None if part == "project" else "relu6")
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
    if bool(added) != (stride == 1 and cin == channels):
        raise WeightsError(f"{what}: block {i}'s residual connection is not MobileNetV2's")
    return channels, (added[0] if added else None)


def _head(graph: Graph, top: Conv, bottleneck: Conv, channels: int, count: int,
          arrays: Arrays):
    """Puts the last conv's and the bottleneck's weights in `arrays`, checked;
    returns the global average pooling node between them."""
    what = graph.what
    _check_same(what, top, "top", "relu6")
    if top.kernel.shape[:3] != (1, 1, channels):
        raise WeightsError(f"{what}: the last conv does not fit block {count - 1}")
    arrays["top/kernel"], arrays["top/bias"] = top.kernel, top.bias
    if bottleneck.kernel.shape != (1, 1, top.kernel.shape[3], STYLE_DIM) or bottleneck.bias is None:
        raise WeightsError(f"{what}: the bottleneck is not a map to a {STYLE_DIM}-d vector")
    pooled = graph.producer_of(bottleneck.data, TRANSPARENT + ("Reshape", "Squeeze", "Flatten"))
    if pooled is None or pooled.op_type not in ("GlobalAveragePool", "ReduceMean"):
        raise WeightsError(f"{what}: the bottleneck does not follow a global average pooling")
    arrays["bottleneck/kernel"] = np.ascontiguousarray(bottleneck.kernel[0, 0])
    arrays["bottleneck/bias"] = bottleneck.bias
    return pooled


def _predictor_quantizers(graph: Graph, layers: Dict[str, Conv], pooled, residual_adds: Dict
                          ) -> Dict[str, Optional[Quantizer]]:
    """The predictor's activation quantization (the points of `read_arbitrary_predict`)."""
    found = {"image": graph.input_quantizer(layers["stem"].data),
             "pool": graph.quantizer(pooled.output[0])}
    for key, conv in layers.items():
        found[f"{key}/conv"] = graph.quantizer(conv.output)
        if conv.activation_output:
            found[f"{key}/out"] = graph.quantizer(conv.activation_output)
    for i, add in residual_adds.items():
        found[f"block{i}/add"] = graph.quantizer(add.output[0])
    return found


def _check_same(what: str, conv: Conv, layer: str, activation: Optional[str]):
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
