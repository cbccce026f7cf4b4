"""Settings of AdaIN (Huang & Belongie 2017): the transfer's controls
(`tfstyle.adain`, the `adain` command) and decoder training (`train-adain`),
frozen dataclasses validated once."""

import dataclasses
from typing import Optional, Tuple

from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.options import (blend_weights, check_blend, check_choice, check_size,
                                  check_unit, option, settings_of)
from tfstyle.core.training_settings import TrainSettings


@dataclasses.dataclass(frozen=True)
class TrainConfig(TrainSettings):
    """Settings of AdaIN decoder training. Defaults are the paper's (and
    pytorch-AdaIN's): 160,000 iterations on batches of 8 content and 8 style
    images."""

    steps: int = option(160_000, "Training iterations in all (a resumed run continues up to "
                        "this count).")
    batch_size: int = option(8, "Content images (and as many style images) per batch.")
    checkpoint_every: int = option(500, "Save a checkpoint every this many steps (and at the "
                                   "end or on Ctrl-C).")
    image_every: int = option(500, "With logdir: a preview image every this many steps (0: "
                              "only at the end).")
    style_lambda: float = option(10.0, "lambda of eq. 11, the style loss's weight in training "
                                 "(the content loss's is 1).")

    REALS = TrainSettings.REALS + ("style_lambda",)


@dataclasses.dataclass(frozen=True)
class AdainConfig:
    """The controls of an AdaIN transfer."""

    alpha: float = option(1.0, "Content-style trade-off in [0, 1] (eq. 14): the features "
                          "decoded are alpha * AdaIN(content, style) + (1 - alpha) * content; "
                          "0 decodes the photo's own features.")
    style_blend: Tuple[float, ...] = option(
        (), "Relative weights of several styles, e.g. 0.7,0.3 (default: equal).")
    preserve_color: str = option("none", "Keep the content's colours: luminance or histogram "
                                 "(matched before encoding).", choices=PRESERVE_COLOR)
    size: Optional[int] = option(512, "Long side of the content and output in pixels (0 or "
                                 "None: the content's own size).")
    style_size: Optional[int] = option(512, "Long side the styles are encoded at (0 or None: "
                                       "their own size).")

    def __post_init__(self):
        check_unit("alpha", self.alpha)
        object.__setattr__(self, "style_blend", check_blend("style_blend", self.style_blend))
        check_choice("preserve_color", self.preserve_color, PRESERVE_COLOR)
        check_size("size", self.size)
        check_size("style_size", self.style_size)

    def blend_weights(self, count: int) -> Tuple[float, ...]:
        """`style_blend` for `count` styles, normalized to sum to 1 (empty: equal)."""
        return blend_weights(self.style_blend, count)

    def to_dict(self) -> dict:
        return settings_of(self)
