"""Coarse-to-fine passes and their optimization: each pass whole or tile by
tile, the optimizer chosen by the config, progress counted over the run."""

import dataclasses
import time
from typing import Optional, Sequence, Tuple

import numpy as np

from tfstyle.core import optim
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import as_image, fit_long_side, resize
from tfstyle.core.vgg import LAYER_NAMES, build_extractor
from tfstyle.core.weights import VGGWeights
from tfstyle.gatys import tiles
from tfstyle.gatys.config import StyleConfig
from tfstyle.gatys.inputs import prepare_images, prepare_masks
from tfstyle.gatys.objective import GatysObjective, beta_for


@dataclasses.dataclass(frozen=True)
class Pass:
    """One coarse-to-fine pass. What differs from pass to pass (its images,
    its beta, its iterations, its tiles) is held here: the run's `config` is
    the one the caller gave, never rewritten for a pass."""
    config: StyleConfig                  # the run's settings, as given
    content: np.ndarray
    styles: Sequence[np.ndarray]
    masks: Optional[Sequence[np.ndarray]]
    style_masks: Optional[Sequence[Optional[np.ndarray]]]
    beta: float                          # eq. 7's beta for this pass (`objective.beta_for`)
    iterations: int                      # optimizer iterations of the pass, or of each tile
    output_pixels: int                   # pixels of the final pass, the output
    grid: Tuple[tiles.Tile, ...] = ()    # optimization tiles; () when the pass runs whole
    core: Optional[int] = None           # side of the cores the targets are encoded by when tiled
    tile_size: Optional[int] = None      # side of the tiles when tiled

    @property
    def steps(self) -> int:
        """Iterations planned for the pass, over all its tiles."""
        return self.iterations * max(len(self.grid), 1)

    def tile_beta(self, core: tiles.Tile) -> float:
        """eq. 7's beta for one tile's `core` of this pass."""
        height, width = self.content.shape[:2]
        return beta_for(self.config, self.output_pixels, height * width,
                        core.shape[0] * core.shape[1])


def pass_shapes(config: StyleConfig, shape: Tuple[int, int]) -> Tuple[Tuple[int, int], ...]:
    """(height, width) of every coarse-to-fine pass of a content image of
    `shape` at `config.size`, the final pass's last."""
    plan = config.scale_plan(max(shape))
    return tuple(fit_long_side(shape, side) for side in plan[:-1]) + (tuple(shape),)


def total_steps(shape: Tuple[int, int], config: StyleConfig) -> int:
    """Iterations `stylize` plans for a content image of `shape` (h, w) at
    `config.size`: every coarse-to-fine pass, times its tiles when tiled."""
    shapes = pass_shapes(config, fit_long_side(shape, config.size))
    total = 0
    for i, pass_shape in enumerate(shapes):
        side = tiles.tile_side(config, pass_shape)
        count = len(tiles.cores(pass_shape, side)) if side else 1
        total += (config.steps if i == len(shapes) - 1 else config.coarse_steps) * count
    return total


def plan_passes(config: StyleConfig, content: np.ndarray, style_sources, masks,
                style_masks, batch: int = 1) -> Tuple[Pass, ...]:
    """Prepares every coarse-to-fine pass. An automatic coarse pass whose images
    would be too small for the deepest layer is dropped; an explicit one is an
    error. A batch of `batch` images larger than one is never tiled."""
    shapes = pass_shapes(config, content.shape[:2])
    # Mask files are read once; each pass resizes them.
    masks = None if masks is None else [as_image(m, background="black") for m in masks]
    if style_masks is not None:
        style_masks = [None if m is None else as_image(m, background="black")
                       for m in style_masks]
    # Each pass's content is at its size already: its images are prepared as they are.
    sizing = dataclasses.replace(config, size=None)
    output_pixels = content.shape[0] * content.shape[1]
    passes = []
    for i, shape in enumerate(shapes):
        final = i == len(shapes) - 1
        try:
            pass_content, styles = prepare_images(content if final else resize(content, shape),
                                                  style_sources, sizing)
        except ConfigError as exc:
            if final:
                raise
            if config.scales is None:
                continue
            raise ConfigError(f"scales: the {max(shape)} px pass is too small ({exc})") from None
        output_masks, source_masks = prepare_masks(masks, style_masks, pass_content, styles,
                                                   sizing)
        side = tiles.tile_side(config, shape)
        if batch > 1:
            _check_batch(config, shape, batch, side)
        grid = tuple(tiles.cores(shape, side)) if side else ()
        passes.append(Pass(
            config, pass_content, styles, output_masks, source_masks,
            beta=beta_for(config, output_pixels, shape[0] * shape[1]),
            iterations=config.steps if final else config.coarse_steps,
            output_pixels=output_pixels, grid=grid,
            core=tiles.core_side() if side else None, tile_size=side))
    return tuple(passes)


