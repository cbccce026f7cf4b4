"""The decoder-training loop every method shares (AdaIN's, the photorealistic
one): tf.data crops, Adam with inverse-time decay, checkpoints that resume
(refusing other settings), Ctrl-C that saves one, TensorBoard, progress.

A method gives its trainable model and a loss over one batch per stream;
`fit` does the rest.
"""

import json
import logging
import math
import pathlib
import time
from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf
from PIL import Image

from tfstyle.core.errors import ConfigError, ImageError, WeightsError
from tfstyle.core.fileio import atomic_write
from tfstyle.core.image import list_images, load_image, resize
from tfstyle.core.progress import Progress

log = logging.getLogger(__name__)


def shorter_side_to(image: np.ndarray, side: int) -> np.ndarray:
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


def image_stream(files: Sequence[str], config, seed: int) -> "tf.data.Dataset":
    """Endless batches [B, crop, crop, 3] in [0, 1]: the files in a random
    order (all of them reshuffled every pass, so folders sorted by genre or
    artist still mix), shorter side resized to `load_size`, random crops. A
    file that fails to decode is skipped with a warning."""
    def load(path):
        try:
            return shorter_side_to(load_image(path.decode()), config.load_size)
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


def check_output(output: pathlib.Path, overwrite: bool, suffix: str) -> pathlib.Path:
    """The trained model's path, checked before any training: its name, that
    it does not exist (unless `overwrite`), that its folder is writable."""
    import tempfile

    output = pathlib.Path(output)
    if not output.name.endswith(suffix):
        raise ConfigError(f"the trained model is saved as <name>{suffix}, got {output.name}")
    if output.exists() and not overwrite:
        raise ImageError(f"output {output} exists; pass `overwrite` to replace it")
    try:  # hours of training must not end on an unwritable folder
        with tempfile.TemporaryFile(dir=output.parent):
            pass
    except OSError as exc:
        raise ImageError(f"cannot write to the output's folder {output.parent}: "
                         f"{exc.strerror or exc}") from None
    return output


def checkpoint_folder(output: pathlib.Path, checkpoint_dir, suffix: str) -> pathlib.Path:
    path = pathlib.Path(checkpoint_dir or output.with_name(
        output.name[: -len(suffix)] + "_checkpoints"))
    if path.exists() and not path.is_dir():
        raise ImageError(f"checkpoint directory {path} is a file")
    return path


def fit(model, step_losses: Callable, streams: Sequence, config, checkpoint_dir: pathlib.Path,
        weights, record: dict, *, logdir=None, callback: Optional[Callable] = None):
    """Trains `model`'s trainable variables until `config.steps`.

    Args:
      model: a Keras model (the decoder).
      step_losses: (*batches) -> (total, {part: loss}, (images to preview side by side)),
        traceable; one batch from each of `streams` per step.
      streams: endless iterators of batches (`image_stream`).
      config: steps, learning_rate, lr_decay, checkpoint_every, log_every,
        image_every, RESUMABLE and to_dict() (e.g. `adain.TrainConfig`).
      checkpoint_dir: resumed from when it holds a checkpoint made with the
        same settings and encoder (`weights`, a `VGGWeights`).
      record: more settings for the checkpoint's train_config.json.

    Returns:
      (step reached, the last batch's losses, seconds of this run).
    """
    schedule, optimizer, step_var, checkpoint, manager = _optimizer_and_checkpoints(
        model, config, checkpoint_dir)
    first_step = _resume(checkpoint, manager, checkpoint_dir, config, weights, record)
    if first_step >= config.steps:
        log.info("the checkpoint is at step %d already (steps=%d); writing the model",
                 first_step, config.steps)
    train_step = _train_step(model, optimizer, step_var, step_losses)
    # A resumed run draws other crops than the first: the data seed moves with the step.
    iterators = [iter(make(config.seed * 7919 + first_step + i)) for i, make in enumerate(streams)]
    writer = _summary_writer(logdir, config, first_step)
    start = time.monotonic()
    step, values = first_step, {}
    try:
        while step < config.steps:
            total, parts, images = train_step(*[next(it) for it in iterators])
            step = int(step_var)
            values = _finite_losses(total, parts, step)
            preview = None
            if writer is not None:
                preview = _log(writer, step, config, values, schedule, images,
                               time.monotonic() - start, first_step)
            if step % config.checkpoint_every == 0:
                manager.save(checkpoint_number=step)
            if callback is not None:
                callback(Progress(step, config.steps, values, time.monotonic() - start,
                                  preview, first_step))
    except KeyboardInterrupt:
        _save_interrupted(manager, step_var, first_step, checkpoint_dir)
        raise
    finally:
        if writer is not None:
            writer.close()
    if step > first_step and step % config.checkpoint_every:
        manager.save(checkpoint_number=step)
    return step, values, time.monotonic() - start


