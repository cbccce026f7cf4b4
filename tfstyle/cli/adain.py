"""The command line's AdaIN modes: adain (one image or a folder) and train_adain."""

import sys
import time
from typing import Optional, Tuple

from tfstyle.adain.config import AdainConfig, TrainConfig
from tfstyle.cli import common, output
from tfstyle.core.errors import ConfigError

# The only flags each mode reads (besides common.ALWAYS).
READS = {
    "adain": ("content", "style", "output", "size", "style_blend", "style_mask", "preserve_color",
              "alpha", "adain_model", "adain_vgg", "adain_decoder", "style_size", "content_dir",
              "output_dir", "output_channels", "beam_runner", "beam_options"),
    "train_adain": ("content_dir", "style_dir", "output", "steps", "learning_rate", "style_weight",
                    "seed", "batch_size", "load_size", "crop_size", "checkpoint_dir",
                    "checkpoint_every", "logdir", "log_images_every", "vgg_weights", "init_model"),
}
MODES = tuple(READS)
TRAIN_OUTPUT = "adain.weights.h5"


def model_files(model: Optional[str], vgg: Optional[str], decoder: Optional[str]) -> Tuple[str, ...]:
    """The model as files: a .weights.h5, or the official release's pair."""
    if model and (vgg or decoder):
        raise ConfigError("give `adain_model`, or `adain_vgg` with `adain_decoder`, not both")
    if model:
        return (model,)
    if vgg and decoder:
        return (vgg, decoder)
    if vgg or decoder:
        raise ConfigError("`adain_vgg` and `adain_decoder` go together (the release's "
                          "vgg_normalised.pth and decoder.pth)")
    raise ConfigError("--mode=adain needs a model: `adain_model`=FILE.weights.h5 (from "
                      "--mode=train_adain), or `adain_vgg`=vgg_normalised.pth "
                      "`adain_decoder`=decoder.pth (the official release)")


def run(run: common.Run, config: AdainConfig, files: Tuple[str, ...]) -> int:
    from tfstyle.adain.recipe import AdainRecipe

    where = common.folder(run)
    from tfstyle.core.image import check_readable

    common.check_files(files)
    check_readable([*run.style, *run.style_mask])
    if where:
        return common.run_folder(run, where, AdainRecipe(files, run.style, config))
    from tfstyle.core import samples
    from tfstyle.core.image import check_output_path

    content = run.content or samples.default_content()
    out = check_output_path(run.output, [content, *files, *run.style, *run.style_mask],
                            run.overwrite)
    output.check_sidecar(out, run.overwrite)
    settings = dict(AdainRecipe(files, run.style, config).settings(), mode="adain",
                    content=str(run.content or f"embedded:{content.name}"),
                    style_mask=list(run.style_mask) or None,
                    output_channels=run.output_channels)
    del settings["method"]
    common.start_library(run.verbose)
    from tfstyle.adain.model import load_model
    from tfstyle.core.weights import file_digest

    model = load_model(files)
    styles = list(run.style) or [samples.brushstrokes(512)]
    start = time.monotonic()
    stylized = model.stylize(content, styles, alpha=config.alpha,
                             style_weights=config.style_blend or None,
                             masks=list(run.style_mask) or None,
                             preserve_color=config.preserve_color, size=config.size,
                             style_size=config.style_size)
    seconds = time.monotonic() - start
    output.save_image_record(out, stylized, settings, file_digest(files[-1]),
                             {"seconds": round(seconds, 3)}, run.output_channels)
    print(f"wrote {out} ({stylized.shape[1]}x{stylized.shape[0]}) in {seconds:.1f} s",
          file=sys.stderr)
    return 0


def train(run: common.Run, config: TrainConfig, style_dir: Optional[str],
          checkpoint_dir: Optional[str], init_model: Optional[str]) -> int:
    if not (run.content_dir and style_dir):
        raise ConfigError("--mode=train_adain needs `content_dir` and `style_dir`")
    out = run.output if run.given("output") else TRAIN_OUTPUT
    progress = output.ProgressPrinter(sys.stderr, out, config.steps)
    common.start_library(run.verbose)
    from tfstyle.adain.train import train as train_decoder
    from tfstyle.core.weights import find_vgg19_weights

    try:
        result = train_decoder(
            run.content_dir, style_dir, out, config, weights=find_vgg19_weights(run.vgg_weights),
            checkpoint_dir=checkpoint_dir, logdir=run.logdir, callback=progress,
            overwrite=run.overwrite, init_model=init_model)
    finally:
        progress.close()
    print(output.train_summary(out, result), file=sys.stderr)
    return 0
