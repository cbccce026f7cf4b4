"""A folder run with WCT²: one forward pass per photo, the style encoded once."""

import dataclasses
from typing import Callable, Optional, Tuple

from tfstyle.core.recipe import EMBEDDED_STYLE, Recipe, default_styles
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image
from tfstyle.wct2.config import PhotorealConfig


@dataclasses.dataclass(frozen=True)
class PhotorealRecipe(Recipe):
    # Style image path (one); empty: tfstyle's embedded painting.
    styles: Tuple[str, ...] = ()
    # The controls of `Photoreal.stylize`.
    config: PhotorealConfig = PhotorealConfig()
    # The decoder: None (the shipped one), a trained .npz, or the official
    # (wave_encoder.pth, wave_decoder.pth) pair.
    model: Tuple[str, ...] = ()
    # A VGG19 weights file for the encoder (None: `find_vgg19_weights`' search).
    vgg_weights: Optional[str] = None

    def __post_init__(self):
        object.__setattr__(self, "styles", tuple(str(s) for s in self.styles))
        object.__setattr__(self, "model", tuple(str(p) for p in self.model))
        if len(self.styles) > 1:
            raise ConfigError("photoreal takes one style image")
        if len(self.model) > 2:
            raise ConfigError("model is a decoder .npz, or the official (encoder, decoder) pair")

    def renderer(self, read: Callable = load_image, fetch: Callable = str) -> Callable:
        from tfstyle.core.weights import find_vgg19_weights
        from tfstyle.wct2.model import load_model

        style = default_styles(self.styles, read)[0]
        files = tuple(fetch(p) for p in self.model)
        weights = None
        if len(files) != 2:
            weights = find_vgg19_weights(self.vgg_weights and fetch(self.vgg_weights))
        model = load_model(files[0] if len(files) == 1 else (files or None), weights=weights)
        # The style's statistics once, not its features: one set of
        # eigendecompositions for every photo.
        encoded = model.style_statistics(model.encode_style(style, self.config),
                                         self.config.transfer_at)
        return lambda content: model.stylize(content, encoded, alpha=self.config.alpha,
                                             transfer_at=self.config.transfer_at,
                                             size=self.config.size)

    def settings(self) -> dict:
        return {"method": "photoreal", "style": list(self.styles) or [EMBEDDED_STYLE],
                "model": list(self.model) or ["shipped"], **self.config.to_dict()}
