"""A folder run of the infrared command: the fit is made (or read) once and
travels inside the recipe as bytes, so Beam workers need no shared file."""

import dataclasses
from typing import Callable, Optional, Tuple

from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image
from tfstyle.core.recipe import Recipe
from tfstyle.thermal.config import InfraredConfig


@dataclasses.dataclass(frozen=True)
class InfraredRecipe(Recipe):
    # The fit's .npz bytes (`Fit.to_bytes`); empty: the style-only route.
    fit: bytes = b""
    # Thermal images of the style-only route (paths).
    styles: Tuple[str, ...] = ()
    config: InfraredConfig = InfraredConfig()
    # VGG19 weights file (None: `find_vgg19_weights`' search); the fit's own.
    vgg_weights: Optional[str] = None

    def __post_init__(self):
        object.__setattr__(self, "styles", tuple(str(s) for s in self.styles))
        if bool(self.fit) == bool(self.styles):
            raise ConfigError("infrared needs a fit from example pairs, or thermal style "
                              "images, not both")

    def renderer(self, read: Callable = load_image, fetch: Callable = str) -> Callable:
        from tfstyle.core.color import luminance
        from tfstyle.core.image import as_image
        from tfstyle.core.weights import find_vgg19_weights
        from tfstyle.thermal import transfer
        from tfstyle.thermal.fit import extractor, load_fit

        weights = find_vgg19_weights(self.vgg_weights and fetch(self.vgg_weights))
        net = extractor(weights)
        if not self.fit:
            thermals = [luminance(as_image(read(s), self.config.analysis_size))
                        for s in self.styles]
            texture = transfer.Texture.of_styles(thermals, net, weights)
            return lambda content: transfer.as_rgb(transfer.style_only(
                as_image(content, self.config.size), net, texture, self.config.analysis_size))
        fit = load_fit(self.fit)
        transfer.check_weights(fit, weights)
        model, texture = transfer.prepare(fit, weights, self.config)
        return lambda content: transfer.as_rgb(transfer.render(
            fit, net, as_image(content, self.config.size), self.config, texture, model))

    def settings(self) -> dict:
        import hashlib

        route = {"route": "examples", "fit_sha256": hashlib.sha256(self.fit).hexdigest()} \
            if self.fit else {"route": "style-only", "style": list(self.styles)}
        if self.fit:
            from tfstyle.thermal.fit import route_of

            route["fit_route"] = route_of(self.fit)
        return {"method": "infrared", **route, **self.config.to_dict()}
