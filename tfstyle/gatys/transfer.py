"""Style transfer by image optimization (Gatys, Ecker & Bethge, CVPR 2016).

`stylize` runs the content and styles through every coarse-to-fine pass;
`stylize_seeds` does the same for several white-noise starts as one batch.
Spatial control follows Gatys et al. 2017 ("Controlling Perceptual Factors"):
a mask per style image gives it a region of the output, and the pixels no
mask covers stay the content photo.
"""

import dataclasses
import logging
import time
from typing import Mapping, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from tfstyle.core import optim
from tfstyle.core.image import as_image, resize
from tfstyle.core.weights import VGGWeights, find_vgg19_weights
from tfstyle.gatys.config import StyleConfig
from tfstyle.gatys.inputs import as_list, finish_image, initial_image, target_images
from tfstyle.gatys.objective import GatysObjective
from tfstyle.gatys.passes import (Pass, network, offset_progress, optimize, optimize_by_tiles,
                                  plan_passes)
from tfstyle.gatys.targets import compute_targets

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class StyleResult:
    """Output of `stylize`, `reconstruct_content` and `synthesize_texture`."""
    image: np.ndarray              # float32 [H, W, 3] RGB in [0, 1]
    losses: Mapping[str, float]    # final loss parts: total, and content / style / tv as used
    steps: int                     # optimizer iterations run
    evaluations: int               # loss-and-gradient evaluations
    seconds: float                 # wall time of the optimization
    weights_sha256: str            # identifies the VGG19 weights used
    config: StyleConfig
    record: Optional[Mapping] = None  # the run's record, where a recipe made it

    @property
    def settings(self) -> dict:
        """The run's record (a recipe's), or the config as JSON values."""
        if self.record is not None:
            return dict(self.record)
        return dict(self.config.to_dict(), method="gatys")


def stylize(content, style, config: Optional[StyleConfig] = None, *,
            masks: Optional[Sequence] = None, style_masks: Optional[Sequence] = None,
            weights: Optional[VGGWeights] = None,
            callback: optim.Callback = None) -> StyleResult:
    """Renders `content` in the style of `style` (Gatys et al. 2016).

    Args:
      content: path, PIL image, or array (uint8, or float in [0, 1]).
      style: same kinds as `content`, or a list of them (blended with
        `config.style_blend`, or placed by `masks`).
      config: a `StyleConfig`; `StyleConfig()` when None (the paper's method,
        with beta set for 512 px, see its `style_weight`, run coarse to fine
        above 256 px, see its `scales`).
      masks: spatial control (Gatys et al. 2017): one mask per style image,
        white where that style goes in the output. Pixels that no mask
        covers keep the content photo. Any size; resized to the content's.
      style_masks: with `masks`, optionally one mask per style image (or
        None entries) choosing the part of that style image whose Gram
        matrices make its target.
      weights: VGG19 weights; found with `find_vgg19_weights()` when None.
      callback: called with an `optim.Progress` after every step.

    Returns:
      A `StyleResult`; `.image` is float32 [H, W, 3] RGB in [0, 1].
    """
    return _stylize(content, style, config or StyleConfig(), None, masks, style_masks, weights,
                    callback)[0]


def stylize_seeds(content, style, config: Optional[StyleConfig] = None, *,
                  seeds: Sequence[int] = (0, 1), masks: Optional[Sequence] = None,
                  style_masks: Optional[Sequence] = None, weights: Optional[VGGWeights] = None,
                  callback: optim.Callback = None) -> Tuple[StyleResult, ...]:
    """`stylize` from several white-noise starts at once, one batch per step.

    Every image of the batch goes through the network in the same pass (one
    forward and backward per step for all of them), so the constant targets
    are shared and the convolutions get a larger batch. The optimizers see
    the sum of the images' losses: with Adam (a per-pixel update) each image
    follows the path its seed would follow alone; L-BFGS treats the batch as
    one problem (one line search, one curvature memory), so its images differ
    from single runs of the same seeds though they minimize the same losses.
    Passes that would need tiles are refused: a batch is optimized whole.

    Args:
      seeds: the white-noise seeds, one output each (`config.seed` is unused);
        `config.init` must be 'noise' or 'auto' (which is white noise here).
      callback: progress of the whole batch: its `image` is [B, H, W, 3] and
        its losses are sums over the batch (one seed: a plain `stylize` run,
        whose images are [H, W, 3]).
      The other arguments are `stylize`'s.

    Returns:
      One `StyleResult` per seed, in order; each has its own image, its own
      loss parts and `config.seed` set to its seed (steps, evaluations and
      seconds are the batch's).
    """
    config = config or StyleConfig()
    seeds = config.check_seeds(seeds)
    if len(seeds) == 1:  # one seed is a plain run (which may tile), from white noise
        start = "noise" if config.init == "auto" else config.init
        return (stylize(content, style, dataclasses.replace(config, seed=int(seeds[0]), init=start),
                        masks=masks, style_masks=style_masks, weights=weights,
                        callback=callback),)
    return _stylize(content, style, config, seeds, masks, style_masks, weights, callback)


