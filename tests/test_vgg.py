import numpy as np
import pytest

from tfstyle.core import samples, vgg
from tfstyle.core.errors import ConfigError


def test_layer_names_accept_paper_and_keras_forms():
    assert vgg.canonical_layer("conv4_2") == "block4_conv2"
    assert vgg.canonical_layer("relu1_1") == "block1_conv1"
    assert vgg.canonical_layer("block5_conv4") == "block5_conv4"
    for bad in ("conv6_1", "block4_conv5", "fc7", ""):
        with pytest.raises(ConfigError, match="unknown VGG19 layer"):
            vgg.canonical_layer(bad)


def test_architecture_matches_keras_vgg19(fake_weights):
    import keras

    ours = vgg.build_extractor(fake_weights, ["block5_conv4"], pooling="max", normalize=False)
    ref = keras.applications.VGG19(weights=None, include_top=False, pooling=None)
    # Our convs are Conv2D subclasses (VGGConv: a faster forward pass for deep layers).
    kinds = lambda model: [("Conv2D" if isinstance(l, keras.layers.Conv2D) else type(l).__name__,
                            l.name) for l in model.layers
                           if isinstance(l, (keras.layers.Conv2D, keras.layers.MaxPooling2D))]
    # Keras' VGG19 ends with block5_pool, which no style layer needs.
    assert kinds(ours) == kinds(ref)[:-1]
    for name in vgg.LAYER_NAMES:
        ref.get_layer(name).set_weights(list(fake_weights.layers[name]))
    x = np.random.default_rng(0).uniform(0, 1, (1, 32, 32, 3)).astype(np.float32)
    import keras.applications.vgg19 as kv

    ref_feats = keras.Model(ref.input, ref.get_layer("block5_conv4").output)(kv.preprocess_input(x * 255.0))
    np.testing.assert_allclose(ours(x)["block5_conv4"], ref_feats, rtol=1e-4, atol=1e-4)


def test_network_stops_at_deepest_requested_layer(fake_weights):
    model = vgg.build_extractor(fake_weights, ["conv1_2", "conv2_1"], normalize=False)
    convs = [l.name for l in model.layers if l.name.startswith("block") and "conv" in l.name]
    assert convs == ["block1_conv1", "block1_conv2", "block2_conv1"]
    pools = [type(l).__name__ for l in model.layers if l.name.endswith("_pool")]
    assert pools == ["AveragePooling2D"]


def test_tiny_weights_build_vgg19s_layers_at_a_sixteenth_of_its_widths(tiny_weights, fake_weights):
    import keras

    model = vgg.build_extractor(tiny_weights, vgg.LAYER_NAMES, normalize=False)
    widths = {1: 4, 2: 8, 3: 16, 4: 32, 5: 32}  # by block: VGG19's 64, 128, 256, 512, 512 / 16
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert [l.name for l in convs] == list(vgg.LAYER_NAMES)
    inputs = 3
    for conv in convs:
        kernel, bias = conv.get_weights()
        width = widths[vgg.pools_before(conv.name) + 1]
        assert (kernel.shape, bias.shape) == ((3, 3, inputs, width), (width,)), conv.name
        inputs = width
    pools = [l.name for l in model.layers if l.name.endswith("_pool")]
    assert pools == [f"block{b}_pool" for b in range(1, 5)]
    x = np.random.default_rng(0).uniform(0, 1, (1, 32, 48, 3)).astype(np.float32)
    for name, feats in model(x).items():
        p = vgg.pools_before(name)
        assert feats.shape == (1, 32 >> p, 48 >> p, widths[p + 1]), name
    # Its own identity: factors computed for it are never taken for the full-width weights'.
    assert vgg.factors_filename(tiny_weights.sha256) != vgg.factors_filename(fake_weights.sha256)


@pytest.mark.parametrize("pooling", vgg.POOLINGS)
def test_normalized_equals_original_divided_by_factors(fake_weights, fake_factors, pooling):
    factors = fake_factors[pooling]
    names = list(vgg.LAYER_NAMES)
    original = vgg.build_extractor(fake_weights, names, pooling=pooling, normalize=False)
    normal = vgg.build_extractor(fake_weights, names, pooling=pooling, factors=factors)
    x = np.random.default_rng(5).uniform(0, 1, (1, 48, 40, 3)).astype(np.float32)
    a, b = original(x), normal(x)
    effective = vgg.effective_factors(factors)
    for name in names:
        expected = np.asarray(a[name]) / effective[name]
        np.testing.assert_allclose(b[name], expected, rtol=2e-3, atol=1e-5 * expected.max())


def test_rare_filters_are_floored():
    factors = {name: np.full(4, 10.0, np.float32) for name in vgg.LAYER_NAMES}
    factors["block2_conv1"] = np.array([3e-5, 10.0, 12.0, 8.0], np.float32)
    out = vgg.effective_factors(factors)
    assert out["block2_conv1"][0] == pytest.approx(vgg.RARE_FILTER_FLOOR * 9.0)
    np.testing.assert_array_equal(out["block2_conv1"][1:], [10.0, 12.0, 8.0])


