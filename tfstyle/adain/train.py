"""Training an AdaIN decoder (Huang & Belongie 2017, §6.2).

The encoder is fixed (tfstyle's normalized ImageNet VGG19 up to relu4_1);
only the decoder g learns, to minimize

    L = L_c + lambda * L_s                                        (eq. 11)
    L_c = || f(g(t)) - t ||                  t = AdaIN(f(c), f(s)) (eq. 12)
    L_s = sum_i || mu(phi_i(g(t))) - mu(phi_i(s)) ||
              + || sigma(phi_i(g(t))) - sigma(phi_i(s)) ||       (eq. 13)

over relu1_1 ... relu4_1, with mean squared errors as the reference
implementation. Data: content and style images with the shorter side
resized to 512 and random 256 x 256 crops, in batches of 8; Adam at 1e-4
with the reference's decay lr / (1 + 5e-5 step).

    result = tfstyle.adain_train.train("photos/", "paintings/", "decoder.weights.h5",
                                       TrainConfig(steps=2000), checkpoint_dir="ckpt")
"""

import dataclasses
import json
import logging
import math
import pathlib
import tempfile
import time
from typing import Callable, Mapping, Optional, Sequence

import numpy as np
import tensorflow as tf
from PIL import Image

from tfstyle import adain

from tfstyle.core import vgg
from tfstyle.adain.config import TrainConfig
from tfstyle.core.errors import ConfigError, ImageError, WeightsError
from tfstyle.core.fileio import atomic_write
from tfstyle.core.image import list_images, load_image, resize
from tfstyle.core.progress import Progress

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TrainResult:
    model: "adain.AdaIN"           # the trained encoder/decoder pair
    steps: int                     # global step reached
    losses: Mapping[str, float]    # of the last batch
    seconds: float                 # of this run


