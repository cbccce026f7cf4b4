"""The objective of Gatys et al. 2016: L = alpha L_content + beta L_style
(eq. 7) against fixed `Targets`, for a whole image, an image encoded by
cores, or one tile of a tiled pass."""

import logging
from typing import Dict, Mapping, Optional, Sequence

import numpy as np
import tensorflow as tf

from tfstyle.core import losses
from tfstyle.core.errors import ConfigError
from tfstyle.gatys import tiles
from tfstyle.gatys.config import LayerWeights, StyleConfig
from tfstyle.gatys.targets import StyleRegion, Targets

log = logging.getLogger(__name__)


def beta_for(config: StyleConfig, output_pixels: Optional[int],
             pass_pixels: Optional[int] = None, core_pixels: Optional[int] = None) -> float:
    """eq. 7's beta for one optimization of a run whose output has
    `output_pixels` pixels: the whole output's (`StyleConfig.beta`), or that
    of a coarse pass of `pass_pixels`, or of one tile's core of `core_pixels`
    inside such a pass. Every beta of a run comes from here.

    L_content sums over positions and so grows with the pixel count while E_l
    does not: beta scaled by each part's share of the pixels keeps the balance
    alpha/beta strikes at full size. The shares are applied pass, then core,
    as the run nests them, so a tile's beta is exactly its pass's times its
    share of the pass.
    """
    beta, whole = config.beta(output_pixels), output_pixels
    for part in (pass_pixels, core_pixels):
        if part is not None:
            beta *= part / whole
            whole = part
    return beta


class GatysObjective:
    """L = alpha * L_content + beta * L_style (+ tv_weight * TV) against fixed targets.

    `beta` is eq. 7's for the image this objective sees (`beta_for`): it is
    not a `StyleConfig.style_weight`, which may be set for another size.

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
                 style_layers: LayerWeights, content_weight: float, beta: float,
                 tv_weight: float = 0.0):
        self.extractor = extractor
        self.targets = targets
        self.content_layers = tuple(content_layers) if targets.content else ()
        self.style_layers = tuple(style_layers) if targets.styles else ()
        if not self.content_layers and not self.style_layers:
            raise ConfigError("nothing to optimize: no content and no style target")
        self.content_weight = float(content_weight)
        self.beta = float(beta)
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
                              "use larger masks, a larger `size` or shallower `style_layers`")
        self._keep = None if targets.keep is None else tf.constant(targets.keep)
        self._photo = None if targets.photo is None else tf.constant(targets.photo)
        # For a tile (see `for_tile`): the slices of its core's positions per layer.
        self._spans = None

    @classmethod
    def from_config(cls, extractor, targets: Targets, config: StyleConfig,
                    pixels: Optional[int] = None, *,
                    beta: Optional[float] = None) -> "GatysObjective":
        """The objective `config` describes. eq. 7's beta is `beta` when given
        (a coarse-to-fine pass's, `Pass.beta`), else the whole output's for
        `pixels` pixels (`beta_for`); `pixels` may be left out only with
        ``size_independent=False`` (beta as given)."""
        if beta is None:
            if config.size_independent and pixels is None:
                raise ConfigError("a size_independent style_weight needs the output's pixel "
                                  "count: from_config(..., pixels=height * width)")
            beta = beta_for(config, pixels)
        return cls(extractor, targets, content_layers=config.content_layers,
                   style_layers=config.style_layers, content_weight=config.content_weight,
                   beta=beta, tv_weight=config.tv_weight)

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
        if self.content_layers:
            parts["content"] = tf.add_n([weight * content[name]
                                         for name, weight in self.content_layers])
        if self.style_layers:
            per_term = [losses.layer_style_loss(gram, region.grams[name],
                                                float(gram.shape[-1]), positions)
                        for (gram, positions), (region, name, _, _) in zip(grams, self._style_terms)]
            parts["style"] = losses.style_loss(per_term, [w for _, _, w, _ in self._style_terms])
        total = losses.total_loss(parts.get("content", 0.0), parts.get("style", 0.0),
                                  self.content_weight, self.beta)
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

    def for_tile(self, core: tiles.Tile, content: np.ndarray, image: np.ndarray,
                 beta: float) -> Optional["GatysObjective"]:
        """This objective for the pixels of `core` alone, the rest of the
        [H, W, 3] `image` held fixed, with eq. 7's `beta` for the core
        (`Pass.tile_beta`); None when the photo is kept on all of the core.
        Call it on the core's window (`tiles.window`).

        The window's halo is fixed context (a keep region holding the current
        pixels) and only the core's positions count. Every tile matches the
        global style targets itself, so all tiles share one style (matching
        only the whole image's sum lets tiles drift apart, each making up
        for the others); its content term is its own piece of the content,
        so `beta` is scaled by the core's share of the pixels, as for coarse
        passes, for alpha/beta to keep its balance.
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
        try:
            tile = GatysObjective(
                self.extractor, Targets(content_targets, regions, keep[None], photo[None]),
                content_layers=self.content_layers, style_layers=self.style_layers,
                content_weight=self.content_weight, beta=beta, tv_weight=self.tv_weight)
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
