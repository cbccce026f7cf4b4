"""Style transfer by image optimization (Gatys, Ecker & Bethge, CVPR 2016).

Besides `stylize`, the paper's other experiments are entry points of their own:
`reconstruct_content` (Fig. 1, content reconstructions from one layer) and
`synthesize_texture` (Fig. 1, style reconstructions / texture synthesis).
Spatial control follows Gatys et al. 2017 ("Controlling Perceptual Factors"):
a mask per style image gives it a region of the output, and the pixels no
mask covers stay the content photo.
"""

import dataclasses
import logging
import time
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from tfstyle import color, losses, optim, tiles
from tfstyle.config import LayerWeights, StyleConfig
from tfstyle.errors import ConfigError
from tfstyle.image import as_image, fit_long_side, resize
from tfstyle.vgg import LAYER_NAMES, build_extractor, pools_before
from tfstyle.weights import VGGWeights, find_vgg19_weights

log = logging.getLogger(__name__)

# Largest style or texture image accepted (as float32 RGB, 0.8 GB before the network).
MAX_PIXELS = 64_000_000


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


@dataclasses.dataclass(frozen=True)
class StyleRegion:
    """One style target: Gram matrices, and where in the output they apply."""
    grams: Mapping[str, tf.Tensor]                   # layer -> A / M_a, [1, N, N]
    masks: Optional[Mapping[str, np.ndarray]] = None  # layer -> output weights [1, h, w, 1]; None: everywhere


@dataclasses.dataclass(frozen=True)
class Targets:
    """Everything the loss compares against, computed once per run (or grid)."""
    # layer -> P^l of the content image (None when a tiled pass's tiles each
    # encode their own piece of it)
    content: Mapping[str, Optional[tf.Tensor]]
    styles: Tuple[StyleRegion, ...]
    keep: Optional[np.ndarray] = None      # [1, H, W, 1]: 1 where the output stays the photo
    photo: Optional[np.ndarray] = None     # [1, H, W, 3]: the photo kept there


def mask_at_layer(mask: np.ndarray, layer: str) -> np.ndarray:
    """A [H, W] mask averaged down to `layer`'s grid ([1, h, w, 1]).

    VGG's 2x2 stride-2 poolings drop an odd last row or column; so does this,
    so every position of the layer gets the mean weight of the pixels it sees.
    """
    m = np.asarray(mask, np.float32)
    for _ in range(pools_before(layer)):
        h, w = m.shape[0] // 2, m.shape[1] // 2
        m = m[:2 * h, :2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3))
    return m[None, :, :, None]


def _style_grams(extractor, style: np.ndarray, masks: Mapping[str, Optional[np.ndarray]],
                 core: Optional[int]) -> Dict[str, tf.Tensor]:
    """A / M_a (per position, optionally over a masked region) of `style` at
    each layer of `masks`; summed over cores when `core` is set."""
    if not masks:
        return {}
    if core is None:
        feats = extractor(tf.constant(style[None]))
        return {name: losses.gram_matrix(feats[name], m) / losses.num_positions(feats[name], m)
                for name, m in masks.items()}
    sums = {name: [0.0, 0.0] for name in masks}
    for c, feats in tiles.encode_by_cores(extractor, style, list(masks), core):
        for name, m in masks.items():
            m = None if m is None else tiles.crop_layer_map(m, c, name, style.shape[:2])
            sums[name][0] += losses.gram_matrix(feats[name], m)
            sums[name][1] += losses.num_positions(feats[name], m)
    return {name: gram / count for name, (gram, count) in sums.items()}


