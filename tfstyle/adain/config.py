"""Settings of AdaIN decoder training (`--mode=train_adain`): one frozen
dataclass, validated once."""

import dataclasses
import math
import numbers
from typing import Optional, Tuple

from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings of `tfstyle.adain_train.train` (`--mode=train_adain`). Defaults are the paper's (and pytorch-AdaIN's)."""

    # Training iterations in all (a resumed run continues up to this count);
    # the paper trains 160,000.
    steps: int = 160_000
    # Content images and style images per batch.
    batch_size: int = 8
    # Adam's initial step size.
    learning_rate: float = 1e-4
    # Inverse-time decay of the step size: lr / (1 + decay * step).
    lr_decay: float = 5e-5
    # lambda of eq. 11, the style loss's weight (content's is 1).
    style_weight: float = 10.0
    # Images are resized so their shorter side is this many pixels ...
    load_size: int = 512
    # ... and random crops of crop_size x crop_size are taken from them.
    crop_size: int = 256
    # Save a checkpoint every this many steps (and at the end or on Ctrl-C).
    checkpoint_every: int = 500
    # TensorBoard: scalars every this many steps, a preview image every
    # image_every (0: only at the end).
    log_every: int = 10
    image_every: int = 500
    # Seed of the decoder's initialization and of the data order.
    seed: int = 0

    # Fields a resumed run may change; the others must match the checkpoint's.
    RESUMABLE = ("steps", "checkpoint_every", "log_every", "image_every")

    def __post_init__(self):
        from tfstyle.core.training_settings import check_settings

        check_settings(self, ("learning_rate", "lr_decay", "style_weight"))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


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
