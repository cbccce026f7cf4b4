import os
import pickle

import numpy as np
import pytest

import torch_writer
from tfstyle.core import torchfile
from tfstyle.core.errors import WeightsError


class _Payload:
    """Unpickling this runs `touch <path>`: the classic pickle attack."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


STATE = {"w": np.arange(24, dtype=np.float32).reshape(2, 3, 4),
         "q": np.arange(10, dtype=np.uint8), "b": np.array([1.5, -2.0], np.float32)}


@pytest.mark.parametrize("writer", [torch_writer.legacy_bytes, torch_writer.zip_bytes])
def test_round_trip(writer):
    loaded = torchfile.load(writer(STATE))
    assert list(loaded) == list(STATE)
    for name, array in STATE.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name], array)


@pytest.mark.parametrize("writer", [torch_writer.legacy_bytes, torch_writer.zip_bytes])
def test_malicious_global_is_refused_and_never_runs(writer, tmp_path):
    marker = tmp_path / "pwned"
    data = writer(STATE, extra=_Payload(marker))
    # The attack really is in the file: it names os.system (posix.system).
    assert b"system" in data
    with pytest.raises(WeightsError, match="refusing to load unexpected global"):
        torchfile.load(data)
    assert not marker.exists()


def test_plain_pickle_with_payload_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(WeightsError):
        torchfile.load(pickle.dumps(_Payload(marker), protocol=2))
    assert not marker.exists()


def test_truncated_file_is_a_clean_error():
    data = torch_writer.legacy_bytes(STATE)
    with pytest.raises(WeightsError, match="truncated"):
        torchfile.load(data[:-7])


def test_tensor_outside_its_storage_is_refused():
    ref = torchfile._TensorRef(torchfile._Storage(np.dtype(np.float32), 4), 2, (3,), (1,))
    ref.storage.array = np.zeros(4, np.float32)
    with pytest.raises(WeightsError, match="outside its storage"):
        ref.to_numpy()


def test_strided_tensor_is_read_with_its_strides():
    storage = torchfile._Storage(np.dtype(np.float32), 6)
    storage.array = np.arange(6, dtype=np.float32)
    # A transposed 2x3 view: shape (3, 2), strides (1, 3).
    out = torchfile._TensorRef(storage, 0, (3, 2), (1, 3)).to_numpy()
    np.testing.assert_array_equal(out, np.arange(6, dtype=np.float32).reshape(2, 3).T)


def _ref(numel, offset, size, stride):
    storage = torchfile._Storage(np.dtype(np.float32), numel)
    storage.array = np.zeros(numel, np.float32)
    return torchfile._TensorRef(storage, offset, size, stride)


def test_zero_stride_expansion_is_refused_before_allocating():
    # One float that a crafted file asks to expand to 10^12 elements (4 TB).
    with pytest.raises(WeightsError, match="outside its storage"):
        _ref(1, 0, (10**6, 10**6), (0, 0)).to_numpy()


def test_malformed_geometry_is_refused():
    for offset, size, stride in [(-1, (2,), (1,)), (0, (2,), (1, 1)), (0, (2.5,), (1,))]:
        with pytest.raises(WeightsError, match="malformed"):
            _ref(8, offset, size, stride).to_numpy()


def test_object_state_cannot_be_overwritten():
    with pytest.raises(WeightsError, match="unexpected object state"):
        torchfile._Storage(np.dtype(np.float32), 1).__setstate__({"dtype": "x"})


def test_zip_member_of_wrong_declared_size_is_not_decompressed():
    import io
    import zipfile

    data = torch_writer.zip_bytes(STATE)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if "/data/" in info.filename:
                body = b"\0" * 50_000_000  # a member far larger than its tensor
            dst.writestr(info.filename, body)
    with pytest.raises(WeightsError, match="wrong size"):
        torchfile.load(out.getvalue())


def test_shared_references_are_converted_once():
    state = {"w": np.arange(4, dtype=np.float32)}
    data = torch_writer.legacy_bytes(state)
    loaded = torchfile.load(data)
    np.testing.assert_array_equal(loaded["w"], state["w"])
    ref = torchfile._TensorRef(torchfile._Storage(np.dtype(np.float32), 4), 0, (4,), (1,))
    ref.storage.array = np.arange(4, dtype=np.float32)
    out = torchfile._materialize([ref, ref, {"again": ref}])
    assert out[0] is out[1] is out[2]["again"]


@pytest.mark.parametrize("cut", [3, 40, 200])
def test_any_truncation_is_a_weights_error(cut):
    for data in (torch_writer.legacy_bytes(STATE), torch_writer.zip_bytes(STATE)):
        with pytest.raises(WeightsError):
            torchfile.load(data[:cut])