def compute_targets(extractor, content: Optional[np.ndarray], styles: Sequence[np.ndarray], *,
                    content_layers: Sequence[str], style_layers: Sequence[str],
                    blend: Optional[Sequence[float]] = None,
                    masks: Optional[Sequence[np.ndarray]] = None,
                    style_masks: Optional[Sequence[Optional[np.ndarray]]] = None,
                    core: Optional[int] = None) -> Targets:
    """Encodes the content and style images once.

    Args:
      extractor: from `vgg.build_extractor`, covering every layer named here.
      content: [H, W, 3], or None (texture synthesis).
      styles: [h, w, 3] images; none for a content reconstruction.
      content_layers, style_layers: layer names to keep targets for.
      blend: weights of the styles (summing to 1) when their Gram matrices
        are blended into one target; ignored with `masks`.
      masks: one [H, W] weight map per style: the output region of that
        style. Pixels that no mask covers keep the content photo.
      style_masks: per style, None or an [h, w] map of the style image's
        region whose statistics make the target.
      core: encode the style images by tiles of this side (see
        `tiles.encode_by_cores`; the same Gram matrices, less memory) and
        leave the content's targets to each tile of a tiled pass (None values).
    """
    content_targets = {}
    if content is not None and content_layers:
        if core is None:
            feats = extractor(tf.constant(content[None]))
            content_targets = {name: tf.constant(feats[name]) for name in content_layers}
        else:
            content_targets = {name: None for name in content_layers}
    style_masks = list(style_masks) if style_masks is not None else [None] * len(styles)
    per_style = []
    for i, (style, source_mask) in enumerate(zip(styles, style_masks)):
        masks_at = {}
        for name in style_layers:
            mask = None if source_mask is None else mask_at_layer(source_mask, name)
            if mask is not None and float(mask.sum()) < 1e-3:
                raise ConfigError(f"style mask {i + 1} selects no position at {name}; "
                                  "use a larger region or shallower --style_layers")
            masks_at[name] = mask
        per_style.append(_style_grams(extractor, style, masks_at, core))
    if not per_style:
        return Targets(content_targets, ())
    if masks is None:
        blend = blend if blend is not None else [1.0 / len(per_style)] * len(per_style)
        grams = {name: tf.constant(sum(w * g[name] for w, g in zip(blend, per_style)))
                 for name in style_layers}
        return Targets(content_targets, (StyleRegion(grams),))
    regions = tuple(
        StyleRegion({name: tf.constant(g) for name, g in grams.items()},
                    {name: mask_at_layer(mask, name) for name in style_layers})
        for grams, mask in zip(per_style, masks))
    keep = np.clip(1.0 - np.sum(masks, axis=0), 0.0, 1.0)
    if keep.max() == 0 or content is None:
        return Targets(content_targets, regions)
    return Targets(content_targets, regions, keep[None, :, :, None].astype(np.float32),
                   content[None].astype(np.float32))


