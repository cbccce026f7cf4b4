"""Reads PyTorch checkpoint files into numpy arrays without importing torch.

A torch checkpoint is a pickle, and unpickling runs whatever callables the file
names. We therefore use an unpickler that resolves only the handful of globals
a plain tensor checkpoint needs, maps each to a harmless stand-in, and refuses
everything else before it can run. Both of torch's formats are read: the
legacy one (a stream of pickles followed by raw storages, torch < 1.6) and the
zip one (``archive/data.pkl`` plus one member per storage).
"""

import collections
import io
import pickle
import zipfile

import numpy as np

from tfstyle.core.errors import WeightsError

# torch.save writes this number first in the legacy format.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

_STORAGE_DTYPES = {
    "ByteStorage": np.uint8,
    "CharStorage": np.int8,
    "ShortStorage": np.int16,
    "IntStorage": np.int32,
    "LongStorage": np.int64,
    "HalfStorage": np.float16,
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "BoolStorage": np.bool_,
}


class _NoState:
    """Refuses pickle's BUILD opcode, which would overwrite a stand-in's fields."""

    def __setstate__(self, state):
        raise WeightsError("torch file: unexpected object state")


class _StorageType(_NoState):
    """Stand-in for ``torch.FloatStorage`` and friends: only records a dtype."""

    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _Storage(_NoState):
    """A storage whose bytes are filled in after the object pickle is read."""

    def __init__(self, dtype, numel):
        self.dtype = dtype
        self.numel = numel
        self.array = None


class _TensorRef(_NoState):
    """What ``torch._utils._rebuild_tensor_v2`` would build, kept lazy."""

    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = offset
        self.size = tuple(size)
        self.stride = tuple(stride)

    def to_numpy(self):
        flat = self.storage.array
        if flat is None:
            raise WeightsError("torch file: a tensor refers to a storage the file does not hold")
        size, stride, offset = self.size, self.stride, self.offset
        if not all(isinstance(v, int) and v >= 0 for v in size + stride + (offset,)) \
                or len(size) != len(stride):
            raise WeightsError("torch file: malformed tensor geometry")
        if any(n == 0 for n in size):
            return np.zeros(size, flat.dtype)
        # A stored tensor never holds more elements than its storage; refusing
        # that also refuses zero-stride views that would expand into huge copies.
        needed = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1
        if needed > flat.size or int(np.prod(size, dtype=np.int64)) > flat.size:
            raise WeightsError("torch file: a tensor lies outside its storage")
        item = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[offset:], shape=size, strides=[s * item for s in stride], writeable=False)
        return np.array(view)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, *_):
    if not isinstance(storage, _Storage) or not isinstance(size, tuple) \
            or not isinstance(stride, tuple):
        raise WeightsError("torch file: malformed tensor")
    return _TensorRef(storage, offset, size, stride)