@pytest.mark.slow
@pytest.mark.parametrize("pooling", vgg.POOLINGS)
def test_mean_activation_is_one_on_calibration_set(real_weights, pooling):
    factors = vgg.normalization_factors(real_weights, pooling)
    model = vgg.build_extractor(real_weights, vgg.LAYER_NAMES, pooling=pooling, factors=factors)
    images = samples.calibration_images()
    sums = {n: 0.0 for n in vgg.LAYER_NAMES}
    for image in images:
        out = model(image[None])
        for n in vgg.LAYER_NAMES:
            sums[n] = sums[n] + np.asarray(out[n], np.float64)[0].mean(axis=(0, 1))
    floored = total = 0
    for n in vgg.LAYER_NAMES:
        mean = sums[n] / len(images)
        kept = np.asarray(factors[n]) >= vgg.RARE_FILTER_FLOOR * np.median(factors[n])
        np.testing.assert_allclose(mean[kept], 1.0, rtol=2e-3)
        floored += int((~kept).sum())
        total += kept.size
    assert floored <= 0.01 * total, "only a handful of rare filters may be floored"


@pytest.mark.slow
@pytest.mark.parametrize("pooling", vgg.POOLINGS)
def test_shipped_factors_match_a_fresh_calibration(real_weights, pooling):
    shipped_file = vgg._DATA_DIR / vgg.factors_filename(real_weights.sha256)
    shipped = vgg._read_factors(shipped_file, real_weights.sha256, pooling)
    assert shipped is not None, f"{shipped_file} must ship factors for the offline weights"
    fresh = vgg.compute_factors(real_weights, samples.calibration_images(), pooling)
    for n in vgg.LAYER_NAMES:
        np.testing.assert_allclose(shipped[n], fresh[n], rtol=1e-3, atol=1e-6)


def test_uncached_weights_are_calibrated_once_and_both_poolings_kept(fake_weights, monkeypatch, tmp_path):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    rng = np.random.default_rng(2)
    monkeypatch.setattr(vgg.samples, "calibration_images",
                        lambda: [rng.uniform(0, 1, (32, 32, 3)).astype(np.float32)])
    calls = []
    real_compute = vgg.compute_factors
    monkeypatch.setattr(vgg, "compute_factors", lambda *a: calls.append(a[2]) or real_compute(*a))
    first = {p: vgg.normalization_factors(fake_weights, p) for p in vgg.POOLINGS}
    again = {p: vgg.normalization_factors(fake_weights, p) for p in vgg.POOLINGS}
    assert calls == ["avg", "max"]
    for p in vgg.POOLINGS:
        np.testing.assert_array_equal(first[p]["block3_conv1"], again[p]["block3_conv1"])


def test_deep_layers_run_forward_as_a_transposed_conv_with_the_same_result(fake_weights):
    """Layers with >= 256 input channels compute conv2d through
    conv2d_transpose on a flipped kernel (a faster oneDNN kernel): their
    responses and the image gradient equal a plain conv2d network's."""
    import tensorflow as tf

    from tfstyle.core import vgg

    names = ["block3_conv2", "block4_conv2", "block5_conv1"]
    model = vgg.build_extractor(fake_weights, names, normalize=False)
    fast = [layer.name for layer in model.layers if getattr(layer, "flipped", None) is not None]
    assert "block3_conv2" in fast and "block3_conv1" not in fast  # 128 -> 256 stays plain

    def plain(image):
        x = image[..., ::-1] * 255.0 - np.array(vgg.CAFFE_MEAN_BGR, np.float32)
        out = {}
        for index, name in enumerate(vgg.LAYER_NAMES[:vgg.LAYER_NAMES.index("block5_conv1") + 1]):
            if index and name.split("_")[0] != vgg.LAYER_NAMES[index - 1].split("_")[0]:
                x = tf.nn.avg_pool2d(x, 2, 2, "VALID")
            kernel, bias = fake_weights.layers[name]
            x = tf.nn.relu(tf.nn.conv2d(x, kernel, 1, "SAME") + bias)
            out[name] = x
        return out

    image = tf.constant(np.random.default_rng(0).uniform(0, 1, (1, 48, 40, 3)).astype(np.float32))
    grads = []
    for network in (model, plain):
        with tf.GradientTape() as tape:
            tape.watch(image)
            feats = network(image)
            loss = sum(tf.reduce_sum(tf.square(feats[n])) for n in names)
        grads.append(tape.gradient(loss, image).numpy())
        if network is model:
            ours = {n: feats[n].numpy() for n in names}
    for name in names:
        np.testing.assert_allclose(ours[name], feats[name].numpy(), rtol=1e-4,
                                   atol=1e-4 * float(np.abs(feats[name]).max()))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-3, atol=1e-3 * float(np.abs(grads[1]).max()))


def test_set_weights_keeps_the_flipped_kernel_in_step(fake_weights):
    from tfstyle.core import vgg

    model = vgg.build_extractor(fake_weights, ["block4_conv2"], normalize=False)
    layer = model.get_layer("block4_conv2")
    kernel, bias = fake_weights.layers["block4_conv2"]
    layer.set_weights([kernel[::-1].copy(), bias])
    np.testing.assert_array_equal(layer.flipped.numpy(),
                                  kernel[:, ::-1].transpose(0, 1, 3, 2))
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
