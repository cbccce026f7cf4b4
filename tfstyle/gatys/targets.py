"""What the loss compares against: the content's responses and the styles'
Gram matrices (eq. 3), encoded once per run (or grid) into `Targets`."""

import dataclasses
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from tfstyle.core import losses
from tfstyle.core.errors import ConfigError
from tfstyle.core.vgg import pools_before
from tfstyle.gatys import tiles


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
                                  "use a larger region or shallower `style_layers`")
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
