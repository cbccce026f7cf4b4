"""The command line's Gatys commands: transfer (one image, several seeds, a
folder or a clip), texture, reconstruct and grid. Their pre-checks of their
own: seeds, snapshots every N steps over every pass, TensorBoard logs."""

import pathlib
import sys

from tfstyle.cli import output, runs
from tfstyle.cli.run import Run
from tfstyle.core import samples
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import as_image, check_output_path, check_readable
from tfstyle.gatys.recipe import GatysRecipe


def seed_output(path: pathlib.Path, seed: int) -> pathlib.Path:
    """``out.png`` -> ``out_seed3.png``: one output of a seeds run."""
    return path.with_name(f"{path.stem}_seed{seed}{path.suffix}")


def _check_seeds(run: Run):
    """A seeds run's own limits (one image's flags)."""
    for name, why in (("seed", "`seeds` lists every seed; drop `seed`"),
                      ("save_every", "snapshots belong to one image; not with `seeds`"),
                      ("logdir", "TensorBoard logs belong to one image; not with `seeds`")):
        if run.given(name):
            raise ConfigError(f"`{name}`: {why}")


def _both(*callbacks):
    callbacks = [c for c in callbacks if c is not None]

    def call(progress):
        for callback in callbacks:
            callback(progress)

    return call


def run(run: Run, recipe) -> int:
    if isinstance(recipe, GatysRecipe):
        place = runs.where(run, recipe)
        if place:
            recipe.check()  # a bad style stops the run before any image
            return runs.run_folder(run, place, recipe)
        if recipe.seeds:
            _check_seeds(run)
    content = None if not recipe.takes_content else (run.content or samples.default_content())
    check_readable([run.content])
    recipe.check(content)
    out = pathlib.Path(run.output)
    seeds = getattr(recipe, "seeds", ())
    outputs = [seed_output(out, s) for s in seeds] or [out]  # seeds: only theirs
    inputs = [c for c in (content, *recipe.input_files()) if c is not None]
    for path in outputs:
        check_output_path(path, inputs, run.overwrite)
        output.check_sidecar(path, run.overwrite)
    config = recipe.config
    steps = config.steps
    if recipe.command == "transfer" and run.save_every:  # snapshots over every pass, checked now
        from tfstyle.gatys.passes import total_steps

        steps = total_steps(as_image(content, config.size).shape[:2], config)
    settings = recipe.settings()
    if content is not None:
        settings["content"] = str(run.content or f"embedded:{pathlib.Path(content).name}")
    if recipe.command == "transfer":
        settings["output_channels"] = run.output_channels
    progress = output.ProgressPrinter(sys.stderr, out, steps, run.save_every, run.overwrite,
                                      inputs)
    runs.start_library(run.verbose)
    board = None
    if run.logdir:
        from tfstyle.core.summary import TensorBoardLogger

        board = TensorBoardLogger(run.logdir, run.log_images_every, settings)
    try:
        result = recipe.renderer(callback=_both(progress, board))(content)
    finally:
        progress.close()
        if board:
            board.close()
    _save(run, recipe, out, outputs, result, settings)
    return 0


def _save(run: Run, recipe, out, outputs, result, settings):
    if recipe.command == "grid":
        output.save_grid(out, result, settings)
        print(output.grid_summary(out, result), file=sys.stderr)
        return
    seeds = getattr(recipe, "seeds", ())
    for path, one in (zip(outputs, result) if seeds else [(out, result)]):
        record = dict(settings, seed=one.config.seed, seeds=list(seeds)) if seeds else settings
        output.save_result(path, one, record, run.output_channels)
        print(output.summary(path, one), file=sys.stderr)
