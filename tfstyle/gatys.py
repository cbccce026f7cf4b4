"""Style transfer by image optimization (Gatys, Ecker & Bethge, CVPR 2016)."""

import dataclasses
import logging
import time
from typing import Dict, Mapping, Optional

import numpy as np
import tensorflow as tf

from tfstyle import losses, optim
from tfstyle.config import StyleConfig
from tfstyle.errors import ConfigError
from tfstyle.image import as_image, resize
from tfstyle.vgg import build_extractor, pools_before
from tfstyle.weights import VGGWeights, find_vgg19_weights

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class StyleResult:
    """Output of `stylize`."""
    image: np.ndarray              # float32 [H, W, 3] RGB in [0, 1]
    losses: Mapping[str, float]    # final loss parts: total, content, style
    steps: int                     # optimizer iterations run
    evaluations: int               # loss-and-gradient evaluations
    seconds: float                 # wall time of the optimization
    weights_sha256: str            # identifies the VGG19 weights used
    config: StyleConfig


class GatysObjective:
    """L = alpha * L_content + beta * L_style with targets computed once.

    Call it on a [1, H, W, 3] image in [0, 1]; it returns the loss parts as
    scalar tensors. Constant targets are stored as tensors so a tf.function
    that calls this captures them instead of re-encoding the content and style
    images at every step.
    """

    def __init__(self, extractor, config: StyleConfig, content: np.ndarray, style: np.ndarray):
        self.extractor = extractor
        self.content_layers = config.content_layers
        self.style_layers = config.style_layers
        self.content_weight = float(config.content_weight)
        self.style_weight = float(config.style_weight)
        content_feats = extractor(tf.constant(content[None]))
        style_feats = extractor(tf.constant(style[None]))
        self.content_targets = {name: tf.constant(content_feats[name]) for name, _ in self.content_layers}
        # Store A / M_a (see losses.layer_style_loss).
        self.style_targets = {
            name: tf.constant(losses.gram_matrix(style_feats[name])
                              / losses.num_positions(style_feats[name]))
            for name, _ in self.style_layers}

    def __call__(self, image) -> Dict[str, tf.Tensor]:
        feats = self.extractor(image)
        content = tf.add_n([weight * losses.content_loss(feats[name], self.content_targets[name])
                            for name, weight in self.content_layers])
        per_layer = []
        for name, _ in self.style_layers:
            f = feats[name]
            per_layer.append(losses.layer_style_loss(
                losses.gram_matrix(f), self.style_targets[name],
                tf.cast(tf.shape(f)[-1], f.dtype), losses.num_positions(f)))
        style = losses.style_loss(per_layer, [w for _, w in self.style_layers])
        total = losses.total_loss(content, style, self.content_weight, self.style_weight)
        return {"total": total, "content": content, "style": style}


def initial_image(config: StyleConfig, content: np.ndarray, style: np.ndarray) -> np.ndarray:
    if config.init == "content":
        return content.copy()
    if config.init == "style":
        return resize(style, content.shape[:2])
    # White noise, as in the paper; seeded so runs are reproducible.
    rng = np.random.default_rng(config.seed)
    return rng.uniform(0.0, 1.0, content.shape).astype(np.float32)


def prepare_images(content, style, config: StyleConfig):
    """Content at `config.size`; style resized to the content's size x style_scale."""
    content = as_image(content, config.size)
    style = as_image(style)
    height, width = content.shape[:2]
    target = (max(1, round(height * config.style_scale)), max(1, round(width * config.style_scale)))
    # Every layer needs at least one position after its poolings, or its Gram
    # matrix is 0/0.
    need = 2 ** max(pools_before(name) for name in config.layers)
    for what, shape in (("content", content.shape[:2]), ("style", target)):
        if min(shape) < need:
            raise ConfigError(f"the {what} image is {shape[1]}x{shape[0]} px; layer "
                              f"{config.layers[-1]} needs a short side of at least {need} px "
                              "(raise --size or --style_scale)")
    if target[0] * target[1] > 64_000_000:
        raise ConfigError(f"--style_scale={config.style_scale} makes the style image "
                          f"{target[1]}x{target[0]} px; keep it under 64 Mpx")
    return content, resize(style, target)


def stylize(content, style, config: Optional[StyleConfig] = None, *,
            weights: Optional[VGGWeights] = None,
            callback: optim.Callback = None) -> StyleResult:
    """Renders `content` in the style of `style` (Gatys et al. 2016).

    Args:
      content: path, PIL image, or array (uint8, or float in [0, 1]).
      style: same kinds as `content`.
      config: a `StyleConfig`; defaults to the paper's settings.
      weights: VGG19 weights; found with `find_vgg19_weights()` when None.
      callback: called with an `optim.Progress` after every step.

    Returns:
      A `StyleResult`; `.image` is float32 [H, W, 3] RGB in [0, 1].
    """
    config = config or StyleConfig()
    content, style = prepare_images(content, style, config)
    weights = weights or find_vgg19_weights()
    extractor = build_extractor(weights, config.layers, pooling=config.pooling,
                                normalize=config.normalize)
    objective = GatysObjective(extractor, config, content, style)
    init = initial_image(config, content, style)
    log.info("stylizing %dx%d for %d %s steps", content.shape[1], content.shape[0],
             config.steps, config.optimizer)
    start = time.perf_counter()
    if config.optimizer == "adam":
        out = optim.run_adam(objective, init, config.steps, config.learning_rate, callback)
    else:
        out = optim.run_lbfgs(objective, init, config.steps, callback)
    return StyleResult(out.image, out.losses, out.steps, out.evaluations,
                       time.perf_counter() - start, weights.sha256, config)
