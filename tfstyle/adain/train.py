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

    result = tfstyle.adain.train("photos/", "paintings/", "decoder.weights.h5",
                                 TrainConfig(steps=2000), checkpoint_dir="ckpt")

The loop itself (checkpoints, resume, Ctrl-C, TensorBoard) is `core.training.fit`.
"""

import dataclasses
import functools
import logging
from typing import Callable, Mapping, Optional

import numpy as np
import tensorflow as tf

from tfstyle import adain
from tfstyle.adain.config import TrainConfig
from tfstyle.core import training, vgg
from tfstyle.core.errors import WeightsError
from tfstyle.core.progress import Progress
from tfstyle.core.training import image_stream, readable_images  # noqa: F401 (their home before)

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TrainResult:
    model: "adain.AdaIN"           # the trained encoder/decoder pair
    steps: int                     # global step reached
    losses: Mapping[str, float]    # of the last batch
    seconds: float                 # of this run


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

    output = training.check_output(output, overwrite, ".weights.h5")
    checkpoint_dir = training.checkpoint_folder(output, checkpoint_dir, ".weights.h5")
    content_files = training.readable_images(content_dir, "content_dir")
    style_files = training.readable_images(style_dir, "style_dir")
    weights = weights or find_vgg19_weights()
    encoder_layers = adain.imagenet_encoder_weights(weights, vgg.normalization_factors(weights, "max"))
    model = adain.AdaIN(encoder_layers, seed=config.seed, source=f"trained:{output.name}")
    if init_model is not None:
        _start_from(model, init_model)

    def step_losses(content, style):
        total, content_loss, style_loss, out = adain_losses(model, content, style,
                                                            config.style_lambda)
        return total, {"content": content_loss, "style": style_loss}, (content, style, out)

    streams = [functools.partial(training.image_stream, files, config)
               for files in (content_files, style_files)]
    step, values, seconds = training.fit(
        model.decoder, step_losses, streams, config, checkpoint_dir, weights,
        {"content_dir": str(content_dir), "style_dir": str(style_dir)}, logdir=logdir,
        callback=callback)
    model.save(output)
    return TrainResult(model, step, values, seconds)


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
