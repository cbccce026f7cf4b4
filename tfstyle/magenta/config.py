"""The controls of Magenta's two fast networks, validated once: the arbitrary
style network (the `arbitrary` command) and the 26-style network (`multistyle`)."""

import dataclasses
import re
from typing import Optional, Tuple

from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.errors import ConfigError
from tfstyle.core.options import (FeedForwardControls, check_choice, check_size, check_unit,
                                  default_of, option, settings_of)

NUM_STYLES = 26
# `builtin_style` that asks for every style on one contact sheet.
ALL = "all"


@dataclasses.dataclass(frozen=True)
class ArbitraryConfig(FeedForwardControls):
    """The controls of the arbitrary-style network (Ghiasi et al. 2017)."""

    style_size: Optional[int] = default_of(FeedForwardControls, "style_size", 256)
    interpolation_weight: float = option(
        1.0, "Mix of the style's vector with the photo's own (Magenta's interpolation weight): "
        "1 is the style's, 0 keeps the photo's own style.")

    def __post_init__(self):
        check_unit("interpolation_weight", self.interpolation_weight)
        super().__post_init__()


@dataclasses.dataclass(frozen=True)
class MultistyleConfig:
    """The controls of the 26-style network (Dumoulin et al. 2017)."""

    builtin_style: str = option(
        "0", "Which of the 26 styles: a number 0-25, a blend such as 3:0.5,12:0.5 (weights "
        "normalized to sum to 1), or all (a contact sheet of every style on one photo).")
    strength: float = option(1.0, "Share of the stylized image in the output, the rest the "
                             "photo's pixels (1: stylized only).")
    preserve_color: str = option("none", "Keep the content's colours: luminance or "
                                 "histogram.", choices=PRESERVE_COLOR)
    size: Optional[int] = option(512, "Long side of the content and output in pixels (0 or "
                                 "None: the content's own size).")

    def __post_init__(self):
        object.__setattr__(self, "builtin_style", str(self.builtin_style).strip())
        if self.builtin_style != ALL:
            self.style_weights()  # validates the text
        check_unit("strength", self.strength)
        check_choice("preserve_color", self.preserve_color, PRESERVE_COLOR)
        check_size("size", self.size)

    @property
    def contact_sheet(self) -> bool:
        return self.builtin_style == ALL

    def style_weights(self) -> Tuple[float, ...]:
        """The 26 weights of `builtin_style`, summing to 1."""
        return parse_builtin_style(self.builtin_style)

    def to_dict(self) -> dict:
        return settings_of(self)


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
