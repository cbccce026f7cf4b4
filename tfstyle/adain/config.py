"""Settings of AdaIN decoder training (`--mode=train_adain`): one frozen
dataclass, validated once."""

import dataclasses
import math
import numbers
from typing import Optional, Tuple

from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.errors import ConfigError
from tfstyle.core.training_settings import TrainSettings


@dataclasses.dataclass(frozen=True)
class TrainConfig(TrainSettings):
    """Settings of `tfstyle.adain_train.train` (`--mode=train_adain`). Defaults are the paper's (and pytorch-AdaIN's)."""

    # The paper trains 160,000 iterations, on batches of 8 content and 8 style images.
    steps: int = 160_000
    batch_size: int = 8
    checkpoint_every: int = 500
    image_every: int = 500
    # lambda of eq. 11, the style loss's weight (content's is 1).
    style_weight: float = 10.0

    REALS = TrainSettings.REALS + ("style_weight",)


@dataclasses.dataclass(frozen=True)
class AdainConfig:
    """The controls of an AdaIN transfer (`--mode=adain`, `AdainRecipe`)."""

    # Content-style trade-off in [0, 1] (eq. 14): 0 decodes the content's own
    # features, 1 is full style.
    alpha: float = 1.0
    # Weights of several styles (normalized to sum to 1; empty: equal).
    style_blend: Tuple[float, ...] = ()
    # Keep the content's colours: 'none', 'luminance' or 'histogram'.
    preserve_color: str = "none"
    # Long side of the content and output (None: the content's own size).
    size: Optional[int] = 512
    # Long side the styles are encoded at (None: their own size).
    style_size: Optional[int] = 512

    def __post_init__(self):
        if not (isinstance(self.alpha, numbers.Real) and 0.0 <= self.alpha <= 1.0):
            raise ConfigError(f"alpha must be in [0, 1], got {self.alpha!r}")
        blend = tuple(self.style_blend)
        if not all(isinstance(w, numbers.Real) and math.isfinite(w) and w >= 0 for w in blend) \
                or (blend and sum(blend) <= 0):
            raise ConfigError(f"style_blend must be weights >= 0 with a positive sum, "
                              f"got {self.style_blend!r}")
        object.__setattr__(self, "style_blend", tuple(float(w) for w in blend))
        if self.preserve_color not in PRESERVE_COLOR:
            raise ConfigError(f"preserve_color must be one of {PRESERVE_COLOR}, "
                              f"got {self.preserve_color!r}")
        for name in ("size", "style_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, numbers.Integral) or value < 8):
                raise ConfigError(f"{name} must be an integer >= 8 pixels (or None: the "
                                  f"image's own size), got {value!r}")

    def blend_weights(self, count: int) -> Tuple[float, ...]:
        """`style_blend` for `count` styles, normalized to sum to 1 (empty: equal)."""
        if not self.style_blend:
            return (1.0 / count,) * count
        if len(self.style_blend) != count:
            raise ConfigError(f"{len(self.style_blend)} style weights for {count} styles")
        total = sum(self.style_blend)
        return tuple(w / total for w in self.style_blend)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
