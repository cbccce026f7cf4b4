"""Writes small torch checkpoints (legacy and zip formats) without torch, for tests.

The pickles name the same globals torch writes (torch._utils._rebuild_tensor_v2,
torch.FloatStorage, collections.OrderedDict), through stand-in modules that
exist only while a file is being written.
"""

import collections
import contextlib
import io
import pickle
import sys
import types
import zipfile

import numpy as np

_TYPES = {np.dtype(np.float32): "FloatStorage", np.dtype(np.uint8): "ByteStorage",
          np.dtype(np.int64): "LongStorage", np.dtype(np.float16): "HalfStorage"}


class _Tensor:
    def __init__(self, array, key):
        self.array = np.ascontiguousarray(array)
        self.key = key


@contextlib.contextmanager
def _fake_torch():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # never called: only its name is pickled
        raise AssertionError

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    for name in _TYPES.values():
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    try:
        yield torch
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


class _Pickler(pickle.Pickler):
    def __init__(self, file, torch, tensors):
        super().__init__(file, protocol=2)
        self.torch = torch
        self.tensors = tensors

    def persistent_id(self, obj):
        if isinstance(obj, tuple) and len(obj) == 2 and obj[0] == "__storage__":
            t = obj[1]
            storage_type = getattr(self.torch, _TYPES[t.array.dtype])
            return ("storage", storage_type, t.key, "cpu", t.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, _Tensor):
            self.tensors.append(obj)
            stride, acc = [], 1
            for n in reversed(obj.array.shape):
                stride.insert(0, acc)
                acc *= n
            return (self.torch._utils._rebuild_tensor_v2,
                    (("__storage__", obj), 0, tuple(obj.array.shape), tuple(stride), False,
                     collections.OrderedDict()))
        return NotImplemented


def _wrap(state):
    return collections.OrderedDict(
        (k, _Tensor(v, str(1000 + i))) for i, (k, v) in enumerate(state.items()))


def legacy_bytes(state, extra=None):
    """A legacy (torch < 1.6) checkpoint of a dict name -> ndarray.

    `extra`, if given, is pickled into the object stream as-is (for attacks).
    """
    out = io.BytesIO()
    with _fake_torch() as torch:
        for header in (0x1950A86A20F9469CFC6C, 1001,
                       {"protocol_version": 1001, "little_endian": True,
                        "type_sizes": {"short": 2, "int": 4, "long": 4}}):
            pickle.dump(header, out, protocol=2)
        tensors = []
        obj = _wrap(state)
        if extra is not None:
            obj["extra"] = extra
        _Pickler(out, torch, tensors).dump(obj)
        pickle.dump([t.key for t in tensors], out, protocol=2)
        for t in tensors:
            out.write(int(t.array.size).to_bytes(8, "little"))
            out.write(t.array.tobytes())
    return out.getvalue()


def zip_bytes(state, extra=None):
    """A zip-format (torch >= 1.6) checkpoint of a dict name -> ndarray."""
    out = io.BytesIO()
    with _fake_torch() as torch:
        data = io.BytesIO()
        tensors = []
        obj = _wrap(state)
        if extra is not None:
            obj["extra"] = extra
        _Pickler(data, torch, tensors).dump(obj)
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("archive/data.pkl", data.getvalue())
            for t in tensors:
                archive.writestr(f"archive/data/{t.key}", t.array.tobytes())
            archive.writestr("archive/version", "3\n")
    return out.getvalue()
