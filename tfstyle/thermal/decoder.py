"""The trained route for many pairs: a small decoder with skips on the frozen
normalized VGG19, trained on the user's own aligned pairs.

The encoder is the same VGG19 as the ridge route's (average pooling,
normalized), frozen, so its features are computed once per example and
training only runs the decoder. The decoder goes from conv5_1 (what a thing
is: a person, a car, sky) up through conv4_1, conv3_1 and conv2_1 to the
photo's own pixels, each level joined by a skip, so edges can come out as
sharp as the photo's (a U-Net's design, as in WCT²'s decoder, with far fewer
channels). It predicts the thermal twin standardized per frame, like the
ridge route, because thermal cameras rescale every frame.

The loss is what makes the images look thermal rather than a smooth safe
guess: an L1 term (the median, not the mean, of what a pixel might be), an
L1 term on the image gradients (edges where the real thermal has them), and
the Gram matrices of the output's VGG19 responses at conv1_1 and conv2_1
against the real thermal's (Gatys et al.'s texture statistics: the
sensor's grain and the crispness of warm outlines). Augmentation: random
crops, horizontal flips (features of the flipped photo, computed once) and a
gain jitter on the photo.
"""

import dataclasses
import io
import logging
import time
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from tfstyle.thermal.fit import standardize

log = logging.getLogger(__name__)