def _shorter_side_to(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape[:2]
    scale = side / min(h, w)
    return resize(image, (max(side, round(h * scale)), max(side, round(w * scale))))


def readable_images(directory, what: str) -> Sequence[str]:
    """Image files under `directory` whose headers Pillow can read; unreadable
    ones are logged and left out."""
    files = list_images(directory, what)
    good = []
    for path in files:
        try:
            with Image.open(path):
                pass
            good.append(str(path))
        except Exception as exc:  # Pillow raises many kinds for broken files
            log.warning("skipping %s: not a readable image (%s)", path, exc.__class__.__name__)
    if not good:
        raise ImageError(f"{what} {directory}: none of its {len(files)} image files is readable")
    return good


def image_stream(files: Sequence[str], config: TrainConfig, seed: int) -> "tf.data.Dataset":
    """Endless batches [B, crop, crop, 3] in [0, 1]: the files in a random
    order (all of them reshuffled every pass, so folders sorted by genre or
    artist still mix), shorter side resized to `load_size`, random crops. A
    file that fails to decode is skipped with a warning."""
    def load(path):
        try:
            return _shorter_side_to(load_image(path.decode()), config.load_size)
        except ImageError as exc:
            log.warning("skipping %s", exc)
            return np.zeros((0, 0, 3), np.float32)  # dropped by the filter below

    def read(path):
        image = tf.numpy_function(load, [path], tf.float32, stateful=False)
        image.set_shape([None, None, 3])
        return image

    def crop(index, image):
        return tf.image.stateless_random_crop(
            image, [config.crop_size, config.crop_size, 3], tf.stack([seed, index]))

    order = np.random.default_rng(seed).permutation(len(files))
    paths = tf.data.Dataset.from_tensor_slices([str(files[i]) for i in order])
    return (paths.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
            .repeat()
            .map(read, num_parallel_calls=tf.data.AUTOTUNE)
            .filter(lambda image: tf.shape(image)[0] > 0)
            .enumerate()
            .map(crop, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(config.batch_size, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))


def adain_losses(model: "adain.AdaIN", content, style, style_weight: float):
    """Eqs. 11-13 for a batch; returns (total, content, style) and the output."""
    c4 = model.encoder(content)["block4_conv1"]
    s_feats = model.encoder(style)
    target = adain.adain(c4, s_feats["block4_conv1"])
    out = model.decoder(target)
    o_feats = model.encoder(out)
    content_loss = tf.reduce_mean(tf.square(o_feats["block4_conv1"] - target))
    style_loss = 0.0
    for name in adain.STYLE_LAYERS:
        o_mean, o_std = adain.mean_std(o_feats[name])
        s_mean, s_std = adain.mean_std(s_feats[name])
        style_loss += (tf.reduce_mean(tf.square(o_mean - s_mean))
                       + tf.reduce_mean(tf.square(o_std - s_std)))
    return content_loss + style_weight * style_loss, content_loss, style_loss, out


def _check_checkpoint_config(directory: pathlib.Path, config: TrainConfig, encoder_sha: str):
    path = directory / "train_config.json"
    if not path.exists():
        return
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is unreadable ({exc.__class__.__name__}); "
                          "use a new checkpoint directory") from None
    if saved.get("encoder_sha256") != encoder_sha:
        raise ConfigError(f"{directory} was trained with other encoder weights; "
                          "use a new checkpoint directory")
    for name, value in config.to_dict().items():
        if name not in TrainConfig.RESUMABLE and saved.get(name) != value:
            raise ConfigError(f"{directory} was trained with {name}={saved.get(name)!r}, not "
                              f"{value!r}; pass the same settings to resume, or a new directory")


def _resume(checkpoint, manager, directory: pathlib.Path, config: TrainConfig, weights,
            record: dict) -> int:
    """Restores the latest checkpoint in `directory` (after checking it was
    made with these settings) and returns its step; records the settings."""
    if manager.latest_checkpoint:
        _check_checkpoint_config(directory, config, weights.sha256)
        try:
            checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as exc:
            raise WeightsError(f"{manager.latest_checkpoint} is not an AdaIN training "
                               f"checkpoint ({exc.__class__.__name__}); use a new "
                               "checkpoint directory") from None
        log.info("resuming from %s (step %d)", manager.latest_checkpoint,
                 int(checkpoint.step))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with atomic_write(directory / "train_config.json") as f:
            f.write((json.dumps(dict(config.to_dict(), encoder_sha256=weights.sha256,
                                     encoder=weights.source, **record), indent=2)
                     + "\n").encode())
    except OSError as exc:
        raise ImageError(f"cannot write checkpoints to {directory}: "
                         f"{exc.strerror or exc}") from None
    return int(checkpoint.step)


def train(content_dir, style_dir, output, config: TrainConfig = TrainConfig(), *,
          weights=None, checkpoint_dir=None, logdir=None,
          callback: Optional[Callable[[Progress], None]] = None,
          overwrite: bool = False, init_model=None) -> TrainResult:
    """Trains a decoder and writes the encoder/decoder pair to `output`
    (`<name>.weights.h5`, read by `AdaIN.load`).

    Args:
      content_dir, style_dir: folders of images (searched recursively).
      weights: the encoder's `VGGWeights` (default: `find_vgg19_weights()`).
      checkpoint_dir: checkpoints (decoder, optimizer state, step); when it
        already holds one, training resumes from it. Default: `output`'s
        name with `_checkpoints`.
      logdir: TensorBoard logs: losses, step size, and preview images (the
        first content crop in the first style crop's style).
      callback: called with a `core.progress.Progress` after every step.
      overwrite: replace `output` if it exists.
      init_model: fine-tuning: start from this model's decoder (a
        `.weights.h5` from `AdaIN.save` with the same encoder) instead of a
        random one. A checkpoint to resume from takes precedence.
    """
    from tfstyle.core.weights import find_vgg19_weights

    output = pathlib.Path(output)
    if not output.name.endswith(".weights.h5"):
        raise ConfigError(f"the trained model is saved as <name>.weights.h5, got {output.name}")
    if output.exists() and not overwrite:
        raise ImageError(f"output {output} exists; pass `overwrite` to replace it")
    try:  # hours of training must not end on an unwritable folder
        with tempfile.TemporaryFile(dir=output.parent):
            pass
    except OSError as exc:
        raise ImageError(f"cannot write to the output's folder {output.parent}: "
                         f"{exc.strerror or exc}") from None
    checkpoint_dir = pathlib.Path(checkpoint_dir or output.with_name(
        output.name[: -len(".weights.h5")] + "_checkpoints"))
    if checkpoint_dir.exists() and not checkpoint_dir.is_dir():
        raise ImageError(f"checkpoint directory {checkpoint_dir} is a file")
    content_files = readable_images(content_dir, "content_dir")
    style_files = readable_images(style_dir, "style_dir")
    weights = weights or find_vgg19_weights()

    encoder_layers = adain.imagenet_encoder_weights(weights, vgg.normalization_factors(weights, "max"))
    model = adain.AdaIN(encoder_layers, seed=config.seed, source=f"trained:{output.name}")
    if init_model is not None:
        _start_from(model, init_model)
    import keras

    schedule = keras.optimizers.schedules.InverseTimeDecay(
        config.learning_rate, decay_steps=1, decay_rate=config.lr_decay)
    optimizer = keras.optimizers.Adam(learning_rate=schedule)
    optimizer.build(model.decoder.trainable_variables)
    step_var = tf.Variable(0, dtype=tf.int64, name="step")
    checkpoint = tf.train.Checkpoint(decoder=model.decoder, optimizer=optimizer, step=step_var)
    manager = tf.train.CheckpointManager(checkpoint, str(checkpoint_dir), max_to_keep=2)
    first_step = _resume(checkpoint, manager, checkpoint_dir, config, weights,
                         {"content_dir": str(content_dir), "style_dir": str(style_dir)})
    if first_step >= config.steps:
        log.info("the checkpoint is at step %d already (steps=%d); writing the model",
                 first_step, config.steps)

    @tf.function(reduce_retracing=True)
    def train_step(content, style):
        with tf.GradientTape() as tape:
            total, content_loss, style_loss, out = adain_losses(model, content, style,
                                                          config.style_weight)
        grads = tape.gradient(total, model.decoder.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.decoder.trainable_variables))
        step_var.assign_add(1)
        return total, content_loss, style_loss, out

    # A resumed run draws other crops than the first: the data seed moves with the step.
    contents = iter(image_stream(content_files, config, config.seed * 7919 + first_step))
    styles = iter(image_stream(style_files, config, config.seed * 7919 + first_step + 1))
    writer = _summary_writer(logdir, config, first_step)
    start = time.monotonic()
    step, values = first_step, {}
    try:
        while step < config.steps:
            content, style = next(contents), next(styles)
            total, c_loss, s_loss, out = train_step(content, style)
            step = int(step_var)
            values = {"total": float(total), "content": float(c_loss), "style": float(s_loss)}
            if not all(math.isfinite(v) for v in values.values()):
                raise WeightsError(f"training diverged at step {step} (loss {values['total']}); "
                                   "try a smaller learning_rate with a new checkpoint_dir")
            preview = None
            if writer is not None:
                preview = _log(writer, step, config, values, schedule, (content, style, out),
                               time.monotonic() - start, first_step)
            if step % config.checkpoint_every == 0:
                manager.save(checkpoint_number=step)
            if callback is not None:
                callback(Progress(step, config.steps, values, time.monotonic() - start,
                                   preview, first_step))
    except KeyboardInterrupt:
        step = int(step_var)  # the step may have run before the interrupt reached Python
        if step > first_step:
            manager.save(checkpoint_number=step)
            log.warning("interrupted at step %d; saved a checkpoint in %s (run again to resume)",
                        step, checkpoint_dir)
        raise
    finally:
        if writer is not None:
            writer.close()
    if step > first_step and step % config.checkpoint_every:
        manager.save(checkpoint_number=step)
    model.save(output)
    return TrainResult(model, step, values, time.monotonic() - start)