class GatysObjective:
    """L = alpha * L_content + beta * L_style (+ tv_weight * TV) against fixed targets.

    Call it on a [1, H, W, 3] image in [0, 1]; it returns the loss parts as
    scalar tensors. The targets are tensors computed once, so a tf.function
    that calls this captures them instead of re-encoding the content and
    style images at every step. Several objectives (a grid's cells) can share
    one extractor and one `Targets`, each reading its own layers from them.
    With a keep region, the image seen by the network is
    ``keep * photo + (1 - keep) * x``: those pixels are the photo's, and the
    styled regions blend into them.
    """

    def __init__(self, extractor, targets: Targets, *, content_layers: LayerWeights,
                 style_layers: LayerWeights, content_weight: float, style_weight: float,
                 tv_weight: float = 0.0):
        self.extractor = extractor
        self.targets = targets
        self.content_layers = tuple(content_layers) if targets.content else ()
        self.style_layers = tuple(style_layers) if targets.styles else ()
        if not self.content_layers and not self.style_layers:
            raise ConfigError("nothing to optimize: no content and no style target")
        self.content_weight = float(content_weight)
        self.style_weight = float(style_weight)
        self.tv_weight = float(tv_weight)
        # (region, layer, weight, mask at the layer or None). A region's E_l
        # compares Gram matrices averaged over the region, so its gradient per
        # position grows as the region shrinks; weighting it by the region's
        # share of the positions gives every pixel the push an unmasked run
        # gives it (a mask covering everything is exactly the unmasked loss).
        # A region too small to cover one position of a deep layer has no term there.
        self._style_terms = []
        for region in targets.styles:
            for name, weight in self.style_layers:
                mask = None if region.masks is None else region.masks[name]
                if mask is not None:
                    if float(mask.sum()) < 1e-3:
                        log.info("a style region vanishes at %s; it has no term there", name)
                        continue
                    weight = weight * float(mask.sum()) / mask.size
                self._style_terms.append((region, name, weight, mask))
        if self.style_layers and not self._style_terms:
            raise ConfigError("every style mask vanishes at the style layers' resolution; "
                              "use larger masks, a larger --size or shallower --style_layers")
        self._keep = None if targets.keep is None else tf.constant(targets.keep)
        self._photo = None if targets.photo is None else tf.constant(targets.photo)
        # For a tile (see `for_tile`): the slices of its core's positions per layer.
        self._spans = None

    @classmethod
    def from_config(cls, extractor, targets: Targets, config: StyleConfig) -> "GatysObjective":
        return cls(extractor, targets, content_layers=config.content_layers,
                   style_layers=config.style_layers, content_weight=config.content_weight,
                   style_weight=config.style_weight, tv_weight=config.tv_weight)

    @property
    def style_targets(self) -> Dict[str, tf.Tensor]:
        """The (first) style region's A / M per layer."""
        return dict(self.targets.styles[0].grams)

    def render(self, x):
        """The image the loss sees for optimization variable `x` ([1, H, W, 3])."""
        if self._keep is None:
            return x
        return self._keep * self._photo + (1.0 - self._keep) * x

    def render_numpy(self, x: np.ndarray) -> np.ndarray:
        """`render` for a [H, W, 3] array."""
        if self._keep is None:
            return x
        keep, photo = self.targets.keep[0], self.targets.photo[0]
        return (keep * photo + (1.0 - keep) * x).astype(np.float32)

    def __call__(self, x) -> Dict[str, tf.Tensor]:
        return self.losses_of(self.render(x))

    def losses_of(self, image) -> Dict[str, tf.Tensor]:
        """The loss parts of an image already rendered (keep region filled in)."""
        feats = self._core_features(self.extractor(image))
        content = {name: losses.content_loss(feats[name], self.targets.content[name])
                   for name, _ in self.content_layers}
        tv = losses.total_variation_loss(image) if self.tv_weight else None
        return self.combine(content, self._term_sums(feats), tv)

    def _term_sums(self, feats) -> list:
        """(G, M) of each style term."""
        return [(losses.gram_matrix(feats[name], mask), losses.num_positions(feats[name], mask))
                for _, name, _, mask in self._style_terms]

    def combine(self, content: Mapping[str, tf.Tensor], grams: Sequence, tv) -> Dict[str, tf.Tensor]:
        """The loss parts from their sums over positions: L_content per content
        layer, (G, M) per style term, and the TV sum (None without TV). Sums
        over an image's tiles give the whole image's loss."""
        parts = {}
        total = 0.0
        if self.content_layers:
            parts["content"] = tf.add_n([weight * content[name]
                                         for name, weight in self.content_layers])
            total = self.content_weight * parts["content"]
        if self.style_layers:
            per_term = [losses.layer_style_loss(gram, region.grams[name],
                                                float(gram.shape[-1]), positions)
                        for (gram, positions), (region, name, _, _) in zip(grams, self._style_terms)]
            parts["style"] = losses.style_loss(per_term, [w for _, _, w, _ in self._style_terms])
            total = total + self.style_weight * parts["style"]
        if self.tv_weight:
            parts["tv"] = tv
            total = total + self.tv_weight * parts["tv"]
        parts["total"] = total
        return parts

    def sums_by_cores(self, image: np.ndarray, content: Optional[np.ndarray], core: int):
        """(L_content per content layer, (G, M) per style term) of the rendered
        [H, W, 3] `image`, encoded by cores of side `core` (see
        `tiles.encode_by_cores`): the whole image's sums, for images too large
        to encode at once. Content sums need `content`, the content image
        (encoded the same way); with None they are left out."""
        shape = image.shape[:2]
        layers = sorted({n for n, _ in self.content_layers} | {n for _, n, _, _ in self._style_terms})
        content_sums = {name: 0.0 for name, _ in self.content_layers} if content is not None else {}
        term_sums = [[0.0, 0.0] for _ in self._style_terms]
        targets = (tiles.encode_by_cores(self.extractor, content, list(content_sums), core)
                   if content_sums else None)
        for c, feats in tiles.encode_by_cores(self.extractor, image, layers, core):
            if targets is not None:
                _, target = next(targets)
                for name in content_sums:
                    content_sums[name] += losses.content_loss(feats[name], target[name])
            for sums, (_, name, _, mask) in zip(term_sums, self._style_terms):
                mask = None if mask is None else tiles.crop_layer_map(mask, c, name, shape)
                sums[0] += losses.gram_matrix(feats[name], mask)
                sums[1] += losses.num_positions(feats[name], mask)
        return content_sums, [tuple(t) for t in term_sums]

    def evaluate_by_cores(self, x: np.ndarray, content: Optional[np.ndarray],
                          core: int) -> Dict[str, float]:
        """The loss parts of the [H, W, 3] image `x` (see `sums_by_cores`)."""
        image = self.render_numpy(x)
        content_sums, term_sums = self.sums_by_cores(image, content, core)
        tv = losses.total_variation_loss(tf.constant(image[None])) if self.tv_weight else None
        return {k: float(v) for k, v in self.combine(content_sums, term_sums, tv).items()}

    def for_tile(self, core: tiles.Tile, content: np.ndarray,
                 image: np.ndarray) -> Optional["GatysObjective"]:
        """This objective for the pixels of `core` alone, the rest of the
        [H, W, 3] `image` held fixed; None when the photo is kept on all of
        the core. Call it on the core's window (`tiles.window`).

        The window's halo is fixed context (a keep region holding the current
        pixels) and only the core's positions count. Every tile matches the
        global style targets itself, so all tiles share one style (matching
        only the whole image's sum lets tiles drift apart, each making up
        for the others); its content term is its own piece of the content,
        and beta is scaled by the core's share of the pixels, as for coarse
        passes, so alpha/beta keeps its balance.
        """
        shape = image.shape[:2]
        win = tiles.window(core, shape)
        inside = np.zeros(win.shape + (1,), np.float32)
        inside[core.y0 - win.y0:core.y1 - win.y0, core.x0 - win.x0:core.x1 - win.x0] = 1.0
        current = win.crop(image)
        keep, photo = 1.0 - inside, current
        if self.targets.keep is not None:
            core_keep = win.crop(self.targets.keep[0])
            if float(core_keep[inside[..., 0] > 0].min()) >= 1.0:
                return None
            keep = keep + inside * core_keep
            photo = inside * win.crop(self.targets.photo[0]) + (1.0 - inside) * current
        spans = {name: tiles.layer_span(core, win, name, shape)
                 for name in {n for n, _ in self.content_layers} |
                 {n for n, _ in self.style_layers}}
        content_targets = {}
        if self.content_layers:
            feats = self.extractor(tf.constant(win.crop(content)[None]))
            content_targets = {n: tf.constant(feats[n][:, spans[n][0], spans[n][1]])
                               for n, _ in self.content_layers}
        regions = tuple(
            StyleRegion(r.grams, None if r.masks is None else
                        {n: tiles.crop_layer_map(m, core, n, shape) for n, m in r.masks.items()})
            for r in self.targets.styles)
        share = core.shape[0] * core.shape[1] / (shape[0] * shape[1])
        try:
            tile = GatysObjective(
                self.extractor, Targets(content_targets, regions, keep[None], photo[None]),
                content_layers=self.content_layers, style_layers=self.style_layers,
                content_weight=self.content_weight, style_weight=self.style_weight * share,
                tv_weight=self.tv_weight)
        except ConfigError:
            # Every styled region is a sliver too thin for the style layers here.
            log.info("tile %s has no style term; it keeps its pixels", core)
            return None
        tile._spans = spans
        return tile

    def _core_features(self, feats):
        """A tile's features at its core's positions (all of them for a whole image)."""
        if self._spans is None:
            return feats
        return {name: feats[name][:, rows, cols] for name, (rows, cols) in self._spans.items()}


