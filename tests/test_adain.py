"""AdaIN: the pure function, the networks against a numpy reference of
pytorch-AdaIN's layers, the official files' import, saving, and the controls."""

import numpy as np
import pytest
import tensorflow as tf

import torch_writer
from tfstyle import adain
from tfstyle.core.errors import ConfigError, WeightsError

RNG = np.random.default_rng(5)


def _he(cout, cin, k):
    return RNG.normal(0, np.sqrt(2.0 / (cin * k * k)), (cout, cin, k, k)).astype(np.float32)


def _torch_states():
    """State dicts with pytorch-AdaIN's keys and shapes (random values)."""
    vgg = {"0.weight": _he(3, 3, 1), "0.bias": RNG.normal(0, 0.1, 3).astype(np.float32)}
    for (_, cin, cout), index in zip(adain.ENCODER_CONVS, adain.ENCODER_INDICES[1:]):
        vgg[f"{index}.weight"] = _he(cout, cin, 3)
        vgg[f"{index}.bias"] = RNG.normal(0.05, 0.02, cout).astype(np.float32)
    # The release files hold relu4_2 ... relu5_4 too; the importer ignores them.
    vgg["31.weight"], vgg["31.bias"] = _he(512, 512, 3), np.zeros(512, np.float32)
    dec = {}
    convs = [c for c in adain.DECODER_CONVS if c != "up"]
    for (_, cin, cout), index in zip(convs, adain.DECODER_INDICES):
        dec[f"{index}.weight"] = _he(cout, cin, 3) * 0.5
        dec[f"{index}.bias"] = RNG.normal(0.0, 0.02, cout).astype(np.float32)
    return vgg, dec


VGG_STATE, DECODER_STATE = _torch_states()


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adain")
    (folder / "vgg_normalised.pth").write_bytes(torch_writer.legacy_bytes(VGG_STATE))
    (folder / "decoder.pth").write_bytes(torch_writer.zip_bytes(DECODER_STATE))
    return folder


@pytest.fixture(scope="module")
def model(release):
    return adain.AdaIN.from_pytorch(release / "vgg_normalised.pth", release / "decoder.pth")


# numpy reference of the torch layers: NCHW, OIHW kernels.
def _conv(x, weight, bias, pad):
    if pad:
        x = np.pad(x, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    k = weight.shape[-1]
    h, w = x.shape[1] - k + 1, x.shape[2] - k + 1
    out = np.zeros((weight.shape[0], h, w), np.float64)
    for dy in range(k):
        for dx in range(k):
            out += np.einsum("oc,chw->ohw", weight[:, :, dy, dx], x[:, dy:dy + h, dx:dx + w])
    return out + bias[:, None, None]


def _maxpool_ceil(x):
    c, h, w = x.shape
    padded = np.full((c, h + h % 2, w + w % 2), -np.inf)
    padded[:, :h, :w] = x
    return padded.reshape(c, (h + 1) // 2, 2, (w + 1) // 2, 2).max(axis=(2, 4))


def _reference_encoder(image):
    x = _conv(image.transpose(2, 0, 1).astype(np.float64), VGG_STATE["0.weight"], VGG_STATE["0.bias"], False)
    outs = {}
    for i, ((name, _, _), index) in enumerate(zip(adain.ENCODER_CONVS, adain.ENCODER_INDICES[1:])):
        if i and name.split("_")[0] != adain.ENCODER_CONVS[i - 1][0].split("_")[0]:
            x = _maxpool_ceil(x)
        x = np.maximum(_conv(x, VGG_STATE[f"{index}.weight"], VGG_STATE[f"{index}.bias"], True), 0)
        outs[name] = x.transpose(1, 2, 0)
    return outs


def _reference_decoder(features):
    x = features.transpose(2, 0, 1).astype(np.float64)
    convs = [c for c in adain.DECODER_CONVS if c != "up"]
    indices = iter(adain.DECODER_INDICES)
    for item in adain.DECODER_CONVS:
        if item == "up":
            x = x.repeat(2, axis=1).repeat(2, axis=2)
            continue
        index = next(indices)
        x = _conv(x, DECODER_STATE[f"{index}.weight"], DECODER_STATE[f"{index}.bias"], True)
        if item is not convs[-1]:
            x = np.maximum(x, 0)
    return x.transpose(1, 2, 0)


def test_adain_moves_each_channels_mean_and_std_to_the_styles():
    content = tf.constant(RNG.normal(2, 3, (1, 9, 7, 4)).astype(np.float32))
    style = tf.constant(RNG.normal(-1, 0.5, (1, 5, 6, 4)).astype(np.float32))
    out = adain.adain(content, style).numpy()[0]
    s = style.numpy()[0]
    np.testing.assert_allclose(out.mean(axis=(0, 1)), s.mean(axis=(0, 1)), atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1), ddof=1), s.std(axis=(0, 1), ddof=1), rtol=1e-3)
    # Normalization keeps the content's spatial pattern per channel.
    c = content.numpy()[0]
    corr = [np.corrcoef(out[..., k].ravel(), c[..., k].ravel())[0, 1] for k in range(4)]
    assert min(corr) > 0.9999
    mean, std = adain.mean_std(style)
    np.testing.assert_allclose(adain.adain(content, (mean, std)).numpy()[0], out, rtol=1e-6)


