"""Reading the arbitrary-style transformer (Ghiasi et al. 2017) of
`arbitrary_transform.onnx`, and the checks both transformer files share
(`onnx_multistyle` reads the 26-style one).

Geometry the Keras transformer hard-codes (kernel sizes, strides, reflection
padding, nearest upsampling, the channel chain, instance norms) is checked
against the graph, so a different network is refused rather than misread.
The activation quantization points of the int8 file are named in
`transformer_points` and found by following the graph from each conv
(`NORM_STEPS` for the instance norms).
"""

import re
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import numpy as np

from tfstyle.core.errors import WeightsError
from tfstyle.magenta.networks import CONTRACT, EXPAND, RESIDUAL_KERNEL, STYLE_DIM, residual_names
from tfstyle.magenta.onnx_graph import (MOVES_VALUES, QDQ, Arrays, Conv, Graph, Quantizer,
                                        find_convs, load_model, put_quantizers)

# -- the checks both transformer files share -------------------------------------------------


def transformer_layers(residuals: int) -> List[str]:
    return [n for n, _, _ in CONTRACT] + residual_names(residuals) + [n for n, _, _ in EXPAND]


def transformer_geometry(residuals: int):
    """layer -> (kernel size, stride, reflection pad, upsampling) of the transformer."""
    geometry = {name: (size, stride, size // 2, 1) for name, size, stride in CONTRACT}
    geometry.update({name: (RESIDUAL_KERNEL, 1, RESIDUAL_KERNEL // 2, 1)
                     for name in residual_names(residuals)})
    geometry.update({name: (size, 1, size // 2, up) for name, size, up in EXPAND})
    return geometry


def require_layers(what: str, found: Dict[str, Conv], layers: List[str]):
    missing = [layer for layer in layers if layer not in found]
    extra = sorted(set(found) - set(layers))
    if missing or extra or not any(layer.startswith("residual") for layer in layers):
        raise WeightsError(f"{what}: not the expected transformer network (missing "
                           f"{missing or 'nothing'}, unexpected {extra or 'nothing'})")


def check_geometry(what: str, conv: Conv, layer: str, size: int, stride: int, pad: int,
                   upsample: int):
    got = (conv.kernel.shape[0], conv.stride, conv.reflect_pad, conv.upsample)
    if got != (size, stride, pad, upsample):
        raise WeightsError(
            f"{what}: {layer} is a {got[0]}x{got[0]} conv with stride {got[1]}, reflection "
            f"padding {got[2]} and upsampling x{got[3]}; expected {size}x{size}, {stride}, "
            f"{pad}, x{upsample}")
    if conv.depthwise or any(conv.pads):
        raise WeightsError(f"{what}: {layer} pads or groups its conv itself; expected a plain "
                           "conv after reflection padding")


def check_normalized(what: str, graph: Graph, conv: Conv, layer: str):
    """Checks that a conv's output goes into an instance norm (a spatial mean)."""
    uses = {node.op_type for node in graph.consumers(conv.output)}
    if not uses & {"GlobalAveragePool", "ReduceMean"}:
        raise WeightsError(f"{what}: {layer}'s output is not instance-normalized")


def check_chain(what: str, arrays: Arrays, layers: List[str]):
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


# -- the arbitrary transformer ---------------------------------------------------------------


def read_arbitrary_transform(source, what: str = "arbitrary_transform") -> Arrays:
    """The arbitrary-style transformer network (Ghiasi et al. 2017) of
    `arbitrary_transform.onnx`: tf2onnx names, Magenta's variable scopes."""
    graph = Graph(load_model(source, what), what)
    convs = graph.convs()
    contract = find_convs(convs, r"transformer/contract/conv(\d)/weights")
    residual = find_convs(convs, r"transformer/residual/residual(\d+)/conv(\d)/weights")
    expand = find_convs(convs, r"transformer/expand/conv(\d)/conv/weights")
    residuals = len(residual) // 2
    main = {**{f"contract{i}": c for (i,), c in contract.items()},
            **{f"residual{b}_conv{j}": c for (b, j), c in residual.items()},
            **{f"expand{i}": c for (i,), c in expand.items()}}
    layers = transformer_layers(residuals)
    require_layers(what, main, layers)
    geometry = transformer_geometry(residuals)
    styled = _style_params(graph, convs, main)
    arrays: Arrays = {}
    for layer in layers:
        check_geometry(what, main[layer], layer, *geometry[layer])
        arrays.update(_layer_arrays(graph, main[layer], layer, styled.get(layer, {})))
    check_chain(what, arrays, layers)
    arrays["epsilon"] = graph.epsilon()
    graph.check_output("sigmoid")
    if graph.quantizes_activations():
        put_quantizers(arrays, _transformer_quantizers(graph, main, styled, residuals))
    return arrays


def _style_params(graph: Graph, convs: Dict[str, Conv], main: Dict[str, Conv]
                  ) -> Dict[str, Dict[str, Conv]]:
    """layer -> {"gamma": conv, "beta": conv}: the style parameters, a 1x1
    conv of the style vector per normalized layer, told apart by use: gamma
    multiplies the normalized input, beta is added."""
    what = graph.what
    params = find_convs(convs, r"style_params/transformer/(.+)/StyleNorm/(Conv(?:_1)?)/weights")
    styled = defaultdict(dict)
    scope_to_layer = {c.name.rsplit("/", 1)[0]: layer for layer, c in main.items()}
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
    return dict(styled)


def _layer_arrays(graph: Graph, conv: Conv, layer: str, params: Dict[str, Conv]) -> Arrays:
    """Layer `layer`'s kernel, bias and (normalized layers) style parameter maps."""
    what = graph.what
    arrays = {f"{layer}/kernel": conv.kernel}
    if layer.startswith("contract"):
        # The contracting layers' batch norms are folded into their biases.
        if conv.bias is None or conv.activation != "relu":
            raise WeightsError(f"{what}: {layer} is not a conv with bias and ReLU")
        arrays[f"{layer}/bias"] = conv.bias
        return arrays
    # A bias before an instance norm cancels out exactly in float (the norm
    # subtracts the mean), so the release's (zero) ones are not kept; a
    # nonzero one is, as a quantized graph rounds after adding it.
    if conv.bias is not None and np.any(conv.bias):
        arrays[f"{layer}/bias"] = conv.bias
    check_normalized(what, graph, conv, layer)
    if set(params) != {"gamma", "beta"}:
        raise WeightsError(f"{what}: {layer} has no conditional instance norm")
    for role in ("gamma", "beta"):
        kernel, bias = params[role].kernel[0, 0], params[role].bias
        if kernel.shape[1] != conv.kernel.shape[3]:
            raise WeightsError(f"{what}: {layer}'s {role} has {kernel.shape[1]} channels, "
                               f"the conv {conv.kernel.shape[3]}")
        arrays[f"{layer}/{role}/kernel"] = np.ascontiguousarray(kernel)
        arrays[f"{layer}/{role}/bias"] = bias
    return arrays


# -- its activation quantization -------------------------------------------------------------

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
    for layer in transformer_layers(residuals):
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
    through = QDQ + MOVES_VALUES  # tf2onnx reshapes and transposes the small tensors
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
    for layer in transformer_layers(residuals):
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
