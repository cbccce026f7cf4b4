"""Reading the 26-style transformer (Dumoulin et al. 2017) of
`multistyle26.onnx`: a float torch export, so no quantization to look
through; its style enters as per-style gamma and beta tables, not as maps of
a style vector. Checked against the geometry `onnx_transformer` shares."""

import numpy as np

from tfstyle.core.errors import WeightsError
from tfstyle.magenta.networks import NUM_STYLES
from tfstyle.magenta.onnx_graph import Arrays, Graph, find_convs, load_model
from tfstyle.magenta.onnx_transformer import (check_chain, check_geometry, check_normalized,
                                              require_layers, transformer_geometry,
                                              transformer_layers)


def read_multistyle(source, what: str = "multistyle26") -> Arrays:
    """The 26-style transformer (Dumoulin et al. 2017) of `multistyle26.onnx`:
    a torch export with state-dict names ("contract.0.w", "res.0.1.norm.gamma")."""
    model = load_model(source, what)
    graph = Graph(model, what)
    convs = graph.convs()
    contract = find_convs(convs, r"contract\.(\d+)\.w")
    residual = find_convs(convs, r"res\.(\d+)\.(\d)\.w")
    expand = find_convs(convs, r"expand\.(\d+)\.w")
    main = {**{f"contract{int(i) + 1}": c for (i,), c in contract.items()},
            **{f"residual{int(b) + 1}_conv{int(j) + 1}": c for (b, j), c in residual.items()},
            **{f"expand{int(i) + 1}": c for (i,), c in expand.items()}}
    residuals = len(residual) // 2
    layers = transformer_layers(residuals)
    require_layers(what, main, layers)
    weights_inputs = [i for i in graph.inputs if i.name == "style_weights"]
    if not weights_inputs:
        raise WeightsError(f"{what}: no 'style_weights' input")
    geometry = transformer_geometry(residuals)
    arrays: Arrays = {}
    for layer in layers:
        conv = main[layer]
        check_geometry(what, conv, layer, *geometry[layer])
        check_normalized(what, graph, conv, layer)
        arrays[f"{layer}/kernel"] = conv.kernel
        prefix = conv.name[:-len(".w")]
        for role in ("gamma", "beta"):
            table = graph.constants.get(f"{prefix}.norm.{role}")
            if table is None or table.shape != (NUM_STYLES, conv.kernel.shape[3]):
                raise WeightsError(f"{what}: {layer} has no [{NUM_STYLES}, "
                                   f"{conv.kernel.shape[3]}] {role} table")
            arrays[f"{layer}/{role}"] = np.asarray(table, np.float32)
    check_chain(what, arrays, layers)
    arrays["epsilon"] = graph.epsilon()
    graph.check_output("sigmoid")
    return arrays
