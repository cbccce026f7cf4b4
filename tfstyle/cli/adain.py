"""The command line's AdaIN commands: adain (one image or a folder) and train-adain."""

import sys
import time
from typing import Tuple

from tfstyle.adain.config import AdainConfig, TrainConfig
from tfstyle.cli import common, output
from tfstyle.core.errors import ConfigError

def model_files(model) -> Tuple[str, ...]:
    """The model as files: a .weights.h5, or the official release's pair."""
    if not model:
        raise ConfigError("adain needs a `model`: FILE.weights.h5 (from train-adain), or the "
                          "official release's vgg_normalised.pth,decoder.pth")
    return tuple(model)


def run(run: common.Run, config: AdainConfig) -> int:
    files = model_files(run.model)
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
    settings = dict(AdainRecipe(files, run.style, config).settings(), command="adain",
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


def train(run: common.Run, config: TrainConfig) -> int:
    if not (run.content_dir and run.style_dir):
        raise ConfigError("train-adain needs `content_dir` and `style_dir`")
    out = run.output
    progress = output.ProgressPrinter(sys.stderr, out, config.steps)
    common.start_library(run.verbose)
    from tfstyle.adain.train import train as train_decoder
    from tfstyle.core.weights import find_vgg19_weights

    try:
        result = train_decoder(
            run.content_dir, run.style_dir, out, config,
            weights=find_vgg19_weights(run.vgg_weights), checkpoint_dir=run.checkpoint_dir,
            logdir=run.logdir, callback=progress, overwrite=run.overwrite,
            init_model=run.init_model)
    finally:
        progress.close()
    print(output.train_summary(out, result), file=sys.stderr)
    return 0
