"""Settings of the photorealistic mode (`--mode=photoreal`) and of its decoder
training (`--mode=train_photoreal`): frozen dataclasses, validated once."""

import dataclasses
import numbers
from typing import Optional, Tuple

from tfstyle.core.errors import ConfigError
from tfstyle.core.training_settings import TrainSettings

PLACES = ("encoder", "skip", "decoder")
KINDS = ("sum", "cat5")


@dataclasses.dataclass(frozen=True)
class PhotorealConfig:
    """The controls of a WCT² transfer."""

    # At every WCT: alpha * transferred + (1 - alpha) * content features.
    alpha: float = 1.0
    # Where WCT applies: the encoder's levels, the skipped wavelet details,
    # the decoder's levels (the paper's figures: all three).
    transfer_at: Tuple[str, ...] = PLACES
    # Long side of the content and output (None: the content's own size).
    size: Optional[int] = 512
    # Long side the style is encoded at (None: its own size).
    style_size: Optional[int] = 512

    def __post_init__(self):
        if not (isinstance(self.alpha, numbers.Real) and 0.0 <= self.alpha <= 1.0):
            raise ConfigError(f"alpha must be in [0, 1], got {self.alpha!r}")
        places = (self.transfer_at,) if isinstance(self.transfer_at, str) else self.transfer_at
        places = tuple(p.strip() for part in places for p in str(part).split(",") if p.strip())
        if not places or any(p not in PLACES for p in places) or len(set(places)) != len(places):
            raise ConfigError(f"transfer_at must name one or more of {', '.join(PLACES)} "
                              f"(each once), got {self.transfer_at!r}")
        object.__setattr__(self, "transfer_at", places)
        for name in ("size", "style_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, numbers.Integral) or value < 8):
                raise ConfigError(f"{name} must be an integer >= 8 pixels (or None: the "
                                  f"image's own size), got {value!r}")

    def to_dict(self) -> dict:
        return dict(dataclasses.asdict(self), transfer_at=",".join(self.transfer_at))


@dataclasses.dataclass(frozen=True)
class PhotorealTrainConfig(TrainSettings):
    """Settings of decoder training: reconstruction of photos, no style loss
    (`TrainSettings`' fields and defaults, and these)."""

    # 'cat5' (components and the pre-pool map concatenated, the paper's
    # better one) or 'sum' (components added back together).
    kind: str = "cat5"
    # Weight of the feature loss (mean squared relu4_1 difference of input and
    # output, through the encoder) beside the pixels' mean squared error.
    feature_weight: float = 0.0

    REALS = TrainSettings.REALS + ("feature_weight",)

    def __post_init__(self):
        super().__post_init__()
        if self.kind not in KINDS:
            raise ConfigError(f"kind must be one of {KINDS}, got {self.kind!r}")