@pytest.mark.parametrize("shape", [(16, 24), (18, 22)])  # odd sizes: torch's ceil-mode pooling
def test_encoder_from_the_release_file_matches_torch_layers(model, shape):
    image = RNG.uniform(0, 1, shape + (3,)).astype(np.float32)
    got = model.encoder(tf.constant(image[None]))
    expected = _reference_encoder(image)
    for name in adain.STYLE_LAYERS:
        assert got[name].shape[1:3] == expected[name].shape[:2], name
        np.testing.assert_allclose(got[name].numpy()[0], expected[name], rtol=2e-3,
                                   atol=2e-4 * np.abs(expected[name]).max())


def test_decoder_from_the_release_file_matches_torch_layers(model):
    features = RNG.uniform(0, 1, (3, 4, 512)).astype(np.float32)
    got = model.decoder(tf.constant(features[None])).numpy()[0]
    expected = _reference_decoder(features)
    assert got.shape == (24, 32, 3)
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-4 * np.abs(expected).max())


def test_imagenet_encoder_starts_with_the_caffe_preprocessing(fake_weights):
    from tfstyle.core.vgg import build_extractor

    image = RNG.uniform(0, 1, (20, 20, 3)).astype(np.float32)
    ours = adain.build_encoder(adain.imagenet_encoder_weights(fake_weights), ["block1_conv1"])
    keras_vgg = build_extractor(fake_weights, ["block1_conv1"], pooling="max", normalize=False)
    a = ours(tf.constant(image[None]))["block1_conv1"].numpy()[0]
    b = keras_vgg(tf.constant(image[None]))["block1_conv1"].numpy()[0]
    # Reflection against zero padding: only the border differs.
    np.testing.assert_allclose(a[1:-1, 1:-1], b[1:-1, 1:-1], rtol=1e-4, atol=1e-4 * np.abs(b).max())


def test_save_and_load_round_trip(model, tmp_path):
    path = tmp_path / "model.weights.h5"
    model.save(path)
    again = adain.AdaIN.load(path)
    image = RNG.uniform(0, 1, (32, 40, 3)).astype(np.float32)
    style = RNG.uniform(0, 1, (24, 24, 3)).astype(np.float32)
    np.testing.assert_allclose(again.stylize(image, style, size=None, style_size=None),
                               model.stylize(image, style, size=None, style_size=None), atol=1e-6)
    with pytest.raises(ConfigError, match=r"\.weights\.h5"):
        model.save(tmp_path / "model.h5")


