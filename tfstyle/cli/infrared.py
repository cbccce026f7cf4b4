"""The command line's infrared command: fit on example pairs (or read a
saved fit) once, then render one photo or a folder, locally or on Beam."""

import dataclasses
import os
import pathlib
import sys
import time

from tfstyle.cli import common, output
from tfstyle.core.errors import ConfigError
from tfstyle.thermal.config import InfraredConfig


def _route(run: common.Run) -> str:
    """examples, fit or style: exactly one source of what thermal looks like."""
    given = [name for name in ("examples", "fit", "style") if getattr(run, name)]
    if len(given) != 1:
        raise ConfigError("infrared needs one of `examples` (a folder of visible/thermal "
                          "pairs), `fit` (a saved fit) or `style` (thermal images only)"
                          + (f"; got {', '.join(f'`{g}`' for g in given)}" if given else ""))
    if run.save_fit and given != ["examples"]:
        raise ConfigError("`save_fit` saves what is learned from `examples`")
    return given[0]


def _check_save_fit(run: common.Run, inputs):
    if not run.save_fit:
        return None
    path = pathlib.Path(run.save_fit)
    if path.suffix.lower() != ".npz":
        raise ConfigError(f"`save_fit` must end in .npz, got {run.save_fit}")
    if any(str(i) and pathlib.Path(str(i)).resolve() == path.resolve() for i in inputs if i):
        raise ConfigError(f"`save_fit` {path} is one of the inputs")
    if path.exists() and not run.overwrite:
        raise ConfigError(f"`save_fit` {path} exists; pass `overwrite` to replace it")
    if not path.parent.is_dir():
        raise ConfigError(f"`save_fit`: no folder {path.parent}")
    if not os.access(path.parent, os.W_OK):
        raise ConfigError(f"`save_fit`: cannot write in {path.parent}")
    return path


def _local_folder_photos(run: common.Run, where):
    """The photos of a local folder run (to refuse one that is an example);
    () for Beam's file systems, which are listed by the pipeline."""
    from tfstyle import batch

    from tfstyle.clips.clip import list_clips

    if run.beam_runner or "://" in where[0] or "://" in where[1] or list_clips(where[0]):
        return []
    batch.check_writable(where[1])  # before the fit, not after it
    return [source for source, _ in batch.plan(*where)]


def _check_outside(run: common.Run, where):
    """Outputs never go into the examples folder (its thermal images are
    someone's training data)."""
    if not run.examples:
        return
    root = pathlib.Path(run.examples).resolve()
    target = where[1] if where and not isinstance(where, common.Clip) else (
        where.output if where else run.output)
    if "://" not in str(target) and root in (pathlib.Path(target).resolve(),
                                            *pathlib.Path(target).resolve().parents):
        raise ConfigError(f"the output {target} is inside the examples folder {run.examples}")


def _learn(run: common.Run, config: InfraredConfig, photos):
    """The fit: learned from the examples (refusing a photo that is one of
    them; every header checked before TensorFlow starts), or read from `fit`."""
    from tfstyle.core.weights import find_vgg19_weights
    from tfstyle.thermal import fit as fitting
    from tfstyle.thermal.examples import check_not_example, check_pairs, digests, find_pairs

    if run.fit:
        return fitting.load_fit(run.fit)
    pairs = find_pairs(run.examples)
    check_pairs(pairs)
    known = digests(pairs)
    for photo in photos:
        check_not_example(photo, known)
    common.start_library(run.verbose)
    route = fitting.choose_route(config.route, len(pairs))
    progress, checkpoint = None, None
    if route == "trained":
        progress = output.ProgressPrinter(sys.stderr, run.save_fit or run.output,
                                          config.train_steps)
        if run.save_fit:
            checkpoint = training_checkpoint(run.save_fit)
        else:
            print("training a decoder on the pairs; pass `save_fit` to keep it (and to resume "
                  "after Ctrl-C)", file=sys.stderr)
    try:
        return fitting.fit(pairs, analysis_size=config.analysis_size,
                           weights=find_vgg19_weights(run.vgg_weights), route=route,
                           train_steps=config.train_steps, callback=progress,
                           checkpoint=checkpoint)
    finally:
        if progress is not None:
            progress.close()


def training_checkpoint(save_fit) -> pathlib.Path:
    """Where the trained route keeps its checkpoint: beside `save_fit`."""
    path = pathlib.Path(save_fit)
    return path.with_name(f"{path.stem}.training.npz")


def _save_fit(learned, path):
    if path is None:
        return
    try:
        learned.save(path)
    except OSError as e:
        raise ConfigError(f"cannot write `save_fit` {path}: {e.strerror or e}") from None
    print(f"wrote {path} (fit sha256 {learned.sha256[:12]})", file=sys.stderr)


def run(run: common.Run, config: InfraredConfig) -> int:
    from tfstyle.core.image import check_output_path, check_readable
    from tfstyle.thermal.recipe import InfraredRecipe

    route = _route(run)
    where = common.folder(run)
    _check_outside(run, where)
    common.check_files([run.fit, run.vgg_weights, *run.style])
    check_readable(run.style)
    content = run.content
    if not where and content is None:
        raise ConfigError("infrared needs `content` (a photo) or `content_dir`")
    folder_run = where and not isinstance(where, common.Clip)
    photos = _local_folder_photos(run, where) if folder_run else [] if where else [content]
    save_path = _check_save_fit(run, [*photos, run.fit, *run.style])
    out = None
    if not where:
        check_readable([content])
        out = check_output_path(run.output, [content, run.fit, *run.style], run.overwrite)
        output.check_sidecar(out, run.overwrite)
    learned = _learn(run, config, photos) if route != "style" else None
    if learned is not None:  # a fit keeps the size it was made at
        config = dataclasses.replace(config, analysis_size=learned.analysis_size)
    recipe = InfraredRecipe(learned.to_bytes() if learned else b"", run.style, config,
                            run.vgg_weights)
    if where:
        code = common.run_folder(run, where, recipe)
        _save_fit(learned, save_path)
        return code
    common.start_library(run.verbose)
    from tfstyle.core.weights import find_vgg19_weights

    start = time.monotonic()
    image = recipe.renderer()(content)
    seconds = time.monotonic() - start
    settings = dict(recipe.settings(), command="infrared", content=str(content),
                    examples=run.examples, fit=run.fit, output_channels=run.output_channels)
    del settings["method"]
    output.save_image_record(out, image, settings, find_vgg19_weights(run.vgg_weights).sha256,
                             {"seconds": round(seconds, 3)}, run.output_channels)
    _save_fit(learned, save_path)  # after the output: a failed render leaves no new fit
    print(f"wrote {out} ({image.shape[1]}x{image.shape[0]}) in {seconds:.1f} s", file=sys.stderr)
    return 0
