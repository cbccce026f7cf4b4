"""The official WCT² release's weights (clovaai/WCT2 `wave_encoder_{sum,cat5}_l4.pth`
and `wave_decoder_{sum,cat5}_l4.pth`), read with tfstyle's restricted torch
reader (no torch needed) into Keras kernel layout.

Their keys: the encoder's convs `conv0`, `conv1_1` ... `conv4_1`; the
decoder's `conv4_1`, `conv3_4` (`conv3_4_2` in the cat5 decoder, whose input
has five times the channels), `conv3_3` ... `conv1_1`, likewise `conv2_2_2`
and `conv1_2_2`; each `<name>.weight` [out, in, kh, kw] and `<name>.bias`.
The fixed Haar filters (`pool*.LL.weight`, `recon_block*.LL.weight`, ...) are
checked to be Haar's (`_check_haar`) and otherwise not needed.
"""

from typing import Dict, Mapping, Tuple

import numpy as np

from tfstyle.core import torchfile
from tfstyle.core.errors import WeightsError
from tfstyle.wct2.networks import ENCODER_CONVS, decoder_shapes

Conv = Tuple[np.ndarray, np.ndarray]
# Official decoder name -> tfstyle's (the cat5 decoder's three have a "_2" suffix).
DECODER_NAMES = {"conv4_1": "dec4_1", "conv3_4": "dec3_4", "conv3_3": "dec3_3",
                 "conv3_2": "dec3_2", "conv3_1": "dec3_1", "conv2_2": "dec2_2",
                 "conv2_1": "dec2_1", "conv1_2": "dec1_2", "conv1_1": "dec1_1"}
CAT5_RENAMED = ("conv3_4", "conv2_2", "conv1_2")


def _state_dict(path, what: str) -> Mapping:
    state = torchfile.load_state_dict(path, what)
    _check_haar(state, what)
    return state


def _check_haar(state: Mapping, what: str):
    """The fixed filters the release stores (`pool*.LL.weight`, `recon_block*.HH.weight`,
    ...) are Haar's: a file with other ones is another network."""
    low = np.array([1.0, 1.0]) / np.sqrt(2)
    high = np.array([-1.0, 1.0]) / np.sqrt(2)
    bands = {"LL": np.outer(low, low), "LH": np.outer(low, high), "HL": np.outer(high, low),
             "HH": np.outer(high, high)}
    for key, value in state.items():
        parts = str(key).split(".")
        if len(parts) != 3 or parts[1] not in bands or parts[2] != "weight":
            continue
        try:
            array = np.asarray(value, np.float64)
        except (TypeError, ValueError):
            array = np.zeros(0)
        if (array.ndim != 4 or array.shape[1:] != (1, 2, 2)
                or not np.allclose(array, bands[parts[1]][None, None], atol=1e-5)):
            raise WeightsError(f"{what}: {key} is not the Haar filter {parts[1]}; not a WCT2 "
                               "release file")


def _conv(state: Mapping, key: str, what: str, shape: Tuple[int, int, int, int]) -> Conv:
    try:
        weight, bias = state[f"{key}.weight"], state[f"{key}.bias"]
    except KeyError as exc:
        raise WeightsError(f"{what}: no {exc.args[0]!r}; not a WCT2 release file") from None
    try:
        weight, bias = np.asarray(weight, np.float32), np.asarray(bias, np.float32)
    except (TypeError, ValueError):
        raise WeightsError(f"{what}: {key} holds no tensor; not a WCT2 release file") from None
    if weight.shape != shape or bias.shape != (shape[0],):
        raise WeightsError(f"{what}: {key} has shape {weight.shape}, expected {shape}; "
                           "not this WCT2 file")
    if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
        raise WeightsError(f"{what}: {key} holds non-finite values")
    return weight.transpose(2, 3, 1, 0), bias  # OIHW -> HWIO


def read_encoder(path) -> Dict[str, Conv]:
    """Encoder layers (conv0 and conv1_1 ... conv4_1) from `wave_encoder_*_l4.pth`."""
    state = _state_dict(path, "wave_encoder")
    layers = {"conv0": _conv(state, "conv0", "wave_encoder", (3, 3, 1, 1))}
    for name, cin, cout in ENCODER_CONVS:
        layers[name] = _conv(state, name, "wave_encoder", (cout, cin, 3, 3))
    return layers


def read_decoder(path) -> Tuple[str, Dict[str, Conv]]:
    """(kind, decoder layers) from `wave_decoder_{sum,cat5}_l4.pth`."""
    state = _state_dict(path, "wave_decoder")
    kind = "cat5" if "conv3_4_2.weight" in state else "sum"
    shapes = decoder_shapes(kind)
    layers = {}
    for official, ours in DECODER_NAMES.items():
        key = f"{official}_2" if kind == "cat5" and official in CAT5_RENAMED else official
        cin, cout = shapes[ours]
        layers[ours] = _conv(state, key, "wave_decoder", (cout, cin, 3, 3))
    return kind, layers


def read_official(encoder_path, decoder_path):
    """(encoder layers, decoder layers, kind) of an official pair."""
    kind, decoder = read_decoder(decoder_path)
    return read_encoder(encoder_path), decoder, kind