def test_alpha_zero_decodes_the_content_features_and_alpha_blends(model):
    image = RNG.uniform(0, 1, (32, 32, 3)).astype(np.float32)
    style = RNG.uniform(0, 1, (32, 32, 3)).astype(np.float32) ** 3
    plain = model.decoder(model.encode(image[None])).numpy()[0]
    np.testing.assert_allclose(model.stylize(image, style, alpha=0.0, size=None),
                               np.clip(plain, 0, 1), atol=1e-5)
    full = model.stylize(image, style, size=None)
    half = model.stylize(image, style, alpha=0.5, size=None)
    assert np.abs(half - full).mean() > 1e-4 and np.abs(half - np.clip(plain, 0, 1)).mean() > 1e-4
    with pytest.raises(ConfigError, match="alpha` must be in"):
        model.stylize(image, style, alpha=1.5)


def test_cached_style_statistics_give_the_same_image(model):
    image = RNG.uniform(0, 1, (40, 32, 3)).astype(np.float32)
    style = RNG.uniform(0, 1, (48, 48, 3)).astype(np.float32)
    stats = model.style_stats(style, None)
    np.testing.assert_allclose(model.stylize(image, stats, size=None),
                               model.stylize(image, style, size=None, style_size=None), atol=1e-6)
    with pytest.raises(ConfigError, match="preserve_color` needs style images"):
        model.stylize(image, stats, preserve_color="histogram")


def test_preserve_color_keeps_the_contents_colours(model):
    from tfstyle.core import color

    y, x = np.mgrid[0:32, 0:32] / 32.0
    image = np.stack([0.2 + 0.5 * x, 0.5 + 0 * x, 0.9 - 0.5 * y], -1).astype(np.float32)
    style = np.zeros((32, 32, 3), np.float32)
    style[..., 0] = RNG.uniform(0.6, 1.0, (32, 32))  # red noise
    kw = dict(size=None, style_size=None)
    # histogram: the style's colours are matched to the content's before encoding.
    np.testing.assert_allclose(
        model.stylize(image, style, preserve_color="histogram", **kw),
        model.stylize(image, color.match_color_histogram(style, image), **kw), atol=1e-6)
    # luminance: the output has the content's chroma.
    kept = model.stylize(image, style, preserve_color="luminance", **kw)
    inside = ((kept > 0.001) & (kept < 0.999)).all(-1)  # where no channel was clipped
    assert inside.sum() >= 16
    np.testing.assert_allclose(color.rgb_to_yiq(kept)[inside][:, 1:],
                               color.rgb_to_yiq(image)[inside][:, 1:], atol=1e-4)
    with pytest.raises(ConfigError, match="preserve_color` must be one of"):
        model.stylize(image, style, preserve_color="sepia")


def test_style_interpolation_and_masks(model):
    image = RNG.uniform(0, 1, (32, 48, 3)).astype(np.float32)
    a = RNG.uniform(0, 1, (32, 32, 3)).astype(np.float32) ** 3
    b = 1.0 - a
    only_a = model.stylize(image, [a, b], style_weights=[1, 0], size=None, style_size=None)
    np.testing.assert_allclose(only_a, model.stylize(image, a, size=None, style_size=None), atol=1e-6)
    mixed = model.stylize(image, [a, b], size=None, style_size=None)
    assert np.abs(mixed - only_a).mean() > 1e-4
    # A mask covering everything is plain AdaIN.
    everywhere = np.ones((32, 48), np.float32)
    np.testing.assert_allclose(model.stylize(image, [a], masks=[everywhere], size=None,
                                             style_size=None), only_a, atol=1e-4)
    left = np.zeros((32, 48), np.float32)
    left[:, :24] = 1
    split = model.stylize(image, [a, b], masks=[left, 1 - left], size=None, style_size=None)
    assert split.shape == image.shape
    with pytest.raises(ConfigError, match="2 masks for 1 styles"):
        model.stylize(image, [a], masks=[left, left])
    with pytest.raises(ConfigError, match="weights >= 0 with a positive sum"):
        model.stylize(image, [a, b], style_weights=[1, -1])


