"""Magenta's style predictor in Keras (the architecture: `networks`):
MobileNetV2, global average pooling and a dense map to the style vector."""

from typing import Mapping

import keras
import numpy as np

from tfstyle.magenta.layers import FakeQuant
from tfstyle.magenta.networks import STYLE_DIM, quantizer


def style_predictor(arrays: Mapping[str, np.ndarray], quantized: bool = False) -> keras.Model:
    """Style images [B, H, W, 3] in [0, 1] -> style vectors [B, 100].

    quantized: emulate the file's int8 activations (the points of
    `onnx_predictor.read_arbitrary_predict`); the same as False when `arrays` has none."""

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
