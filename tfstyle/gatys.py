"""Style transfer by image optimization (Gatys, Ecker & Bethge, CVPR 2016)."""

import dataclasses
import logging
import time
from typing import Dict, Mapping, Optional, Sequence

import numpy as np
import tensorflow as tf

from tfstyle import color, losses, optim
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
    """L = alpha * L_content + beta * L_style (+ tv_weight * TV) with targets computed once.

    Call it on a [1, H, W, 3] image in [0, 1]; it returns the loss parts as
    scalar tensors. Constant targets are stored as tensors so a tf.function
    that calls this captures them instead of re-encoding the content and style
    images at every step. Several style images give one target: their
    per-position Gram matrices blended with `config.style_blend`.
    """

    def __init__(self, extractor, config: StyleConfig, content: np.ndarray,
                 styles: Sequence[np.ndarray]):
        if isinstance(styles, np.ndarray):
            styles = [styles]
        self.extractor = extractor
        self.content_layers = config.content_layers
        self.style_layers = config.style_layers
        self.content_weight = float(config.content_weight)
        self.style_weight = float(config.style_weight)
        self.tv_weight = float(config.tv_weight)
        content_feats = extractor(tf.constant(content[None]))
        self.content_targets = {name: tf.constant(content_feats[name]) for name, _ in self.content_layers}
        # Store A / M_a (see losses.layer_style_loss), blended over the styles.
        targets = {name: 0.0 for name, _ in self.style_layers}
        for style, blend in zip(styles, config.blend_weights(len(styles))):
            feats = extractor(tf.constant(style[None]))
            for name in targets:
                targets[name] += blend * (losses.gram_matrix(feats[name])
                                          / losses.num_positions(feats[name]))
        self.style_targets = {name: tf.constant(t) for name, t in targets.items()}

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
        parts = {"total": total, "content": content, "style": style}
        if self.tv_weight:
            parts["tv"] = losses.total_variation_loss(image)
            parts["total"] = total + self.tv_weight * parts["tv"]
        return parts


def initial_image(config: StyleConfig, content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """The starting image; `style` is the (first) style image."""
    if config.init == "content":
        return content.copy()
    if config.init == "style":
        return resize(style, content.shape[:2])
    # White noise, as in the paper; seeded so runs are reproducible.
    rng = np.random.default_rng(config.seed)
    return rng.uniform(0.0, 1.0, content.shape).astype(np.float32)


def prepare_images(content, style, config: StyleConfig):
    """Content at `config.size`; each style resized to the content's size x its scale.

    Args:
      content: one image (path, PIL image or array).
      style: one image, or a list or tuple of them.

    Returns:
      (content [H, W, 3], list of style images).
    """
    content = as_image(content, config.size)
    sources = list(style) if isinstance(style, (list, tuple)) else [style]
    if not sources:
        raise ConfigError("at least one style image is needed")
    config.blend_weights(len(sources))  # checks the count early
    height, width = content.shape[:2]
    # Every layer needs at least one position after its poolings, or its Gram
    # matrix is 0/0.
    need = 2 ** max(pools_before(name) for name in config.layers)

    def check_side(what, shape, fix):
        if min(shape) < need:
            raise ConfigError(f"the {what} image is {shape[1]}x{shape[0]} px; layer "
                              f"{config.layers[-1]} needs a short side of at least {need} px "
                              f"(raise {fix})")

    check_side("content", (height, width), "--size")
    styles = []
    for source, scale in zip(sources, config.style_scales(len(sources))):
        target = (max(1, round(height * scale)), max(1, round(width * scale)))
        check_side("style", target, "--size or --style_scale")
        if target[0] * target[1] > 64_000_000:
            raise ConfigError(f"--style_scale={scale:g} makes the style image "
                              f"{target[1]}x{target[0]} px; keep it under 64 Mpx")
        styles.append(resize(as_image(source), target))
    return content, styles


def stylize(content, style, config: Optional[StyleConfig] = None, *,
            weights: Optional[VGGWeights] = None,
            callback: optim.Callback = None) -> StyleResult:
    """Renders `content` in the style of `style` (Gatys et al. 2016).

    Args:
      content: path, PIL image, or array (uint8, or float in [0, 1]).
      style: same kinds as `content`, or a list of them (blended with
        `config.style_blend`).
      config: a `StyleConfig`; `StyleConfig()` when None (the paper's method,
        with beta set for 512 px; see its `style_weight`).
      weights: VGG19 weights; found with `find_vgg19_weights()` when None.
      callback: called with an `optim.Progress` after every step.

    Returns:
      A `StyleResult`; `.image` is float32 [H, W, 3] RGB in [0, 1].
    """
    config = config or StyleConfig()
    content, styles = prepare_images(content, style, config)
    weights = weights or find_vgg19_weights()
    extractor = build_extractor(weights, config.layers, pooling=config.pooling,
                                normalize=config.normalize)
    target_content, target_styles = content, styles
    if config.preserve_color == "histogram":
        target_styles = [color.match_color_histogram(s, content) for s in styles]
    elif config.preserve_color == "luminance":
        content_y = color.luminance(content)
        target_content = color.gray_rgb(content_y)
        target_styles = [color.gray_rgb(color.match_luminance(color.luminance(s), content_y))
                         for s in styles]
    objective = GatysObjective(extractor, config, target_content, target_styles)
    init = initial_image(config, target_content, target_styles[0])
    log.info("stylizing %dx%d for %d %s steps", content.shape[1], content.shape[0],
             config.steps, config.optimizer)
    start = time.perf_counter()
    if config.optimizer == "adam":
        out = optim.run_adam(objective, init, config.steps, config.learning_rate, callback)
    else:
        out = optim.run_lbfgs(objective, init, config.steps, callback)
    image = out.image
    if config.preserve_color == "luminance":
        image = color.with_content_chroma(color.luminance(image), content)
    return StyleResult(image, out.losses, out.steps, out.evaluations,
                       time.perf_counter() - start, weights.sha256, config)
