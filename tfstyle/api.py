"""tfstyle's methods, one call shape for all, each made from its recipe:

    tfstyle.<method>(content, style_or_styles, config=None, *, callback=None,
                     **inputs_and_settings) -> Result

`config` is the method's config (None: its defaults). Keywords are the
method's own inputs, named as its command-line flags (`style_mask=`,
`content_labels=`, `seeds=`, `model=` for the method's own network,
`vgg_weights=` for VGG19; `tfstyle.<method>.inputs` lists them), or its
config's fields (``tfstyle.transfer(photo, painting, steps=100)``), applied
on top of `config`. `callback` receives a `tfstyle.core.progress.Progress`
after every optimizer step (Gatys), or once when a feed-forward method's
image is done. The `Result` holds `.image` (float32 [H, W, 3] in [0, 1]),
`.settings` (the record the command line writes beside its outputs, less
the run's files), `.losses` where there are any, and `.seconds`.

Every call is the recipe's: `configure -> Recipe(...) -> check ->
renderer()(content) -> Result` (`tfstyle.core.recipe.Recipe.run`), the
path the command line, folders, clips and Beam take too. The experiments
of Gatys et al. have no style (`reconstruct`) or no content (`texture`),
and take what they have.
"""

import dataclasses
import inspect
from typing import Callable, Dict, Optional, Sequence

from tfstyle import methods
from tfstyle.core import runtime
from tfstyle.core.errors import ConfigError
from tfstyle.core.recipe import Recipe, renamed

# Keywords of earlier versions, refused with their new names (CHANGELOG).
RENAMED = {
    "masks": "style_mask", "style_masks": "style_source_mask",
    "style_layer_sets": "grid_style_layers", "ratios": "grid_ratios",
    "content_layer_sets": "grid_content_layers",
}
# `model=` named the VGG19 of the methods that have no network of their own.
_VGG_ONLY = ("transfer", "texture", "reconstruct", "grid", "infrared")

_MADE: Dict[str, Callable] = {}


def recipe_of(name: str, args: Sequence, config, kwargs: dict) -> Recipe:
    """The recipe of the method `name` from an API call's arguments."""
    command = methods.BY_NAME.get(name)
    if command is None or not command.method:
        raise ConfigError(f"`method` must be one of {', '.join(methods.method_names())}, got "
                          f"{name!r}")
    cls = command.load("recipe")
    renames = dict(RENAMED, **({"model": "vgg_weights"} if name in _VGG_ONLY else {}))
    renamed(kwargs, {k: v for k, v in renames.items() if k not in _field_names(cls)})
    names = {f.name for f in cls.inputs()}
    inputs = {k: v for k, v in kwargs.items() if k in names}
    overrides = {k: v for k, v in kwargs.items() if k not in names}
    for field, value in zip(cls.positional, args):
        if value is None:
            continue
        if field in names:
            inputs[field] = value
        else:  # a config field given first (multistyle's builtin_style)
            overrides[field] = str(value)
    return cls.build(config, overrides, **inputs)


def _field_names(cls):
    return {f.name for f in dataclasses.fields(cls)}