def test_any_size_in_the_same_size_out_and_tiny_images_are_refused(model):
    content = RNG.uniform(0, 1, (37, 50, 3)).astype(np.float32)
    style = RNG.uniform(0, 1, (20, 20, 3)).astype(np.float32)
    out = model.stylize(content, style, size=None, style_size=None)
    assert out.shape == (37, 50, 3) and out.dtype == np.float32
    # The tensor form (for tf.data) gives the same, for one image or a batch.
    stats = model.style_stats(style, None)
    one = model.stylize_tensor(content, stats).numpy()
    np.testing.assert_allclose(one, out, atol=1e-5)
    both = model.stylize_tensor(np.stack([content, content[::-1]]), stats).numpy()
    np.testing.assert_allclose(both[0], out, atol=1e-5)
    mapped = next(iter(tf.data.Dataset.from_tensors(content)
                       .map(lambda x: model.stylize_tensor(x, stats))))
    np.testing.assert_allclose(mapped.numpy(), out, atol=1e-5)
    with pytest.raises(ConfigError, match="at least 8 px"):
        model.stylize(np.zeros((4, 40, 3), np.float32), np.zeros((20, 20, 3), np.float32), size=None)


@pytest.mark.parametrize("state, message", [
    ({"0.weight": np.zeros((3, 3, 1, 1), np.float32)}, "no '0.bias'"),
    (dict(VGG_STATE, **{"2.weight": np.zeros((64, 3, 5, 5), np.float32)}), "layer 2 has shape"),
    (dict(VGG_STATE, **{"5.bias": np.full(64, np.nan, np.float32)}), "non-finite"),
])
def test_bad_release_files_are_clear_errors(tmp_path, state, message):
    path = tmp_path / "vgg_normalised.pth"
    path.write_bytes(torch_writer.zip_bytes(state))
    with pytest.raises(WeightsError, match=message):
        adain.read_pytorch_encoder(path)
    with pytest.raises(WeightsError, match="no such file"):
        adain.read_pytorch_decoder(tmp_path / "missing.pth")


def test_tfstyle_adain_is_callable_and_reads_a_model_file_once(model, tmp_path):
    import tfstyle

    path = tmp_path / "m.weights.h5"
    model.save(path)
    image = RNG.uniform(0, 1, (24, 32, 3)).astype(np.float32)
    style = RNG.uniform(0, 1, (16, 16, 3)).astype(np.float32)
    got = tfstyle.adain(image, style, model=path, alpha=0.7, size=None, style_size=None).image
    np.testing.assert_allclose(got, model.stylize(image, style, alpha=0.7, size=None,
                                                  style_size=None), atol=1e-6)
    assert adain.load_model(path) is adain.load_model(str(path))  # cached
    assert tfstyle.adain.AdaIN is adain.AdaIN  # still the module too
    with pytest.raises(tfstyle.TfstyleError, match="no such file"):  # before anything loads
        tfstyle.adain(image, style, model=tmp_path / "missing.weights.h5")


def test_imagenet_encoder_with_factors_is_rescaled_per_filter(fake_weights, fake_factors):
    from tfstyle.core.vgg import effective_factors

    image = RNG.uniform(0, 1, (16, 16, 3)).astype(np.float32)[None]
    plain = adain.build_encoder(adain.imagenet_encoder_weights(fake_weights), ["block1_conv1"])
    scaled = adain.build_encoder(adain.imagenet_encoder_weights(fake_weights, fake_factors["max"]),
                                 ["block1_conv1"])
    f = effective_factors(fake_factors["max"])["block1_conv1"]
    np.testing.assert_allclose(scaled(image)["block1_conv1"].numpy() * f,
                               plain(image)["block1_conv1"].numpy(), rtol=1e-4, atol=1e-5)
