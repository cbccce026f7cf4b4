"""Magenta's transformer networks in Keras (the architecture: `networks`):
the arbitrary-style one, conditioned on a style vector, and the 26-style one,
on style weights. Both are the same layers (`layers`) around a conditional
instance norm; only the style parameters' source differs."""

from typing import Mapping

import keras
import numpy as np

from tfstyle.magenta.layers import (ConditionalInstanceNorm, Crop, FakeQuant, PadToMultiple,
                                    ReflectConv)
from tfstyle.magenta.networks import (CONTRACT, EXPAND, NUM_STYLES, STYLE_DIM, count_residuals,
                                      quantizer)


class _Builder:
    """The transformer's layers on symbolic tensors: `arrays`' weights,
    `style_params(name, arrays, condition)` for each norm's (gamma, beta),
    and with quantized=True the activation quantization `arrays` holds
    (`onnx_transformer.transformer_points`). Each stage returns its output
    and `after`, the quantization point that output comes from."""

    def __init__(self, arrays: Mapping[str, np.ndarray], condition, style_params,
                 quantized: bool):
        self.arrays, self.style_params, self.quantized = arrays, style_params, quantized
        self.eps = float(arrays["epsilon"])
        self.condition = self.fq(condition, "style_vector")

    def quant(self, point):
        return quantizer(self.arrays, point) if self.quantized else None

    def fq(self, x, point, relu_name=None):
        """x quantized at `point` (after a ReLU named `relu_name`, when given)."""
        found = self.quant(point)
        if found is None:
            return keras.layers.ReLU(name=relu_name)(x) if relu_name else x
        return FakeQuant(*found, relu=relu_name is not None,
                         name=point.replace("/", "_") + "_quant")(x)

    def conv_input(self, x, name, after):
        """A conv's input quantization, unless `x` is on that grid already (it
        comes from the same quantization, `after`: then it is the identity)."""
        if self.quant(f"{name}/input") == self.quant(after):
            return x
        return self.fq(x, f"{name}/input")

    def conv(self, x, name: str, stride: int = 1, upsample: int = 1, activation=None,
             blocked: bool = False):
        """Layer `name`'s ReflectConv, with a bias when `arrays` has one."""
        kernel = self.arrays[f"{name}/kernel"]
        return ReflectConv(kernel.shape[3], kernel.shape[0], stride, upsample,
                           f"{name}/bias" in self.arrays, activation, blocked, name=name)(x)

    def cin(self, x, name):
        gamma, beta = self.style_params(name, self.arrays, self.condition)
        gamma, beta = self.fq(gamma, f"{name}/gamma"), self.fq(beta, f"{name}/beta")
        steps = {step: self.quant(f"{name}/{step}") for step in ConditionalInstanceNorm.STEPS}
        # Without a quantized step, the fused (float) norm computes the same.
        norm = ConditionalInstanceNorm(self.eps, steps if any(steps.values()) else None,
                                       name=f"{name}_norm")
        return norm(self.fq(x, f"{name}/conv"), gamma, beta)

    def contract(self, x, normalize: bool):
        """The contracting convs; normalize: CIN-normalized (the 26-style
        network) rather than a bias and a ReLU (the arbitrary one)."""
        after = "content"
        for name, _, stride in CONTRACT:
            x = self.conv_input(x, name, after)
            if normalize:
                x = self.fq(self.cin(self.conv(x, name, stride), name), f"{name}/out",
                            f"{name}_relu")
            elif self.quant(f"{name}/conv") is None:  # the ReLU fuses into the conv
                x = self.fq(self.conv(x, name, stride, activation="relu"), f"{name}/out")
            else:
                x = self.fq(self.conv(x, name, stride), f"{name}/conv")
                x = self.fq(x, f"{name}/out", f"{name}_relu")
            after = f"{name}/out"
        return x, after

    def residuals(self, x, after):
        for block in range(1, count_residuals(self.arrays) + 1):
            first, second = f"residual{block}_conv1", f"residual{block}_conv2"
            y = self.conv(self.conv_input(x, first, after), first)
            y = self.fq(self.cin(y, first), f"{first}/out", f"{first}_relu")
            y = self.cin(self.conv(self.conv_input(y, second, f"{first}/out"), second), second)
            x = self.fq(keras.layers.Add(name=f"residual{block}")([x, y]), f"residual{block}/add")
            after = f"residual{block}/add"
        return x, after

    def expand(self, x, after):
        for name, _, up in EXPAND:
            last = name == EXPAND[-1][0]
            # The last conv runs at full size (even sides) with 3 outputs: blocked.
            x = self.cin(self.conv(self.conv_input(x, name, after), name, upsample=up,
                                   blocked=last and up == 1), name)
            if last:
                x = self.fq(keras.layers.Activation("sigmoid", name=f"{name}_act")(x), "output")
            else:
                x = self.fq(x, f"{name}/out", f"{name}_act")
            after = f"{name}/out"
        return x, after


def _transformer(arrays: Mapping[str, np.ndarray], image, condition, style_params,
                 normalize_contract: bool, quantized: bool = False):
    """The transformer on symbolic `image`; `style_params(name, arrays, condition)`
    gives layer `name`'s (gamma, beta), each [B, channels]. quantized: with
    the activation quantization `arrays` holds (`onnx_transformer.transformer_points`)."""
    build = _Builder(arrays, condition, style_params, quantized)
    x = PadToMultiple(name="pad_to_4")(build.fq(image, "content"))
    x, after = build.contract(x, normalize_contract)
    x, after = build.residuals(x, after)
    x, _ = build.expand(x, after)
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

    quantized: emulate the file's int8 activations (see `networks`);
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