def method(name: str) -> Callable:
    """`tfstyle.<name>`: the method's API function, made from its recipe."""
    if name in _MADE:
        return _MADE[name]
    command = methods.BY_NAME[name]
    cls = command.load("recipe")
    first = ["content"] if cls.takes_content else []
    positional = [*first, *cls.positional]

    def call(*args, config=None, callback=None, **kwargs):
        if len(args) > len(positional) + 1:
            raise TypeError(f"{name}() takes at most {len(positional) + 1} positional "
                            f"arguments ({', '.join(positional)}, config)")
        if len(args) == len(positional) + 1:
            if config is not None:
                raise TypeError(f"{name}() got `config` twice")
            args, config = args[:-1], args[-1]
        values = dict(zip(positional, args))
        for key in positional:
            if key in kwargs:
                values[key] = kwargs.pop(key)
        if cls.takes_content and values.get("content") is None:
            raise TypeError(f"{name}() needs `content`")
        runtime.import_tensorflow()
        recipe = recipe_of(name, [values.get(k) for k in cls.positional], config, kwargs)
        return recipe.run(values.get("content"), callback)

    params = [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                default=inspect.Parameter.empty if p == "content" else None)
              for p in positional]
    params.append(inspect.Parameter("config", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    default=None))
    params.append(inspect.Parameter("callback", inspect.Parameter.KEYWORD_ONLY, default=None))
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    params += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=defaults[f.name])
               for f in cls.inputs() if f.name not in positional]
    params.append(inspect.Parameter("settings", inspect.Parameter.VAR_KEYWORD))
    call.__signature__ = inspect.Signature(params)
    call.__name__ = call.__qualname__ = name.replace("-", "_")
    call.__doc__ = (f"{inspect.cleandoc(cls.__doc__ or command.summary)}\n\n"
                    f"`config`: a `{cls.config_class().__name__}`; its fields are keywords too. "
                    f"Inputs: {', '.join(f.name for f in cls.inputs()) or 'none'}. Returns a "
                    "`Result` (tfstyle/api.py).")
    call.__module__ = __name__
    call.inputs = cls.inputs()
    _MADE[name] = call
    return call


def __getattr__(name: str):
    if name in methods.BY_NAME and methods.BY_NAME[name].method:
        return method(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *methods.method_names()])


__all__ = [*methods.method_names(), "video", "method"]


def default_temporal_weight(recipe: Recipe) -> float:
    """The `temporal_weight` the recipe's command defaults to (Gatys' loss
    0.5, the one-pass methods' blend 0.6)."""
    from tfstyle.clips.stylize import TEMPORAL_WEIGHT

    command = methods.BY_NAME.get(recipe.command)
    weight = command.defaults.get("temporal_weight") if command else None
    return TEMPORAL_WEIGHT if weight is None else weight


def video(clip, output, method="arbitrary", style: Sequence = (), config=None, *,
          temporal_weight: Optional[float] = None, overwrite: bool = False,
          channels: int = 3, callback=None, **kwargs):
    """A clip (.mp4, .webm, .mov, .gif, or a folder of frames) through a
    method into `output` (a clip, .gif, or a folder of frames ending in /),
    streamed, temporally consistent (`temporal_weight`; 0: each frame on its
    own; None: the command's default, 0.6, or 0.5 for "transfer"),
    resumable. `method` is a method's name ("arbitrary", "multistyle",
    "photoreal", "adain", "infrared", "transfer") with `style`, `config` and
    its inputs and settings as keywords, as for that method (infrared:
    `fit=` a fit or its file), or a `Recipe`. Returns a
    `tfstyle.clips.stylize.VideoResult` with the warping error and the style
    distance."""
    from tfstyle.clips.stylize import check, stylize_clip

    if isinstance(method, Recipe):
        recipe = method
    else:
        if style:
            kwargs["style"] = style
        recipe = recipe_of(method, [], config, kwargs)
    if temporal_weight is None:
        temporal_weight = default_temporal_weight(recipe)
    if not 0.0 <= temporal_weight < 1.0 or channels not in (1, 3):
        raise ConfigError("`temporal_weight` must be in [0, 1) and `channels` 1 or 3")
    recipe.check()
    runtime.import_tensorflow()
    recipe = recipe.prepare()
    settings = dict(recipe.settings(), temporal_weight=temporal_weight, output_channels=channels)
    check(clip, output, settings, overwrite)  # before any model loads
    return stylize_clip(clip, output, recipe.clip_renderer(), settings=settings,
                        temporal_weight=temporal_weight, overwrite=overwrite, channels=channels,
                        style=recipe.style_image(), vgg_weights=recipe.vgg_weights_file(),
                        callback=callback)
