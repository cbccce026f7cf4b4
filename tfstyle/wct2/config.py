"""Settings of the photorealistic mode (the `photoreal` command) and of its decoder
training (`train-photoreal`): frozen dataclasses, validated once."""

import dataclasses
from typing import Optional, Tuple

from tfstyle.core.errors import ConfigError
from tfstyle.core.options import check_choice, check_size, check_unit, option
from tfstyle.core.training_settings import TrainSettings

PLACES = ("encoder", "skip", "decoder")
KINDS = ("sum", "cat5")


@dataclasses.dataclass(frozen=True)
class PhotorealConfig:
    """The controls of a WCT² transfer."""

    alpha: float = option(1.0, "Content-style trade-off in [0, 1] at every WCT: alpha * "
                          "transferred + (1 - alpha) * the photo's own features.")
    transfer_at: Tuple[str, ...] = option(
        ("decoder",), "Where WCT applies, of encoder, skip (the wavelet details) and decoder "
        "(the paper's figures: all three; decoder alone looks most like a photograph, "
        "docs/photoreal.md).")
    size: Optional[int] = option(512, "Long side of the content and output in pixels (0 or "
                                 "None: the content's own size).")
    style_size: Optional[int] = option(512, "Long side the style is encoded at (0 or None: its "
                                       "own size).")

    def __post_init__(self):
        check_unit("alpha", self.alpha)
        places = (self.transfer_at,) if isinstance(self.transfer_at, str) else self.transfer_at
        places = tuple(p.strip() for part in places for p in str(part).split(",") if p.strip())
        if not places or any(p not in PLACES for p in places) or len(set(places)) != len(places):
            raise ConfigError(f"`transfer_at` must name one or more of {', '.join(PLACES)} "
                              f"(each once), got {self.transfer_at!r}")
        object.__setattr__(self, "transfer_at", places)
        check_size("size", self.size)
        check_size("style_size", self.style_size)

    def to_dict(self) -> dict:
        return dict(dataclasses.asdict(self), transfer_at=",".join(self.transfer_at))


@dataclasses.dataclass(frozen=True)
class PhotorealTrainConfig(TrainSettings):
    """Settings of decoder training: reconstruction of photos, no style loss
    (`TrainSettings`' fields and defaults, and these)."""

    kind: str = option("cat5", "The decoder's unpooling: cat5 (components and the pre-pool "
                       "map concatenated, the paper's better one) or sum.", choices=KINDS)
    feature_weight: float = option(0.0, "Weight of the feature loss (mean squared relu4_1 "
                                   "difference of input and output) beside the pixels' mean "
                                   "squared error.")
    REALS = TrainSettings.REALS + ("feature_weight",)

    def __post_init__(self):
        super().__post_init__()
        check_choice("kind", self.kind, KINDS)
