"""The official AdaIN release's weights (naoto0804/pytorch-AdaIN
`vgg_normalised.pth` and `decoder.pth`), read with tfstyle's restricted torch
reader (no torch needed) into Keras kernel layout."""

from typing import Dict, Mapping

import numpy as np

from tfstyle.adain.layers import DECODER_CONVS, ENCODER_CONVS, Conv
from tfstyle.core import torchfile
from tfstyle.core.errors import WeightsError

# Indices of the conv layers in pytorch-AdaIN's nn.Sequential models (their
# state_dict keys are "<index>.weight" / "<index>.bias").
ENCODER_INDICES = (0, 2, 5, 9, 12, 16, 19, 22, 25, 29)  # 0: the 1x1 conv
DECODER_INDICES = (1, 5, 8, 11, 14, 18, 21, 25, 28)


def _torch_conv(state: Mapping, index: int, what: str, cin: int, cout: int, k: int) -> Conv:
    try:
        weight, bias = state[f"{index}.weight"], state[f"{index}.bias"]
    except KeyError as exc:
        raise WeightsError(f"{what}: no {exc.args[0]!r}; not a pytorch-AdaIN file") from None
    weight, bias = np.asarray(weight, np.float32), np.asarray(bias, np.float32)
    if weight.shape != (cout, cin, k, k) or bias.shape != (cout,):
        raise WeightsError(f"{what}: layer {index} has shape {weight.shape}, expected "
                           f"{(cout, cin, k, k)}; not a pytorch-AdaIN file")
    if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
        raise WeightsError(f"{what}: layer {index} holds non-finite values")
    return weight.transpose(2, 3, 1, 0), bias  # OIHW -> HWIO


def _state_dict(path, what: str) -> Mapping:
    state = torchfile.load_state_dict(path, what)
    return state


def read_pytorch_encoder(path) -> Dict[str, Conv]:
    """Encoder weights from pytorch-AdaIN's `vgg_normalised.pth` (layers after
    relu4_1 are ignored)."""
    state = _state_dict(path, "vgg_normalised")
    layers = {"preprocess": _torch_conv(state, 0, "vgg_normalised", 3, 3, 1)}
    for (name, cin, cout), index in zip(ENCODER_CONVS, ENCODER_INDICES[1:]):
        layers[name] = _torch_conv(state, index, "vgg_normalised", cin, cout, 3)
    return layers


def read_pytorch_decoder(path) -> Dict[str, Conv]:
    """Decoder weights from pytorch-AdaIN's `decoder.pth`."""
    state = _state_dict(path, "decoder")
    convs = [c for c in DECODER_CONVS if c != "up"]
    return {name: _torch_conv(state, index, "decoder", cin, cout, 3)
            for (name, cin, cout), index in zip(convs, DECODER_INDICES)}
