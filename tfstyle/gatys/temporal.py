"""Gatys on clips (Ruder, Dosovitskiy & Brox 2016, "Artistic style transfer
for videos"): the first frame is the full method; every later frame starts
from the previous output warped by the optical flow of the input, and its
objective gains their long-term temporal term, weighted per pixel by the
reliability masks (occlusions, motion boundaries and pixels leaving the
frame, `core.flow.reliable`):

    L = alpha L_content + beta L_style + lambda (1/D) sum_j sum c_j (x - w_j)^2

D the number of pixel values, w_j the output j frames back (j in 1, 2, 4)
warped onto this frame, c_j its mask less the nearer frames' (each pixel is
held to the nearest earlier frame that saw it; `clips.stylize.long_term`).
With j = 1 alone it is their short-term term. lambda is
`temporal_weight` / (1 - temporal_weight) times TEMPORAL_SCALE, in units of
the content term (see `TemporalObjective`). A warm start needs fewer
iterations than a start from the photo: FOLLOW_FRACTION of `steps`, at
most FOLLOW_MOST.
"""

import dataclasses
from typing import Sequence

import numpy as np
import tensorflow as tf

from tfstyle.core.image import as_image
from tfstyle.core.recipe import FrameRenderer
from tfstyle.gatys.config import StyleConfig

# lambda for temporal_weight 0.5, per unit of the content term's size (its
# layer's positions x channels). 1e3 and 1e2 both cut the warping error more
# than tenfold on the benchmark's pan; 1e2 keeps the style closer (docs/video.md).
TEMPORAL_SCALE = 1e2
# The later frames' iterations: half of `steps`, at most FOLLOW_MOST (a warm
# start needs few; 60 L-BFGS steps are about 25 s at 256 px on 2 cores).
FOLLOW_FRACTION = 0.5
FOLLOW_MOST = 60


class TemporalObjective:
    """A frame's `GatysObjective` plus the masked temporal term. The term is
    scaled by the content layer's size so that its weight means the same at
    any frame size."""

    def __init__(self, base, warped, mask, weight: float, content_values: int):
        """`warped` [H, W, 3] and `mask` [H, W], or lists of them (one per
        earlier frame)."""
        self.base, self.targets = base, base.targets
        warped = np.stack(warped) if isinstance(warped, (list, tuple)) else np.asarray(warped)[None]
        mask = np.stack(mask) if isinstance(mask, (list, tuple)) else np.asarray(mask)[None]
        self._warped = tf.constant(warped.astype(np.float32))
        self._mask = tf.constant(mask.astype(np.float32)[..., None])
        strength = TEMPORAL_SCALE * weight / (1.0 - weight)
        self._scale = strength * base.content_weight * content_values / float(warped[0].size)

    def render(self, x):
        return self.base.render(x)

    def render_numpy(self, x: np.ndarray) -> np.ndarray:
        return self.base.render_numpy(x)

    def __call__(self, x):
        parts = dict(self.base(x))
        parts["temporal"] = self._scale * tf.reduce_sum(self._mask * tf.square(x - self._warped))
        parts["total"] = parts["total"] + parts["temporal"]
        return parts


class ClipRenderer(FrameRenderer):
    """A Gatys recipe's renderer for clips: `render(frame)` is the whole
    method (the first frame, or every frame without temporal consistency);
    `render.follow(frame, warped, masks, weight)` a later frame (lists,
    nearest earlier frame first, as `clips.stylize.long_term` gives them)."""

    def __init__(self, styles: Sequence[np.ndarray], config: StyleConfig, weights):
        from tfstyle.gatys.passes import network

        self.styles, self.config, self.weights = list(styles), config, weights
        self.extractor = network(weights, config, config.layers)

    def __call__(self, content) -> np.ndarray:
        from tfstyle.gatys.transfer import stylize

        return stylize(content, self.styles, self.config, weights=self.weights).image

    def follow(self, frame, warped, masks, weight: float) -> np.ndarray:
        from tfstyle.gatys.inputs import finish_image, target_images
        from tfstyle.gatys.objective import GatysObjective
        from tfstyle.gatys.passes import optimize, plan_passes
        from tfstyle.gatys.targets import compute_targets

        start = warped[0] if isinstance(warped, (list, tuple)) else warped
        content = as_image(frame, self.config.size)
        one = dataclasses.replace(self.config, scales="none")
        p = plan_passes(one, content, [as_image(s) for s in self.styles], None, None)[-1]
        if p.grid or content.shape[:2] != start.shape[:2]:  # tiled: each frame on its own
            return self(frame)
        target_content, target_styles = target_images(p.content, p.styles, p.config)
        targets = compute_targets(
            self.extractor, target_content, target_styles,
            content_layers=[n for n, _ in p.config.content_layers],
            style_layers=[n for n, _ in p.config.style_layers],
            blend=p.config.blend_weights(len(p.styles)), masks=None, style_masks=None,
            core=p.core)
        base = GatysObjective.from_config(self.extractor, targets, p.config, beta=p.beta)
        layer = targets.content[p.config.content_layers[0][0]]
        objective = TemporalObjective(base, warped, masks, weight, int(np.prod(layer.shape)))
        steps = max(1, min(FOLLOW_MOST, round(self.config.steps * FOLLOW_FRACTION)))
        out = optimize(objective, start.astype(np.float32), p.config, None, steps)
        return finish_image(out.image, content, self.config)
