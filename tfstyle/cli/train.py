"""The command line's training commands: train-adain and train-photoreal."""

import sys

from tfstyle.adain.config import TrainConfig
from tfstyle.cli import output
from tfstyle.cli.run import Run
from tfstyle.cli.runs import start_library
from tfstyle.core.errors import ConfigError
from tfstyle.wct2.config import PhotorealTrainConfig


def train_adain(run: Run, config: TrainConfig) -> int:
    if not (run.content_dir and run.style_dir):
        raise ConfigError("train-adain needs `content_dir` and `style_dir`")
    out = run.output
    progress = output.ProgressPrinter(sys.stderr, out, config.steps)
    start_library(run.verbose)
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


def train_photoreal(run: Run, config: PhotorealTrainConfig) -> int:
    if not run.content_dir:
        raise ConfigError("train-photoreal needs `content_dir` (photos)")
    out = run.output
    progress = output.ProgressPrinter(sys.stderr, out, config.steps)
    start_library(run.verbose)
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