def initial_image(config: StyleConfig, shape: Tuple[int, int],
                  content: Optional[np.ndarray] = None,
                  style: Optional[np.ndarray] = None) -> np.ndarray:
    """The [H, W, 3] starting image; `style` is the (first) style image."""
    if config.init == "content" and content is not None:
        return content.copy()
    if config.init == "style" and style is not None:
        return resize(style, shape)
    if config.init != "noise":
        raise ConfigError(f"init={config.init!r} needs a {config.init} image, and this mode has none")
    # White noise, as in the paper; seeded so runs are reproducible.
    rng = np.random.default_rng(config.seed)
    return rng.uniform(0.0, 1.0, tuple(shape) + (3,)).astype(np.float32)


def _check_side(what: str, shape, layers: Sequence[str], fix: str):
    """Every layer needs at least one position after its poolings, or its
    Gram matrix is 0/0 and its content target empty."""
    if not layers:
        return
    deepest = max(layers, key=pools_before)
    need = 2 ** pools_before(deepest)
    if min(shape[:2]) < need:
        raise ConfigError(f"the {what} image is {shape[1]}x{shape[0]} px; layer {deepest} "
                          f"needs a short side of at least {need} px (raise {fix})")


def _sources(images, what: str) -> list:
    sources = list(images) if isinstance(images, (list, tuple)) else [images]
    if not sources:
        raise ConfigError(f"at least one {what} image is needed")
    return sources


