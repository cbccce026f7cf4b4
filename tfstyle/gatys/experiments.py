"""The paper's Fig. 1 experiments as entry points: content reconstructions
from one layer, and style reconstructions (texture synthesis, Gatys et al. 2015)."""

import time
from typing import Optional, Tuple

import numpy as np

from tfstyle.core import optim
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import as_image
from tfstyle.core.weights import VGGWeights, find_vgg19_weights
from tfstyle.gatys import tiles
from tfstyle.gatys.config import StyleConfig
from tfstyle.gatys.inputs import MAX_PIXELS, as_list, check_side, initial_image
from tfstyle.gatys.objective import GatysObjective, beta_for
from tfstyle.gatys.passes import network, optimize
from tfstyle.gatys.targets import compute_targets
from tfstyle.gatys.transfer import StyleResult


def reconstruct_content(content, config: Optional[StyleConfig] = None, *,
                        weights: Optional[VGGWeights] = None,
                        callback: optim.Callback = None) -> StyleResult:
    """Paper Fig. 1 (content reconstructions): an image from white noise whose
    response at `config.content_layers` matches the content image's.

    Only content layers, optimizer, steps, seed, pooling and normalization of
    `config` matter; there is no style term.
    """
    config = config or StyleConfig()
    if config.init == "content":
        raise ConfigError("init='content' would start a content reconstruction at its answer; "
                          "use noise")
    content = as_image(content, config.size)
    layers = [n for n, _ in config.content_layers]
    check_side("content", content.shape, layers, "`size`")
    return _single_pass(config, weights, callback, layers, content.shape[:2],
                        dict(content=content, styles=[], content_layers=layers, style_layers=[]),
                        dict(content_layers=config.content_layers, style_layers=(),
                             content_weight=config.content_weight or 1.0, beta=0.0),
                        {})


def _single_pass(config, weights, callback, layers, shape, target_args, objective_args,
                 init_args) -> StyleResult:
    """Encodes the targets, then optimizes one image of `shape` from `config.init`."""
    if not tiles.fits(shape, tiles.available_bytes()):
        raise ConfigError(f"{shape[1]}x{shape[0]} px needs about "
                          f"{tiles.step_bytes(shape) / 2**30:.0f} GiB, more than the "
                          f"{tiles.available_bytes() / 2**30:.0f} GiB available; this mode "
                          "does not tile: use a smaller size")
    weights = weights or find_vgg19_weights()
    extractor = network(weights, config, layers)
    targets = compute_targets(extractor, **target_args)
    objective = GatysObjective(extractor, targets, tv_weight=config.tv_weight, **objective_args)
    init = initial_image(config, shape, **init_args)
    start = time.perf_counter()
    out = optimize(objective, init, config, callback)
    return StyleResult(out.image, out.losses, out.steps, out.evaluations,
                       time.perf_counter() - start, weights.sha256, config)


def synthesize_texture(style, config: Optional[StyleConfig] = None, *,
                       output_size: Optional[Tuple[int, int]] = None,
                       weights: Optional[VGGWeights] = None,
                       callback: optim.Callback = None) -> StyleResult:
    """Paper Fig. 1 (style reconstructions), i.e. texture synthesis (Gatys et
    al. 2015): an image from white noise whose Gram matrices at
    `config.style_layers` match the style image's.

    Args:
      style: one image, or a list of them (blended with `config.style_blend`).
      config: `size` is the long side the style images are measured at (the
        scale of the texture's elements); content settings are unused.
      output_size: (height, width) of the texture; the (first) style image's
        size when None. The Gram matrices are per position, so any size works.
    """
    config = config or StyleConfig()
    styles = [as_image(s, config.size) for s in as_list(style, "style")]
    blend = config.blend_weights(len(styles))
    layers = [n for n, _ in config.style_layers]
    for s in styles:
        check_side("style", s.shape, layers, "`size`")
    shape = tuple(output_size) if output_size is not None else styles[0].shape[:2]
    if len(shape) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in shape):
        raise ConfigError(f"`output_size` must be (height, width) in pixels, got {output_size!r}")
    if shape[0] * shape[1] > MAX_PIXELS:
        raise ConfigError(f"output size {shape[1]}x{shape[0]} is over {MAX_PIXELS // 10**6} Mpx")
    check_side("output", shape, layers, "`output_size`")
    return _single_pass(config, weights, callback, layers, shape,
                        dict(content=None, styles=styles, content_layers=[], style_layers=layers,
                             blend=blend),
                        dict(content_layers=(), style_layers=config.style_layers,
                             content_weight=0.0,
                             beta=beta_for(config, shape[0] * shape[1]) or 1.0),
                        dict(style=styles[0]))
