"""The command line's infrared command: fit on example pairs (or read a
saved fit) once, then render one photo, a folder or a clip. Its pre-checks
of its own: `save_fit` (a file this run writes), outputs outside the
examples folder, a folder's photos that are examples."""

import os
import pathlib
import sys

from tfstyle import batch
from tfstyle.cli import output, runs
from tfstyle.cli.run import Run
from tfstyle.clips.clip import list_clips
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import check_output_path, check_readable
from tfstyle.thermal.recipe import InfraredRecipe


def _check_save_fit(run: Run, recipe: InfraredRecipe, inputs):
    if not recipe.save_fit:
        return None
    path = pathlib.Path(recipe.save_fit)
    if path.suffix.lower() != ".npz":
        raise ConfigError(f"`save_fit` must end in .npz, got {recipe.save_fit}")
    if any(str(i) and pathlib.Path(str(i)).resolve() == path.resolve() for i in inputs if i):
        raise ConfigError(f"`save_fit` {path} is one of the inputs")
    if path.exists() and not run.overwrite:
        raise ConfigError(f"`save_fit` {path} exists; pass `overwrite` to replace it")
    if not path.parent.is_dir():
        raise ConfigError(f"`save_fit`: no folder {path.parent}")
    if not os.access(path.parent, os.W_OK):
        raise ConfigError(f"`save_fit`: cannot write in {path.parent}")
    return path


def _local_folder_photos(run: Run, place):
    """The photos of a local folder run (to refuse one that is an example);
    () for Beam's file systems, which are listed by the pipeline."""
    if run.beam_runner or "://" in place[0] or "://" in place[1] or list_clips(place[0]):
        return []
    batch.check_writable(place[1])  # before the fit, not after it
    return [source for source, _ in batch.plan(*place)]


def _check_outside(run: Run, recipe: InfraredRecipe, place):
    """Outputs never go into the examples folder (its thermal images are
    someone's training data)."""
    if not isinstance(recipe.examples, str):
        return
    root = pathlib.Path(recipe.examples).resolve()
    target = place[1] if place and not isinstance(place, runs.Clip) else (
        place.output if place else run.output)
    if "://" not in str(target) and root in (pathlib.Path(target).resolve(),
                                            *pathlib.Path(target).resolve().parents):
        raise ConfigError(f"the output {target} is inside the examples folder {recipe.examples}")


def training_checkpoint(save_fit) -> pathlib.Path:
    """Where the trained route keeps its checkpoint: beside `save_fit`."""
    path = pathlib.Path(save_fit)
    return path.with_name(f"{path.stem}.training.npz")


def _learn(run: Run, recipe: InfraredRecipe) -> InfraredRecipe:
    """The recipe with its fit, learned from the examples (the trained
    route's progress shown) or read from `fit`."""
    from tfstyle.thermal import fit as fitting

    if recipe.route != "examples":
        return recipe.prepare()
    runs.start_library(run.verbose)
    route = fitting.choose_route(recipe.config.route, len(recipe.pairs()))
    progress, checkpoint = None, None
    if route == "trained":
        progress = output.ProgressPrinter(sys.stderr, recipe.save_fit or run.output,
                                          recipe.config.train_steps)
        if recipe.save_fit:
            checkpoint = training_checkpoint(recipe.save_fit)
        else:
            print("training a decoder on the pairs; pass `save_fit` to keep it (and to resume "
                  "after Ctrl-C)", file=sys.stderr)
    try:
        return recipe.prepare(progress, checkpoint)
    finally:
        if progress is not None:
            progress.close()


def _save_fit(recipe: InfraredRecipe, path):
    if path is None:
        return
    from tfstyle.thermal.fit import load_fit

    learned = load_fit(recipe.learned)
    try:
        learned.save(path)
    except OSError as e:
        raise ConfigError(f"cannot write `save_fit` {path}: {e.strerror or e}") from None
    print(f"wrote {path} (fit sha256 {learned.sha256[:12]})", file=sys.stderr)


def run(run: Run, recipe: InfraredRecipe) -> int:
    place = runs.where(run, recipe)
    _check_outside(run, recipe, place)
    content = run.content
    if not place and content is None:
        raise ConfigError("infrared needs `content` (a photo) or `content_dir`")
    folder_run = place and not isinstance(place, runs.Clip)
    photos = _local_folder_photos(run, place) if folder_run else [] if place else [content]
    if not place:
        check_readable([content])
    recipe.check(content if not place else None, photos if place else ())
    save_path = _check_save_fit(run, recipe, [*photos, *recipe.input_files()])
    out = None
    if not place:
        out = check_output_path(run.output, [content, *recipe.input_files()], run.overwrite)
        output.check_sidecar(out, run.overwrite)
    recipe = _learn(run, recipe)
    if place:
        code = runs.run_folder(run, place, recipe)
        _save_fit(recipe, save_path)
        return code
    code = runs.one_image(run, recipe, content)
    _save_fit(recipe, save_path)  # after the output: a failed render leaves no new fit
    return code
