import os
import pickle

import numpy as np
import pytest

import torch_writer
from tfstyle import torchfile
from tfstyle.errors import WeightsError


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
