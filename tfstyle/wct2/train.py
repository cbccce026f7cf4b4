"""Training WCT²'s decoder: reconstruction only (Yoo et al. 2019, sec. 4).

The wavelet encoder is fixed (ImageNet VGG19 to relu4_1, Haar pooling); the
decoder learns to give back the photo it is shown,

    L = || I - D(E(I)) ||^2  (+ feature_weight * || E(I) - E(D(E(I))) ||^2 at relu4_1)

as mean squared errors over random crops. No style image is involved, so a
few dozen photos teach it: the Haar skips carry the details, the decoder
only has to invert the convolutions. The loop (checkpoints, resume, Ctrl-C,
TensorBoard) is `core.training.fit`, as for AdaIN.
"""

import dataclasses
import functools
import pathlib
from typing import Callable, Mapping, Optional

import tensorflow as tf

from tfstyle.core import training
from tfstyle.core.progress import Progress
from tfstyle.wct2.config import PhotorealTrainConfig
from tfstyle.wct2.model import Photoreal
from tfstyle.wct2.networks import imagenet_encoder


@dataclasses.dataclass(frozen=True)
class TrainResult:
    model: Photoreal               # the trained encoder/decoder pair
    steps: int                     # global step reached
    losses: Mapping[str, float]    # of the last batch
    seconds: float                 # of this run


def reconstruction_losses(model: Photoreal, photos, feature_weight: float):
    """(total, {part: loss}, (photos, reconstructions)) of a batch."""
    features, skips = model.encoder(photos)
    out = model.decoder(features, skips)
    pixel = tf.reduce_mean(tf.square(out - photos))
    parts = {"pixel": pixel}
    total = pixel
    if feature_weight:
        again, _ = model.encoder(out)
        parts["feature"] = tf.reduce_mean(tf.square(again - features))
        total = total + feature_weight * parts["feature"]
    return total, parts, (photos, tf.clip_by_value(out, 0.0, 1.0))


def train(photo_dir, output, config: PhotorealTrainConfig = PhotorealTrainConfig(), *,
          weights=None, checkpoint_dir=None, logdir=None,
          callback: Optional[Callable[[Progress], None]] = None,
          overwrite: bool = False) -> TrainResult:
    """Trains a decoder on the photos under `photo_dir` and writes it to
    `output` (a `.npz` of float16 weights, as the shipped one; load it with
    `photoreal.load_model(output)`). Checkpoints go to `checkpoint_dir`
    (default: `output`'s name with `_checkpoints`); a rerun resumes."""
    from tfstyle.core.weights import find_vgg19_weights

    output = training.check_output(output, overwrite, ".npz")
    checkpoint_dir = training.checkpoint_folder(output, checkpoint_dir, ".npz")
    files = training.readable_images(photo_dir, "content_dir")
    weights = weights or find_vgg19_weights()
    model = Photoreal(imagenet_encoder(weights), None, config.kind, seed=config.seed,
                      source=f"trained:{pathlib.Path(output).name}")

    def step_losses(photos):
        return reconstruction_losses(model, photos, config.feature_weight)

    step, values, seconds = training.fit(
        model.decoder, step_losses, [functools.partial(training.image_stream, files, config)],
        config, checkpoint_dir, weights, {"content_dir": str(photo_dir)}, logdir=logdir,
        callback=callback)
    model.save(output)
    return TrainResult(model, step, values, seconds)
