"""A folder run with AdaIN: one forward pass per image (seconds each)."""

import dataclasses
from typing import Callable, Tuple

from tfstyle.adain.config import AdainConfig
from tfstyle.core.recipe import EMBEDDED_STYLE, Recipe, default_styles
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image


@dataclasses.dataclass(frozen=True)
class AdainRecipe(Recipe):
    # A .weights.h5 path, or the release's (vgg_normalised.pth, decoder.pth).
    adain_model: Tuple[str, ...]
    # Style image paths; empty: tfstyle's embedded painting.
    styles: Tuple[str, ...] = ()
    # The controls of `AdaIN.stylize`.
    config: AdainConfig = AdainConfig()

    def __post_init__(self):
        object.__setattr__(self, "styles", tuple(str(s) for s in self.styles))
        object.__setattr__(self, "adain_model", tuple(str(p) for p in self.adain_model))
        if len(self.adain_model) not in (1, 2):
            raise ConfigError("`model` must be a .weights.h5 path or the "
                              "(vgg_normalised.pth, decoder.pth) pair")
        blend = self.config.style_blend
        if blend and len(blend) != max(len(self.styles), 1):
            raise ConfigError(f"{len(blend)} style weights for {max(len(self.styles), 1)} styles")

    def renderer(self, read: Callable = load_image, fetch: Callable = str) -> Callable:
        from tfstyle.adain.model import load_model

        c = self.config
        styles = default_styles(self.styles, read)
        model = load_model(tuple(fetch(p) for p in self.adain_model))
        if c.preserve_color == "none":  # the same styles for every image: encode them once
            styles = [model.style_stats(s, c.style_size) for s in styles]
        return lambda content: model.stylize(
            content, styles, alpha=c.alpha, style_weights=c.style_blend or None,
            preserve_color=c.preserve_color, size=c.size, style_size=c.style_size)

    def settings(self) -> dict:
        c = self.config
        return {"method": "adain", "style": list(self.styles) or [EMBEDDED_STYLE],
                "model": list(self.adain_model), "alpha": c.alpha,
                "style_blend": list(c.style_blend), "preserve_color": c.preserve_color,
                "size": c.size, "style_size": c.style_size}