def _stylize(content, style, config: StyleConfig, seeds: Optional[Tuple[int, ...]], masks,
             style_masks, weights, callback) -> Tuple[StyleResult, ...]:
    """`stylize` (seeds None: one image from `config`'s start) or `stylize_seeds`."""
    content = as_image(content, config.size)
    style_sources = [as_image(s) for s in as_list(style, "style")]
    # Every pass is prepared (sizes, masks) before the weights load or a step runs.
    passes = plan_passes(config, content, style_sources, masks, style_masks,
                         len(seeds) if seeds else 1)
    weights = weights or find_vgg19_weights()
    # The network is fully convolutional: one serves every pass.
    extractor = network(weights, config, config.layers)
    _log_plan(content, passes, seeds, config.optimizer)
    start, steps, evaluations, image = time.perf_counter(), 0, 0, None
    for i, p in enumerate(passes):
        objective, out, losses_ = _run_pass(extractor, p, seeds, image,
                                            _pass_progress(callback, passes, i, start))
        image, steps, evaluations = out.image, steps + out.steps, evaluations + out.evaluations
    if seeds is not None:
        losses_ = _losses_each(objective, image)
    seconds = time.perf_counter() - start
    images = [image] if seeds is None else list(image)
    configs = [config] if seeds is None else [dataclasses.replace(config, seed=s) for s in seeds]
    return tuple(StyleResult(finish_image(one, content, config), part, steps, evaluations,
                             seconds, weights.sha256, one_config)
                 for one, part, one_config in zip(images, losses_, configs))


def _log_plan(content: np.ndarray, passes: Sequence[Pass], seeds, optimizer: str):
    """The run's plan in one line: size, seeds, steps, passes."""
    sizes = ", ".join(f"{p.content.shape[1]}x{p.content.shape[0]}" for p in passes)
    log.info("stylizing %dx%d%s: %d %s steps%s", content.shape[1], content.shape[0],
             f" x {len(seeds)} seeds" if seeds else "", sum(p.steps for p in passes), optimizer,
             f" in {len(passes)} passes ({sizes})" if len(passes) > 1 else "")


def _pass_progress(callback: optim.Callback, passes: Sequence[Pass], i: int,
                   start: float) -> optim.Callback:
    """Reports pass `i`'s steps as steps of the whole run. Offsets are the
    planned steps of the passes before it: a pass that stops early leaves a
    gap, not a shift. The time estimate weighs each pass's steps by its
    pixels (a tiled pass's reported steps are tile-steps: each a share of
    its pixels)."""
    work = [p.content.shape[0] * p.content.shape[1] * p.iterations for p in passes]
    p = passes[i]
    return offset_progress(callback, sum(q.steps for q in passes[:i]),
                           sum(q.steps for q in passes), start,
                           (sum(work[:i], 0.0), work[i] / max(p.steps, 1), sum(work, 0.0)))


def _run_pass(extractor, p: Pass, seeds: Optional[Tuple[int, ...]], image: Optional[np.ndarray],
              progress: optim.Callback):
    """Optimizes pass `p`, from `image` (the pass before's result) upsampled,
    or from the start: (its objective, its `OptimResult`, its loss parts)."""
    config = p.config
    target_content, target_styles = target_images(p.content, p.styles, config)
    targets = compute_targets(
        extractor, target_content, target_styles,
        content_layers=[n for n, _ in config.content_layers],
        style_layers=[n for n, _ in config.style_layers],
        blend=config.blend_weights(len(p.styles)), masks=p.masks,
        style_masks=p.style_masks, core=p.core)
    objective = GatysObjective.from_config(extractor, targets, config, beta=p.beta)
    shape = p.content.shape[:2]
    if image is not None:
        init = (resize(image, shape) if seeds is None else
                np.stack([resize(one, shape) for one in image]))
    elif seeds is None:
        init = initial_image(config, shape, target_content, target_styles[0])
    else:
        init = np.stack([initial_image(dataclasses.replace(config, seed=s), shape)
                         for s in seeds])
    if p.grid:
        log.info("pass %dx%d in %d tiles of up to %d px, %d %s steps each", shape[1],
                 shape[0], len(p.grid), p.tile_size, p.iterations, config.optimizer)
        out = optimize_by_tiles(objective, p, target_content, init, progress)
        return objective, out, [objective.evaluate_by_cores(out.image, target_content, p.core)]
    log.debug("pass %dx%d: %d %s steps", shape[1], shape[0], p.iterations, config.optimizer)
    out = optimize(objective, init, config, progress, p.iterations)
    # A batch's losses are its sum; each image's come after the passes.
    return objective, out, [out.losses]


def _losses_each(objective: "GatysObjective", images: np.ndarray) -> list:
    """The loss parts of each rendered image of a [B, H, W, 3] batch."""
    # Rendering again would blend a soft keep region twice; the rendered
    # image is what the loss saw, so it is evaluated as is.
    return [{k: float(v) for k, v in objective.losses_of(tf.constant(one[None])).items()}
            for one in images]