def _optimizer_and_checkpoints(model, config, checkpoint_dir: pathlib.Path):
    """(learning-rate schedule, Adam, step counter, checkpoint, its manager):
    the checkpoint holds the model, the optimizer and the step, and the
    manager keeps the last two in `checkpoint_dir`."""
    import keras

    schedule = keras.optimizers.schedules.InverseTimeDecay(
        config.learning_rate, decay_steps=1, decay_rate=config.lr_decay)
    optimizer = keras.optimizers.Adam(learning_rate=schedule)
    optimizer.build(model.trainable_variables)
    step_var = tf.Variable(0, dtype=tf.int64, name="step")
    checkpoint = tf.train.Checkpoint(decoder=model, optimizer=optimizer, step=step_var)
    manager = tf.train.CheckpointManager(checkpoint, str(checkpoint_dir), max_to_keep=2)
    return schedule, optimizer, step_var, checkpoint, manager


def _train_step(model, optimizer, step_var: tf.Variable, step_losses: Callable):
    """One traced step on a batch per stream: (total, parts, images) of
    `step_losses`, after applying the total's gradient and counting the step."""
    @tf.function(reduce_retracing=True)
    def train_step(*batches):
        with tf.GradientTape() as tape:
            total, parts, images = step_losses(*batches)
        grads = tape.gradient(total, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        step_var.assign_add(1)
        return total, parts, images

    return train_step


def _finite_losses(total, parts, step: int) -> dict:
    """The step's losses as floats; a diverged step stops the training."""
    values = {"total": float(total), **{k: float(v) for k, v in parts.items()}}
    if not all(math.isfinite(v) for v in values.values()):
        raise WeightsError(f"training diverged at step {step} (loss {values['total']}); "
                           "try a smaller learning_rate with a new checkpoint_dir")
    return values


def _save_interrupted(manager, step_var: tf.Variable, first_step: int,
                      checkpoint_dir: pathlib.Path):
    """On Ctrl-C: a checkpoint of the steps this run made, to resume from."""
    step = int(step_var)  # the step may have run before the interrupt reached Python
    if step > first_step:
        manager.save(checkpoint_number=step)
        log.warning("interrupted at step %d; saved a checkpoint in %s (run again to resume)",
                    step, checkpoint_dir)


def _check_checkpoint_config(directory: pathlib.Path, config, encoder_sha: str):
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
        if name not in config.RESUMABLE and saved.get(name) != value:
            raise ConfigError(f"{directory} was trained with {name}={saved.get(name)!r}, not "
                              f"{value!r}; pass the same settings to resume, or a new directory")


def _resume(checkpoint, manager, directory: pathlib.Path, config, weights,
            record: dict) -> int:
    """Restores the latest checkpoint in `directory` (after checking it was
    made with these settings) and returns its step; records the settings."""
    if manager.latest_checkpoint:
        _check_checkpoint_config(directory, config, weights.sha256)
        try:
            checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as exc:
            raise WeightsError(f"{manager.latest_checkpoint} is not a training "
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


def _summary_writer(logdir, config, first_step: int):
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