def _ordered_dict(*args):
    return collections.OrderedDict(*args)


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("collections", "OrderedDict"): _ordered_dict,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that knows tensor checkpoints and nothing else."""

    def __init__(self, file, storages):
        super().__init__(file)
        self._storages = storages

    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise WeightsError(f"torch file: refusing to load unexpected global {module}.{name}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise WeightsError("torch file: unexpected persistent id")
        _, storage_type, key, _location, numel = pid[:5]
        key = str(key)
        if key not in self._storages:
            self._storages[key] = _Storage(storage_type.dtype, int(numel))
        return self._storages[key]


def _load_pickle(file, storages):
    try:
        return _RestrictedUnpickler(file, storages).load()
    except WeightsError:
        raise
    except Exception as exc:  # a truncated or garbled file raises many kinds
        raise WeightsError(f"torch file: not a readable checkpoint ({exc})") from None


def _materialize(obj, memo=None, depth=0):
    """Replace every _TensorRef inside dicts, lists and tuples by an ndarray.

    Shared references are converted once (a file can reference one object
    many times), and nesting is bounded.
    """
    memo = {} if memo is None else memo
    if depth > 64:
        raise WeightsError("torch file: objects nested too deeply")
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, _TensorRef):
        out = obj.to_numpy()
    elif isinstance(obj, dict):
        out = type(obj)((k, _materialize(v, memo, depth + 1)) for k, v in obj.items())
    elif isinstance(obj, (list, tuple)):
        out = type(obj)(_materialize(v, memo, depth + 1) for v in obj)
    else:
        return obj
    memo[id(obj)] = out
    return out


def _read_legacy(data):
    stream = io.BytesIO(data)
    storages = {}
    if _load_pickle(stream, {}) != _LEGACY_MAGIC:
        raise WeightsError("torch file: not a torch checkpoint (bad magic number)")
    if _load_pickle(stream, {}) != _LEGACY_PROTOCOL:
        raise WeightsError("torch file: unsupported legacy protocol version")
    sys_info = _load_pickle(stream, {})
    if not (isinstance(sys_info, dict) and sys_info.get("little_endian", False)):
        raise WeightsError("torch file: only little-endian checkpoints are supported")
    obj = _load_pickle(stream, storages)
    keys = _load_pickle(stream, {})
    if not isinstance(keys, list):
        raise WeightsError("torch file: storage key list is missing")
    for key in keys:
        storage = storages.get(str(key))
        header = stream.read(8)
        if storage is None or len(header) != 8:
            raise WeightsError("torch file: storage table does not match its objects")
        numel = int.from_bytes(header, "little", signed=True)
        nbytes = numel * storage.dtype.itemsize
        if numel < 0 or nbytes > len(data) - stream.tell():
            raise WeightsError("torch file: truncated storage data")
        raw = stream.read(nbytes)
        storage.array = np.frombuffer(raw, storage.dtype)
    return obj


def _read_zip(data):
    storages = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if len(pkl) != 1:
            raise WeightsError("torch file: zip archive without exactly one data.pkl")
        prefix = pkl[0][: -len("data.pkl")]
        obj = _load_pickle(io.BytesIO(archive.read(pkl[0])), storages)
        for key, storage in storages.items():
            member = f"{prefix}data/{key}"
            if member not in names:
                raise WeightsError(f"torch file: storage {key} is missing from the archive")
            nbytes = storage.numel * storage.dtype.itemsize
            # Check the declared size first: a zip bomb never gets decompressed.
            if archive.getinfo(member).file_size != nbytes:
                raise WeightsError(f"torch file: storage {key} has the wrong size")
            storage.array = np.frombuffer(archive.read(member), storage.dtype)
    return obj


def load(path_or_bytes):
    """Returns the object a torch checkpoint holds, with tensors as numpy arrays.

    Args:
      path_or_bytes: a file path, or the file's bytes.

    Raises:
      WeightsError: the file is not a plain tensor checkpoint, or it names a
        global (a class or function) that a tensor checkpoint does not need.
    """
    if isinstance(path_or_bytes, (bytes, bytearray)):
        data = bytes(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as f:
            data = f.read()
    try:
        obj = _read_zip(data) if data[:4] == b"PK\x03\x04" else _read_legacy(data)
        return _materialize(obj)
    except WeightsError:
        raise
    except Exception as exc:  # malformed files fail in many ways; none may escape raw
        raise WeightsError(f"torch file: not a readable checkpoint ({type(exc).__name__})") from None


def load_state_dict(path, what: str):
    """The mapping a checkpoint file holds (a PyTorch `state_dict`); `what`
    names the file in errors."""
    import collections.abc
    import pathlib

    from tfstyle.core.errors import WeightsError

    path = pathlib.Path(path)
    if not path.is_file():
        raise WeightsError(f"no such file: {path}")
    state = load(path)
    if not isinstance(state, collections.abc.Mapping):
        raise WeightsError(f"{what}: {path} holds a {type(state).__name__}, not a state_dict")
    return state