def prepare_images(content, style, config: StyleConfig):
    """Content at `config.size`; each style resized to the content's size x its scale.

    Args:
      content: one image (path, PIL image or array).
      style: one image, or a list or tuple of them.

    Returns:
      (content [H, W, 3], list of style images).
    """
    content = as_image(content, config.size)
    sources = _sources(style, "style")
    config.blend_weights(len(sources))  # checks the count early
    height, width = content.shape[:2]
    _check_side("content", content.shape, config.layers, "--size")
    styles = []
    for source, scale in zip(sources, config.style_scales(len(sources))):
        target = (max(1, round(height * scale)), max(1, round(width * scale)))
        _check_side("style", target, [n for n, _ in config.style_layers],
                    "--size or --style_scale")
        if target[0] * target[1] > MAX_PIXELS:
            raise ConfigError(f"--style_scale={scale:g} makes the style image "
                              f"{target[1]}x{target[0]} px; keep it under {MAX_PIXELS // 10**6} Mpx")
        styles.append(resize(as_image(source), target))
    return content, styles


def load_mask(source, shape: Tuple[int, int], what: str = "mask") -> np.ndarray:
    """A mask (path, PIL image or array; white = inside) as [H, W] weights in [0, 1].

    Grey levels are kept as partial weights, so a feathered mask gives a soft
    seam. The mask is resized to `shape` (height, width).
    """
    # A white shape on a transparent background means just the shape.
    mask = resize(as_image(source, background="black"), shape).mean(axis=-1)
    if float(mask.max()) <= 0.0:
        raise ConfigError(f"{what} selects no pixels (it is all black)")
    return mask.astype(np.float32)


def optimize(objective: GatysObjective, init: np.ndarray, config: StyleConfig,
              callback: optim.Callback) -> optim.OptimResult:
    """Runs `config.optimizer` on `objective` from `init`; the result's image is rendered
    (keep region filled in), as are the images the callback sees."""
    if callback and objective.targets.keep is not None:
        user_callback = callback

        def callback(p):
            user_callback(dataclasses.replace(p, image=objective.render_numpy(p.image)))

    if config.optimizer == "adam":
        out = optim.run_adam(objective, init, config.steps, config.learning_rate, callback)
    else:
        out = optim.run_lbfgs(objective, init, config.steps, callback)
    return dataclasses.replace(out, image=objective.render_numpy(out.image))