# The encoder's layers the decoder starts from and joins on the way up.
SKIPS = ("block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
# The loss network's layers for the texture (Gram) term.
TEXTURE_LAYERS = ("block1_conv1", "block2_conv1")
# A standardized thermal map z is shown to the loss network as 0.5 + z * Z_TO_GREY
# (clipped): about the spread of a real frame in [0, 1].
Z_TO_GREY = 0.2
# A standardized thermal value above this is hot (about a frame's brightest 5 %).
HOT_Z = 1.6
# Everything is analysed at sizes divisible by the encoder's deepest stride.
STRIDE = 16
CHECKPOINT_EVERY = 100
CHECKPOINT_FORMAT = "tfstyle-infrared-training/1"


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """How the decoder is trained (recorded in the fit)."""
    steps: int = 800            # Adam steps in all
    batch_size: int = 4         # crops per step
    crop: int = 128             # crop side in pixels of the analysis size (a multiple of 16)
    learning_rate: float = 2e-3  # Adam's, halved at 60 % and again at 85 % of the steps
    width: int = 32             # channels of the decoder's widest full-resolution level / 2
    gradient_weight: float = 1.0  # the image-gradient L1 term
    texture_weight: float = 2.0   # the Gram term
    hot_weight: float = 0.0       # extra L1 weight on the target's hot pixels (z > HOT_Z)
    seed: int = 0

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _resize_like():
    import keras
    import tensorflow as tf

    class ResizeLike(keras.layers.Layer):
        """Bilinear resize of the first input to the second's height and width."""

        def call(self, x, like):
            return tf.image.resize(x, tf.shape(like)[1:3], method="bilinear")

    return ResizeLike


# VGG19's channels at SKIPS.
CHANNELS = (128, 256, 512, 512)


def build_decoder(width: int = 32, channels: Sequence[int] = CHANNELS):
    """The decoder: inputs (the photo's RGB [B, H, W, 3]; conv2_1, conv3_1,
    conv4_1, conv5_1 responses with `channels`), output the standardized
    thermal map [B, H, W, 1]."""
    import keras

    resize_like = _resize_like()
    L = keras.layers
    rgb = keras.Input((None, None, 3), name="rgb")
    skips = [keras.Input((None, None, c), name=n) for n, c in
             zip(SKIPS, channels)]

    def conv(x, filters, name, size=3, relu=True):
        return L.Conv2D(filters, size, padding="same", activation="relu" if relu else None,
                        name=name)(x)

    x = conv(skips[3], 4 * width, "dec5")
    for level, (skip, filters) in enumerate(zip(skips[2::-1], (4 * width, 2 * width, width)),
                                            start=1):
        x = resize_like(name=f"up{level}")(x, skip)
        x = L.Concatenate(name=f"join{level}")(
            [x, conv(skip, filters, f"skip{level}", size=1)])
        x = conv(x, filters, f"dec{5 - level}")
    x = resize_like(name="up4")(x, rgb)
    x = L.Concatenate(name="join4")([x, conv(rgb, width // 2, "skip4")])
    x = conv(x, width // 2, "dec1")
    z = conv(x, 1, "out", relu=False)
    return keras.Model([rgb, *skips], z, name="thermal_decoder")


def analysis_crop(image: np.ndarray) -> np.ndarray:
    """`image` cut to sides divisible by STRIDE (at most 15 px lost)."""
    h, w = image.shape[0] // STRIDE * STRIDE, image.shape[1] // STRIDE * STRIDE
    return image[:h, :w]


def predict(decoder, encoder, photo: np.ndarray) -> np.ndarray:
    """[H, W] standardized thermal map of `photo` ([H, W, 3] at the analysis
    size); the encoder gives SKIPS."""
    import tensorflow as tf

    x = tf.constant(photo[None], tf.float32)
    out = encoder(x)
    z = decoder([x, *[out[name] for name in SKIPS]], training=False)
    return np.asarray(z[0, ..., 0], np.float32)


@dataclasses.dataclass
class _Example:
    rgb: np.ndarray                 # [h, w, 3], h and w divisible by STRIDE
    skips: Tuple[np.ndarray, ...]   # SKIPS' responses
    target: np.ndarray              # [h, w] standardized thermal


def encode_examples(encoder, pairs: Sequence[Tuple[np.ndarray, np.ndarray]],
                    seed: int = 0) -> List[_Example]:
    """Each (visible, thermal) pair, and its mirror image with a gain jitter
    on the photo, through the frozen encoder once."""
    rng = np.random.default_rng(seed)
    examples = []
    for visible, thermal in pairs:
        visible, thermal = analysis_crop(visible), analysis_crop(thermal)
        target = standardize(thermal)
        for flip in (False, True):
            rgb = visible[:, ::-1] if flip else visible
            if flip:  # exposure differs between frames and cameras
                rgb = np.clip(rgb * rng.uniform(0.7, 1.3), 0, 1)
            rgb = np.ascontiguousarray(rgb, np.float32)
            out = encoder(rgb[None])
            examples.append(_Example(rgb, tuple(np.asarray(out[n][0]) for n in SKIPS),
                                     np.ascontiguousarray(target[:, ::-1] if flip else target,
                                                          np.float32)))
    return examples


def _batch(examples: Sequence[_Example], config: TrainConfig, rng):
    """A batch of aligned crops (rgb, skips..., target); a crop's corner is
    on the encoder's 16 px grid so every level crops exactly."""
    crop = config.crop
    rgbs, targets, skips = [], [], [[] for _ in SKIPS]
    for _ in range(config.batch_size):
        e = examples[rng.integers(len(examples))]
        h, w = e.target.shape
        ch, cw = min(crop, h), min(crop, w)
        y = rng.integers(0, (h - ch) // STRIDE + 1) * STRIDE
        x = rng.integers(0, (w - cw) // STRIDE + 1) * STRIDE
        rgbs.append(_pad(e.rgb[y:y + ch, x:x + cw], crop))
        targets.append(_pad(e.target[y:y + ch, x:x + cw, None], crop))
        for i, f in enumerate(e.skips):
            s = 2 ** (i + 1)
            skips[i].append(_pad(f[y // s:(y + ch) // s, x // s:(x + cw) // s], crop // s))
    return [np.stack(rgbs), *[np.stack(s) for s in skips], np.stack(targets)]


def _pad(a: np.ndarray, side: int) -> np.ndarray:
    """Reflect-pads a crop of an image smaller than the crop side."""
    ph, pw = side - a.shape[0], side - a.shape[1]
    return np.pad(a, ((0, ph), (0, pw), (0, 0)), mode="reflect") if ph or pw else a


def gram(features):
    import tensorflow as tf

    shape = tf.shape(features)
    flat = tf.reshape(features, [shape[0], -1, shape[3]])
    return tf.matmul(flat, flat, transpose_a=True) / tf.cast(tf.shape(flat)[1], tf.float32)


def image_gradients(z):
    return z[:, 1:, :, :] - z[:, :-1, :, :], z[:, :, 1:, :] - z[:, :, :-1, :]


def make_step(decoder, loss_net, config: TrainConfig):
    """A tf.function step: (batch) -> losses, updating the decoder."""
    import keras
    import tensorflow as tf

    def schedule(step):
        fraction = step / max(config.steps, 1)
        return config.learning_rate * (1.0 if fraction < 0.6 else 0.5 if fraction < 0.85
                                       else 0.25)

    optimizer = keras.optimizers.Adam(config.learning_rate)
    lr = tf.Variable(config.learning_rate, trainable=False, dtype=tf.float32)
    optimizer.learning_rate = lr

    def to_grey(z):
        return tf.repeat(tf.clip_by_value(0.5 + Z_TO_GREY * z, 0.0, 1.0), 3, axis=-1)

    @tf.function(reduce_retracing=True)
    def step(rgb, s2, s3, s4, s5, target):
        truth = loss_net(to_grey(target))
        with tf.GradientTape() as tape:
            z = decoder([rgb, s2, s3, s4, s5], training=True)
            weight = 1.0 + config.hot_weight * tf.cast(target > HOT_Z, tf.float32)
            l1 = tf.reduce_mean(weight * tf.abs(z - target)) / tf.reduce_mean(weight)
            gradient = tf.add_n([tf.reduce_mean(tf.abs(a - b)) for a, b in
                                 zip(image_gradients(z), image_gradients(target))])
            mine = loss_net(to_grey(z))
            texture = tf.add_n([
                tf.reduce_mean(tf.norm(gram(mine[n]) - gram(truth[n]), axis=(1, 2))
                               / (tf.norm(gram(truth[n]), axis=(1, 2)) + 1e-6))
                for n in TEXTURE_LAYERS]) / len(TEXTURE_LAYERS)
            total = l1 + config.gradient_weight * gradient + config.texture_weight * texture
        grads = tape.gradient(total, decoder.trainable_variables)
        optimizer.apply_gradients(zip(grads, decoder.trainable_variables))
        return {"total": total, "l1": l1, "gradient": gradient, "texture": texture}

    def run(batch, index):
        lr.assign(schedule(index))
        return {k: float(v) for k, v in step(*[tf.constant(b) for b in batch]).items()}

    return run


def weights_to_bytes(decoder, config: TrainConfig, extra: Optional[dict] = None) -> bytes:
    """The decoder's weights and its training settings as .npz bytes."""
    import json

    channels = [int(i.shape[-1]) for i in decoder.inputs[1:]]
    meta = dict(config=config.to_dict(), channels=channels, **(extra or {}))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(),
                                                   np.uint8),
                        **{f"v{i:03d}": np.asarray(v) for i, v in
                           enumerate(decoder.get_weights())})
    return buffer.getvalue()


def weights_from_bytes(data: bytes):
    """(decoder with the saved weights, TrainConfig, meta) from
    `weights_to_bytes`' bytes."""
    import json

    import zipfile

    from tfstyle.core.errors import ConfigError

    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            meta = json.loads(bytes(npz["meta"]).decode())
            arrays = [npz[f"v{i:03d}"] for i in range(len(npz.files) - 1)]
        config = TrainConfig(**meta["config"])
        decoder = build_decoder(config.width, meta.get("channels", CHANNELS))
        decoder.set_weights(arrays)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile,
            UnicodeDecodeError) as e:
        raise ConfigError(f"the fit's trained decoder is damaged ({e}); fit again") from None
    return decoder, config, meta


def train(examples: Sequence[_Example], loss_net, config: TrainConfig,
          callback: Optional[Callable] = None, checkpoint=None,
          start: Optional[Tuple[bytes, int]] = None):
    """The trained decoder. `callback(step, losses, seconds, first_step)`
    after each step; `checkpoint(data, step)` every CHECKPOINT_EVERY steps
    and on Ctrl-C (then KeyboardInterrupt goes on); `start` = (checkpoint
    bytes, step) resumes (Adam's moments start again)."""
    import keras

    keras.utils.set_random_seed(config.seed)
    if start is not None:
        decoder, _, _ = weights_from_bytes(start[0])
        first = start[1]
    else:
        decoder, first = build_decoder(config.width, [f.shape[-1] for f in examples[0].skips]), 0
    step = make_step(decoder, loss_net, config)
    rng = np.random.default_rng([config.seed, first])
    began = time.perf_counter()
    index = first
    try:
        for index in range(first, config.steps):
            losses = step(_batch(examples, config, rng), index)
            if callback is not None:
                callback(index + 1, losses, time.perf_counter() - began, first)
            if checkpoint is not None and (index + 1) % CHECKPOINT_EVERY == 0 and \
                    index + 1 < config.steps:
                checkpoint(weights_to_bytes(decoder, config), index + 1)
        index = config.steps
    except KeyboardInterrupt:
        if checkpoint is not None:
            checkpoint(weights_to_bytes(decoder, config), index)
        raise
    return decoder


def loss_network(weights):
    """The normalized VGG19 giving TEXTURE_LAYERS, for the Gram term."""
    from tfstyle.core import vgg

    return vgg.build_extractor(weights, list(TEXTURE_LAYERS), pooling="avg", normalize=True)


def encoder_network(weights):
    """The frozen encoder: the normalized VGG19 giving SKIPS."""
    from tfstyle.core import vgg

    return vgg.build_extractor(weights, list(SKIPS), pooling="avg", normalize=True)


def _training_key(names: Sequence[str], weights, config: TrainConfig, size) -> str:
    """What a checkpoint must match to be resumed: the pairs, the VGG19, the
    training settings and the analysis size."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps([list(map(str, names)), weights.sha256, config.to_dict(),
                                      list(size)]).encode()).hexdigest()


def _read_checkpoint(path, key: str) -> Optional[Tuple[bytes, int]]:
    """(decoder bytes, step) of a checkpoint made for `key`; None when there
    is none; a checkpoint of other pairs or settings is refused."""
    import json
    import pathlib
    import zipfile

    from tfstyle.core.errors import ConfigError

    if path is None or not pathlib.Path(path).exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(bytes(npz["meta"]).decode())
            data = bytes(npz["decoder"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not a tfstyle infrared training checkpoint ({e}); "
                          "remove it to train from the start") from None
    if meta.get("format") != CHECKPOINT_FORMAT or meta.get("key") != key:
        raise ConfigError(f"the training checkpoint {path} is of other pairs or settings; "
                          "remove it to train from the start")
    return data, int(meta["step"])


def _write_checkpoint(path, key: str, data: bytes, step: int):
    import json

    from tfstyle.core.fileio import atomic_write

    meta = json.dumps(dict(format=CHECKPOINT_FORMAT, key=key, step=step)).encode()
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.frombuffer(meta, np.uint8),
             decoder=np.frombuffer(data, np.uint8))
    with atomic_write(path) as f:
        f.write(buffer.getvalue())
    log.info("training checkpoint at step %d: %s", step, path)


def train_on(pairs: Sequence[Tuple[np.ndarray, np.ndarray]], weights, names: Sequence[str],
             config: Optional[TrainConfig] = None, callback=None,
             checkpoint=None) -> bytes:
    """The trained route's decoder (`weights_to_bytes`) for (visible,
    thermal) arrays at the analysis size. `callback` receives a
    `tfstyle.core.progress.Progress` per step; `checkpoint` is a file path
    (see `tfstyle.thermal.fit.fit`)."""
    import pathlib

    from tfstyle.core.progress import Progress

    config = config or TrainConfig()
    size = pairs[0][0].shape[:2] if pairs else (0, 0)
    key = _training_key(names, weights, config, size)
    start = _read_checkpoint(checkpoint, key)
    if start is not None:
        log.info("resuming the training from step %d (%s)", start[1], checkpoint)
    encoder = encoder_network(weights)
    examples = encode_examples(encoder, pairs, config.seed)
    report = None
    if callback is not None:
        def report(step, losses, seconds, first):
            callback(Progress(step, config.steps, losses, seconds, first_step=first))
    save = None
    if checkpoint is not None:
        def save(data, step):
            _write_checkpoint(checkpoint, key, data, step)
    decoder = train(examples, loss_network(weights), config, report, save, start)
    if checkpoint is not None:
        pathlib.Path(checkpoint).unlink(missing_ok=True)
    return weights_to_bytes(decoder, config, {"pairs": len(names)})