def _start_from(model: "adain.AdaIN", path):
    start = adain.AdaIN.load(path)
    for name, (kernel, bias) in model.encoder_layers.items():
        other = start.encoder_layers[name]
        if not (np.allclose(kernel, other[0], rtol=1e-5, atol=1e-6)
                and np.allclose(bias, other[1], rtol=1e-5, atol=1e-6)):
            raise WeightsError(f"{path} was trained with another encoder; its decoder does not "
                               "fit this one")
    model.decoder.set_weights(start.decoder.get_weights())
    log.info("starting from the decoder of %s", path)


def _summary_writer(logdir, config: TrainConfig, first_step: int):
    if not logdir:
        return None
    path = pathlib.Path(logdir)
    if path.exists() and not path.is_dir():
        raise ImageError(f"logdir {path} is a file, not a directory")
    path.mkdir(parents=True, exist_ok=True)
    writer = tf.summary.create_file_writer(str(path))
    with writer.as_default(step=first_step):
        tf.summary.text("train_config", "```\n" + json.dumps(config.to_dict(), indent=2) + "\n```")
    return writer


def _log(writer, step, config, values, schedule, images, elapsed, first_step):
    """Scalars every `log_every` steps; every `image_every`, the batch's first
    content crop, style crop and output side by side."""
    preview = None
    with writer.as_default(step=step):
        if step % config.log_every == 0 or step == config.steps:
            for name, value in values.items():
                tf.summary.scalar(f"loss/{name}", value)
            tf.summary.scalar("learning_rate", float(schedule(step)))
            tf.summary.scalar("seconds_per_step", elapsed / max(step - first_step, 1))
        if (config.image_every and step % config.image_every == 0) or step == config.steps:
            preview = np.concatenate([np.clip(x[0].numpy(), 0.0, 1.0) for x in images], axis=1)
            tf.summary.image("content | style | output", preview[None])
    return preview