def network(weights: VGGWeights, config: StyleConfig, layers: Sequence[str]):
    """The feature extractor for `layers` with `config`'s pooling and normalization."""
    used = set(layers)
    return build_extractor(weights, [n for n in LAYER_NAMES if n in used],
                           pooling=config.pooling, normalize=config.normalize)


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
        `config.init` must be 'noise'.
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
    seeds = tuple(seeds)
    if not seeds or not all(isinstance(s, (int, np.integer)) and s >= 0 for s in seeds):
        raise ConfigError(f"seeds must be integers >= 0, at least one, got {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"seeds lists a seed twice: {seeds!r}")
    if config.init != "noise":
        raise ConfigError(f"several seeds need init='noise'; init={config.init!r} starts every "
                          "seed from the same image")
    if len(seeds) == 1:  # one seed is a plain run (which may tile)
        return (stylize(content, style, dataclasses.replace(config, seed=int(seeds[0])),
                        masks=masks, style_masks=style_masks, weights=weights,
                        callback=callback),)
    return _stylize(content, style, config, seeds, masks, style_masks, weights, callback)


def _stylize(content, style, config: StyleConfig, seeds: Optional[Tuple[int, ...]], masks,
             style_masks, weights, callback) -> Tuple[StyleResult, ...]:
    """`stylize` (seeds None: one image from `config`'s start) or `stylize_seeds`."""
    content = as_image(content, config.size)
    style_sources = [as_image(s) for s in _sources(style, "style")]
    # Every pass is prepared (sizes, masks) before the weights load or a step runs.
    passes = _plan_passes(config, content, style_sources, masks, style_masks,
                          len(seeds) if seeds else 1)
    weights = weights or find_vgg19_weights()
    # The network is fully convolutional: one serves every pass.
    extractor = network(weights, config, config.layers)
    total_steps = sum(p.steps for p in passes)
    start, done, steps, evaluations, image, losses_ = time.perf_counter(), 0, 0, 0, None, None
    for p in passes:
        target_content, target_styles = target_images(p.content, p.styles, p.config)
        targets = compute_targets(
            extractor, target_content, target_styles,
            content_layers=[n for n, _ in config.content_layers],
            style_layers=[n for n, _ in config.style_layers],
            blend=config.blend_weights(len(p.styles)), masks=p.masks,
            style_masks=p.style_masks, core=p.core)
        objective = GatysObjective.from_config(extractor, targets, p.config)
        shape = p.content.shape[:2]
        if image is not None:
            init = (resize(image, shape) if seeds is None else
                    np.stack([resize(one, shape) for one in image]))
        elif seeds is None:
            init = initial_image(p.config, shape, target_content, target_styles[0])
        else:
            init = np.stack([initial_image(dataclasses.replace(p.config, seed=s), shape)
                             for s in seeds])
        progress = offset_progress(callback, done, total_steps, start)
        if p.grid:
            log.info("stylizing %dx%d in %d tiles of up to %d px, %d %s steps each", shape[1],
                     shape[0], len(p.grid), p.config.tile_size, p.config.steps, config.optimizer)
            out = _optimize_by_tiles(objective, p, target_content, init, progress)
            losses_ = [objective.evaluate_by_cores(out.image, target_content, p.core)]
        else:
            log.info("stylizing %dx%d%s for %d %s steps", shape[1], shape[0],
                     f" x {len(seeds)} seeds" if seeds else "", p.config.steps, config.optimizer)
            out = optimize(objective, init, p.config, progress)
            losses_ = [out.losses]  # a batch's are its sum; each image's come after the passes
        # Planned offsets: a pass that stops early leaves a gap, not a shift.
        done += p.steps
        image, steps, evaluations = out.image, steps + out.steps, evaluations + out.evaluations
    if seeds is not None:
        losses_ = _losses_each(objective, image)
    seconds = time.perf_counter() - start
    images = [image] if seeds is None else list(image)
    configs = [config] if seeds is None else [dataclasses.replace(config, seed=s) for s in seeds]
    return tuple(StyleResult(finish_image(one, content, config), part, steps, evaluations,
                             seconds, weights.sha256, one_config)
                 for one, part, one_config in zip(images, losses_, configs))


def _losses_each(objective: "GatysObjective", images: np.ndarray) -> list:
    """The loss parts of each rendered image of a [B, H, W, 3] batch."""
    # Rendering again would blend a soft keep region twice; the rendered
    # image is what the loss saw, so it is evaluated as is.
    return [{k: float(v) for k, v in objective.losses_of(tf.constant(one[None])).items()}
            for one in images]


@dataclasses.dataclass(frozen=True)
class _Pass:
    config: StyleConfig                  # size=None, the pass's steps and beta; tile_size set when tiled
    content: np.ndarray
    styles: Sequence[np.ndarray]
    masks: Optional[Sequence[np.ndarray]]
    style_masks: Optional[Sequence[Optional[np.ndarray]]]
    grid: Tuple[tiles.Tile, ...] = ()    # optimization tiles; () when the pass runs whole
    core: Optional[int] = None           # side of the cores the targets are encoded by when tiled

    @property
    def steps(self) -> int:
        return self.config.steps * max(len(self.grid), 1)


def _optimize_by_tiles(objective: GatysObjective, p: _Pass, content: np.ndarray,
                       init: np.ndarray, callback: optim.Callback) -> optim.OptimResult:
    """Optimizes `init` core by core (`p.grid`, row by row), each core seeing
    its neighbours' current pixels (see `GatysObjective.for_tile`)."""
    image = objective.render_numpy(init.astype(np.float32))
    steps = evaluations = 0
    for i, core in enumerate(p.grid):
        tile = objective.for_tile(core, content, image)
        if tile is None:
            continue
        win = tiles.window(core, image.shape[:2])
        report = None
        if callback:
            def report(q, base=image, win=win, i=i):
                callback(dataclasses.replace(q, step=i * p.config.steps + q.step,
                                             image=tiles.paste(base, win, q.image)))
        out = optimize(tile, win.crop(image), p.config, report)
        image = tiles.paste(image, win, out.image)
        steps, evaluations = steps + out.steps, evaluations + out.evaluations
    return optim.OptimResult(image, {}, steps, evaluations)


def _plan_passes(config: StyleConfig, content: np.ndarray, style_sources, masks,
                 style_masks, batch: int = 1) -> Tuple[_Pass, ...]:
    """Prepares every coarse-to-fine pass. An automatic coarse pass whose images
    would be too small for the deepest layer is dropped; an explicit one is an
    error. A batch of `batch` images larger than one is never tiled."""
    plan = config.scale_plan(max(content.shape[:2]))
    # Mask files are read once; each pass resizes them.
    masks = None if masks is None else [as_image(m, background="black") for m in masks]
    if style_masks is not None:
        style_masks = [None if m is None else as_image(m, background="black")
                       for m in style_masks]
    passes = []
    for i, side in enumerate(plan):
        final = i == len(plan) - 1
        pass_config, pass_content = _pass(config, content, side, final)
        try:
            pass_content, styles = prepare_images(pass_content, style_sources, pass_config)
        except ConfigError as exc:
            if final:
                raise
            if config.scales is None:
                continue
            raise ConfigError(f"--scales: the {side} px pass is too small ({exc})") from None
        output_masks, source_masks = _prepare_masks(masks, style_masks, pass_content, styles,
                                                    pass_config)
        side = tiles.tile_side(config, pass_content.shape[:2])
        height, width = pass_content.shape[:2]
        # A batch is stacked along a new axis; the tiles work on one image.
        if batch > 1 and side is not None and config.tile_size:
            raise ConfigError("several seeds are optimized as one batch, which does not tile; "
                              f"the {width}x{height} px pass would (tile_size={config.tile_size})")
        if batch > 1 and config.tile_size != 0 and not tiles.fits((batch * height, width)):
            raise ConfigError(
                f"{batch} seeds of {width}x{height} px need about "
                f"{tiles.step_bytes((batch * height, width)) / 2**30:.1f} GiB as one batch "
                f"(about {tiles.available_bytes() / 2**30:.1f} GiB available), and a batch "
                "does not tile; use fewer seeds or a smaller size")
        if side is None:
            passes.append(_Pass(pass_config, pass_content, styles, output_masks, source_masks))
            continue
        pass_config = dataclasses.replace(pass_config, tile_size=side)
        passes.append(_Pass(pass_config, pass_content, styles, output_masks, source_masks,
                            tuple(tiles.cores(pass_content.shape[:2], side)), tiles.core_side()))
    return tuple(passes)


def _pass(config: StyleConfig, content: np.ndarray, side: int, final: bool):
    """(config, content image) of one coarse-to-fine pass at long side `side`.

    L_content sums over positions and grows with the pixel count while E_l
    does not, so beta is scaled with the pass's pixel count: every pass then
    strikes the balance the final one does.
    """
    if final:
        return dataclasses.replace(config, size=None), content
    small = resize(content, fit_long_side(content.shape[:2], side))
    ratio = small.shape[0] * small.shape[1] / (content.shape[0] * content.shape[1])
    return dataclasses.replace(config, size=None, steps=config.coarse_steps,
                               style_weight=config.style_weight * ratio), small


def offset_progress(callback: optim.Callback, done: int, total: int,
                    start: float) -> optim.Callback:
    """Reports one optimization's steps as steps `done + 1 ...` of a run of
    `total` steps (coarse-to-fine passes, grid cells) that began at `start`."""
    if callback is None:
        return None

    def report(p):
        callback(dataclasses.replace(p, step=done + p.step, steps=total,
                                     elapsed=time.perf_counter() - start))

    return report


def target_images(content: np.ndarray, styles: Sequence[np.ndarray], config: StyleConfig):
    """The images the targets are computed from, after colour preservation.

    Returns (content, styles): unchanged, or with the styles' colours matched
    to the content ('histogram'), or both as grey luminance ('luminance').
    """
    if config.preserve_color == "histogram":
        return content, [color.match_color_histogram(s, content) for s in styles]
    if config.preserve_color == "luminance":
        content_y = color.luminance(content)
        return color.gray_rgb(content_y), [
            color.gray_rgb(color.match_luminance(color.luminance(s), content_y)) for s in styles]
    return content, list(styles)


def finish_image(image: np.ndarray, content: np.ndarray, config: StyleConfig) -> np.ndarray:
    """The optimized image as the user gets it: with the content's chroma put
    back after a luminance-only transfer."""
    if config.preserve_color == "luminance":
        return color.with_content_chroma(color.luminance(image), content)
    return image


def _prepare_masks(masks, style_masks, content, styles, config):
    if masks is None:
        if style_masks is not None:
            raise ConfigError("style masks need output masks too (one --style_mask per --style)")
        return None, None
    masks = list(masks)
    if len(masks) != len(styles):
        raise ConfigError(f"{len(masks)} masks for {len(styles)} style images; give one per style")
    if config.style_blend:
        raise ConfigError("style_blend does not apply with masks: each style has its own region")
    output = [load_mask(m, content.shape[:2], f"mask {i + 1}") for i, m in enumerate(masks)]
    if style_masks is None:
        return output, None
    style_masks = list(style_masks)
    if len(style_masks) != len(styles):
        raise ConfigError(f"{len(style_masks)} style masks for {len(styles)} style images")
    source = [None if m is None else load_mask(m, s.shape[:2], f"style mask {i + 1}")
              for i, (m, s) in enumerate(zip(style_masks, styles))]
    return output, source


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
    _check_side("content", content.shape, layers, "--size")
    return _single_pass(config, weights, callback, layers, content.shape[:2],
                        dict(content=content, styles=[], content_layers=layers, style_layers=[]),
                        dict(content_layers=config.content_layers, style_layers=(),
                             content_weight=config.content_weight or 1.0, style_weight=0.0),
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
    styles = [as_image(s, config.size) for s in _sources(style, "style")]
    blend = config.blend_weights(len(styles))
    layers = [n for n, _ in config.style_layers]
    for s in styles:
        _check_side("style", s.shape, layers, "--size")
    shape = tuple(output_size) if output_size is not None else styles[0].shape[:2]
    if len(shape) != 2 or not all(isinstance(v, (int, np.integer)) and v > 0 for v in shape):
        raise ConfigError(f"output_size must be (height, width) in pixels, got {output_size!r}")
    if shape[0] * shape[1] > MAX_PIXELS:
        raise ConfigError(f"output size {shape[1]}x{shape[0]} is over {MAX_PIXELS // 10**6} Mpx")
    _check_side("output", shape, layers, "--output_size")
    return _single_pass(config, weights, callback, layers, shape,
                        dict(content=None, styles=styles, content_layers=[], style_layers=layers,
                             blend=blend),
                        dict(content_layers=(), style_layers=config.style_layers,
                             content_weight=0.0, style_weight=config.style_weight or 1.0),
                        dict(style=styles[0]))