def _check_batch(config: StyleConfig, shape: Tuple[int, int], batch: int, side):
    """A batch is stacked along a new axis and optimized whole: the tiles work
    on one image."""
    height, width = shape
    if side is not None and config.tile_size:
        raise ConfigError("several seeds are optimized as one batch, which does not tile; "
                          f"the {width}x{height} px pass would (tile_size={config.tile_size})")
    if config.tile_size != 0 and not tiles.fits((batch * height, width)):
        raise ConfigError(
            f"{batch} seeds of {width}x{height} px need about "
            f"{tiles.step_bytes((batch * height, width)) / 2**30:.1f} GiB as one batch "
            f"(about {tiles.available_bytes() / 2**30:.1f} GiB available), and a batch "
            "does not tile; use fewer seeds or a smaller size")


def optimize(objective: GatysObjective, init: np.ndarray, config: StyleConfig,
             callback: optim.Callback, steps: Optional[int] = None) -> optim.OptimResult:
    """Runs `config.optimizer` on `objective` from `init` for `steps` iterations
    (default `config.steps`; a pass's are `Pass.iterations`); the result's image
    is rendered (keep region filled in), as are the images the callback sees."""
    steps = config.steps if steps is None else steps
    if callback and objective.targets.keep is not None:
        user_callback = callback

        def callback(p):
            user_callback(dataclasses.replace(p, image=objective.render_numpy(p.image)))

    if config.optimizer == "adam":
        out = optim.run_adam(objective, init, steps, config.learning_rate, callback)
    else:
        out = optim.run_lbfgs(objective, init, steps, callback)
    return dataclasses.replace(out, image=objective.render_numpy(out.image))


def optimize_by_tiles(objective: GatysObjective, p: Pass, content: np.ndarray,
                      init: np.ndarray, callback: optim.Callback) -> optim.OptimResult:
    """Optimizes `init` core by core (`p.grid`, row by row), each core seeing
    its neighbours' current pixels (see `GatysObjective.for_tile`)."""
    image = objective.render_numpy(init.astype(np.float32))
    steps = evaluations = 0
    for i, core in enumerate(p.grid):
        tile = objective.for_tile(core, content, image, p.tile_beta(core))
        if tile is None:
            continue
        win = tiles.window(core, image.shape[:2])
        report = _tile_progress(callback, i * p.iterations, image, win)
        out = optimize(tile, win.crop(image), p.config, report, p.iterations)
        image = tiles.paste(image, win, out.image)
        steps, evaluations = steps + out.steps, evaluations + out.evaluations
    return optim.OptimResult(image, {}, steps, evaluations)


def _tile_progress(callback: optim.Callback, done: int, image: np.ndarray, win) -> optim.Callback:
    """Reports a tile's steps after the `done` of the tiles before it, with
    its window pasted into the whole `image`."""
    if callback is None:
        return None

    def report(q):
        callback(dataclasses.replace(q, step=done + q.step, image=tiles.paste(image, win, q.image)))

    return report


def offset_progress(callback: optim.Callback, done: int, total: int,
                    start: float, work: Tuple[float, float, float] = (0.0, 0.0, 0.0)
                    ) -> optim.Callback:
    """Reports one optimization's steps as steps `done + 1 ...` of a run of
    `total` steps (coarse-to-fine passes, grid cells) that began at `start`.
    `work`: (work done before it, work per step of it, the run's total work),
    in pixel-steps, for an estimate that knows a fine pass costs more."""
    if callback is None:
        return None
    before, per_step, work_total = work

    def report(p):
        callback(dataclasses.replace(p, step=done + p.step, steps=total,
                                     elapsed=time.perf_counter() - start,
                                     work_done=before + per_step * p.step,
                                     work_total=work_total))

    return report


def network(weights: VGGWeights, config: StyleConfig, layers: Sequence[str]):
    """The feature extractor for `layers` with `config`'s pooling and normalization."""
    used = set(layers)
    return build_extractor(weights, [n for n in LAYER_NAMES if n in used],
                           pooling=config.pooling, normalize=config.normalize)
