"""The controls of Magenta's two fast networks, validated once: the arbitrary
style network (`--mode=arbitrary`) and the 26-style network (`--mode=multistyle`)."""

import dataclasses
import numbers
import re
from typing import Optional, Tuple

from tfstyle.adain.config import AdainConfig
from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.errors import ConfigError

NUM_STYLES = 26
# `builtin_style` that asks for every style on one contact sheet.
ALL = "all"


@dataclasses.dataclass(frozen=True)
class ArbitraryConfig(AdainConfig):
    """AdaIN's controls, with Magenta's meaning and defaults: `alpha` mixes
    the style vector with the content photo's own (Magenta's "interpolation
    weight": 0 keeps the photo's own style); `style_blend` mixes the style
    vectors of several styles; styles are encoded at 256 px, the predictor's
    training size."""

    style_size: Optional[int] = 256


@dataclasses.dataclass(frozen=True)
class MultistyleConfig:
    """The controls of the 26-style network (`--mode=multistyle`)."""

    # Which of the 26 styles: "7", a blend "3:0.5,12:0.5" (weights normalized
    # to sum to 1), or "all" (a contact sheet of every style on one photo).
    builtin_style: str = "0"
    # Mix of the stylized image and the photo (1: stylized only).
    alpha: float = 1.0
    # Keep the content's colours: 'none', 'luminance' or 'histogram'.
    preserve_color: str = "none"
    # Long side of the content and output (None: the content's own size).
    size: Optional[int] = 512

    def __post_init__(self):
        object.__setattr__(self, "builtin_style", str(self.builtin_style).strip())
        if self.builtin_style != ALL:
            self.style_weights()  # validates the text
        if not (isinstance(self.alpha, numbers.Real) and 0.0 <= self.alpha <= 1.0):
            raise ConfigError(f"alpha must be in [0, 1], got {self.alpha!r}")
        if self.preserve_color not in PRESERVE_COLOR:
            raise ConfigError(f"preserve_color must be one of {PRESERVE_COLOR}, "
                              f"got {self.preserve_color!r}")
        if self.size is not None and (not isinstance(self.size, numbers.Integral)
                                      or self.size < 8):
            raise ConfigError(f"size must be an integer >= 8 pixels (or None: the image's "
                              f"own size), got {self.size!r}")

    @property
    def contact_sheet(self) -> bool:
        return self.builtin_style == ALL

    def style_weights(self) -> Tuple[float, ...]:
        """The 26 weights of `builtin_style`, summing to 1."""
        return parse_builtin_style(self.builtin_style)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def parse_builtin_style(text: str) -> Tuple[float, ...]:
    """'7' or '3:0.5,12:0.5' -> 26 weights summing to 1."""
    weights = [0.0] * NUM_STYLES
    usage = (f"`builtin_style` is a style number 0-{NUM_STYLES - 1}, a blend such as "
             f"3:0.5,12:0.5, or {ALL}; got {text!r}")
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    if not parts:
        raise ConfigError(usage)
    for part in parts:
        match = re.fullmatch(r"(\d+)(?::([0-9.eE+-]+))?", part)
        if not match:
            raise ConfigError(usage)
        index = int(match.group(1))
        if not 0 <= index < NUM_STYLES:
            raise ConfigError(f"`builtin_style` {index} is out of range: the network has styles "
                              f"0 to {NUM_STYLES - 1}")
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            raise ConfigError(usage) from None
        if not weight >= 0:
            raise ConfigError(f"`builtin_style` weights must be >= 0, got {part!r}")
        weights[index] += weight
    total = sum(weights)
    if total <= 0:
        raise ConfigError(f"`builtin_style` weights must have a positive sum, got {text!r}")
    return tuple(w / total for w in weights)
