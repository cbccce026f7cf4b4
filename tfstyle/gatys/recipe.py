"""A folder run with Gatys' method: an optimization per image (minutes each)."""

import dataclasses
from typing import Callable, Optional, Tuple

from tfstyle.core.recipe import EMBEDDED_STYLE, Recipe, default_styles
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image
from tfstyle.gatys.config import StyleConfig


@dataclasses.dataclass(frozen=True)
class GatysRecipe(Recipe):
    # Style image paths; empty: tfstyle's embedded painting.
    styles: Tuple[str, ...] = ()
    # Every setting of the optimization (size, steps, weights, ...).
    config: StyleConfig = StyleConfig()
    # A VGG19 weights file (None: `find_vgg19_weights`' search).
    vgg_weights: Optional[str] = None

    def __post_init__(self):
        object.__setattr__(self, "styles", tuple(str(s) for s in self.styles))
        if self.config.style_blend and len(self.config.style_blend) != max(len(self.styles), 1):
            raise ConfigError(f"{len(self.config.style_blend)} style weights for "
                              f"{max(len(self.styles), 1)} styles")

    def renderer(self, read: Callable = load_image, fetch: Callable = str) -> Callable:
        from tfstyle.core.weights import find_vgg19_weights
        from tfstyle.gatys.temporal import ClipRenderer

        styles = default_styles(self.styles, read)
        weights = find_vgg19_weights(self.vgg_weights and fetch(self.vgg_weights))
        # One image per call; on a clip, later frames go through `follow`.
        return ClipRenderer(styles, self.config, weights)

    def settings(self) -> dict:
        return {"method": "gatys", "style": list(self.styles) or [EMBEDDED_STYLE],
                **self.config.to_dict()}
