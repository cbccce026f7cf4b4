"""AdaIN as a recipe (`tfstyle.core.recipe`): one forward pass per image."""

import dataclasses
from typing import Callable, Tuple

from tfstyle.adain.config import AdainConfig
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image
from tfstyle.core.options import option
from tfstyle.core.recipe import (MASKS_ONE_IMAGE, STYLE_HELP, STYLE_MASK_HELP, Recipe,
                                 check_files, default_styles, files_of, images, paths,
                                 set_field, style_record)

NEEDS_MODEL = ("adain needs a `model`: FILE.weights.h5 (from train-adain), or the official "
               "release's vgg_normalised.pth,decoder.pth")


@dataclasses.dataclass(frozen=True)
class AdainRecipe(Recipe):
    """AdaIN (Huang & Belongie 2017): one forward pass. `model` (required:
    no trained weights can be shipped) is an `adain.AdaIN`, a `.weights.h5`
    from `tfstyle train-adain`, or the official (vgg_normalised.pth,
    decoder.pth) pair. `style_mask`: one per style (spatial control)."""

    command = "adain"
    image_fields = ("style", "style_mask")
    single_image = {"style_mask": MASKS_ONE_IMAGE}

    style: Tuple[str, ...] = option((), STYLE_HELP, repeat=True)
    style_mask: Tuple[str, ...] = option((), STYLE_MASK_HELP, repeat=True)
    model: Tuple[str, ...] = option(
        (), "Required: a .weights.h5 from train-adain, or the official release's "
        "vgg_normalised.pth,decoder.pth pair.")
    config: AdainConfig = dataclasses.field(default_factory=AdainConfig,
                                            metadata={"internal": True})

    def __post_init__(self):
        set_field(self, "style", images(self.style))
        set_field(self, "style_mask", images(self.style_mask))
        set_field(self, "model", paths(self.model))
        if len(self.model) > 2:
            raise ConfigError("`model` is one file, or two (the official release's "
                              "vgg_normalised.pth,decoder.pth pair)")
        blend = self.config.style_blend
        if blend and len(blend) != max(len(self.style), 1):
            raise ConfigError(f"`style_blend` has {len(blend)} weights for "
                              f"{max(len(self.style), 1)} styles")

    def input_files(self):
        return files_of((*self.style, *self.style_mask, *self.model))

    def check(self, content=None):
        if not self.model:
            raise ConfigError(NEEDS_MODEL)
        check_files(self.model)
        super().check(content)

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        from tfstyle.adain.model import load_model

        if not self.model:
            raise ConfigError(NEEDS_MODEL)
        c = self.config
        styles = default_styles(self.style, read)
        model = load_model(self.model[0] if len(self.model) == 1 and not isinstance(
            self.model[0], str) else tuple(fetch(p) for p in self.model))
        masks = list(self.style_mask) or None
        if c.preserve_color == "none":  # the same styles for every image: encode them once
            styles = [model.style_stats(s, c.style_size) for s in styles]
        return lambda content: model.stylize(
            content, styles, alpha=c.alpha, style_weights=c.style_blend or None, masks=masks,
            preserve_color=c.preserve_color, size=c.size, style_size=c.style_size)

    def weights_sha256(self) -> str:
        from tfstyle.core.weights import file_digest

        files = files_of(self.model)
        return file_digest(files[-1]) if files else ""

    def settings(self) -> dict:
        settings = {"command": self.command,
                    "style": style_record(self.style),
                    "model": [m if isinstance(m, str) else "loaded" for m in self.model],
                    **self.config.to_dict()}
        if self.style_mask:
            settings["style_mask"] = list(self.style_mask)
        return settings
