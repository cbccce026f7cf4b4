"""The command line's photorealistic commands: photoreal (one image or a
folder) and train-photoreal."""

import sys
import time
from typing import Tuple

from tfstyle.cli import common, output
from tfstyle.core.errors import ConfigError
from tfstyle.wct2.config import PhotorealConfig, PhotorealTrainConfig

def model_files(model) -> Tuple[str, ...]:
    """() for the shipped decoder, (decoder.npz,) or the official (encoder, decoder)."""
    return tuple(model)


def run(run: common.Run, config: PhotorealConfig) -> int:
    files = model_files(run.model)
    content_labels, style_labels = run.content_labels, run.style_labels
    from tfstyle.core.image import check_output_path, check_readable
    from tfstyle.wct2.recipe import PhotorealRecipe

    where = common.folder(run, [("content_labels", "label maps belong to one content image; "
                                                   "not with `content_dir`"),
                                ("style_labels", "label maps belong to one content image; "
                                                 "not with `content_dir`")])
    common.check_files(files)
    check_readable(run.style)
    if len(run.style) > 1:
        raise ConfigError("photoreal takes one `style`")
    if (content_labels is None) != (style_labels is None):
        raise ConfigError("label maps come in pairs: `content_labels` and `style_labels`")
    recipe = PhotorealRecipe(run.style, config, files, run.vgg_weights)
    if where:
        return common.run_folder(run, where, recipe)
    from tfstyle.core import samples

    content = run.content or samples.default_content()
    style = run.style[0] if run.style else None
    check_readable([run.content, content_labels, style_labels])
    if content_labels:
        _check_map_sizes(((content_labels, content, "content_labels"),
                          (style_labels, style, "style_labels")))
    out = check_output_path(run.output, [content, *files, *run.style,
                                         *(p for p in (content_labels, style_labels) if p)],
                            run.overwrite)
    output.check_sidecar(out, run.overwrite)
    settings = dict(recipe.settings(), command="photoreal",
                    content=str(run.content or f"embedded:{content.name}"),
                    content_labels=content_labels, style_labels=style_labels,
                    output_channels=run.output_channels)
    del settings["method"]
    common.start_library(run.verbose)
    from tfstyle.core.weights import file_digest, find_vgg19_weights
    from tfstyle.wct2.model import load_model, shipped_decoder

    weights = None if len(files) == 2 else find_vgg19_weights(run.vgg_weights)
    model = load_model(files[0] if len(files) == 1 else (files or None), weights=weights)
    style = style or samples.brushstrokes(512)
    start = time.monotonic()
    image = model.stylize(content, style, alpha=config.alpha, transfer_at=config.transfer_at,
                          content_labels=content_labels, style_labels=style_labels,
                          size=config.size, style_size=config.style_size)
    seconds = time.monotonic() - start
    output.save_image_record(out, image, settings, file_digest(files[-1] if files else
                                                               shipped_decoder()),
                             {"seconds": round(seconds, 3)}, run.output_channels)
    print(f"wrote {out} ({image.shape[1]}x{image.shape[0]}) in {seconds:.1f} s", file=sys.stderr)
    return 0


def _check_map_sizes(pairs):
    """Each label map has its photo's size (read from the file headers)."""
    from PIL import Image

    for labels, photo, name in pairs:
        if photo is None:  # the embedded style is drawn at 512 px
            size = (512, 512)
        else:
            with Image.open(photo) as img:
                size = img.size
        with Image.open(labels) as img:
            if img.size != size:
                raise ConfigError(f"`{name}` is {img.size[0]}x{img.size[1]} px but its image is "
                                  f"{size[0]}x{size[1]}; a label map must match its photo")


def train(run: common.Run, config: PhotorealTrainConfig) -> int:
    if not run.content_dir:
        raise ConfigError("train-photoreal needs `content_dir` (photos)")
    out = run.output
    progress = output.ProgressPrinter(sys.stderr, out, config.steps)
    common.start_library(run.verbose)
    from tfstyle.core.weights import find_vgg19_weights
    from tfstyle.wct2.train import train as train_decoder

    try:
        result = train_decoder(run.content_dir, out, config,
                               weights=find_vgg19_weights(run.vgg_weights),
                               checkpoint_dir=run.checkpoint_dir, logdir=run.logdir,
                               callback=progress, overwrite=run.overwrite)
    finally:
        progress.close()
    print(output.train_summary(out, result), file=sys.stderr)
    return 0
