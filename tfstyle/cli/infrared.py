"""The command line's infrared command: fit on example pairs (or read a
saved fit) once, then render one photo or a folder, locally or on Beam."""

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
    return path


def _folder_photos(where):
    from tfstyle import batch

    return [source for source, _ in batch.plan(*where)]


def _learned(run: common.Run, config: InfraredConfig, photos, save_path):
    """The fit's bytes: learned from the examples (refusing a photo that is
    one of them), or read from `fit`."""
    from tfstyle.core.weights import find_vgg19_weights
    from tfstyle.thermal import fit as fitting
    from tfstyle.thermal.examples import check_not_example, find_pairs

    if run.fit:
        return fitting.load_fit(run.fit).to_bytes()
    pairs = find_pairs(run.examples)
    for photo in photos:
        check_not_example(photo, pairs)
    common.start_library(run.verbose)
    learned = fitting.fit(pairs, analysis_size=config.analysis_size,
                          weights=find_vgg19_weights(run.vgg_weights))
    if save_path:
        learned.save(save_path)
        print(f"wrote {save_path} (fit sha256 {learned.sha256[:12]})", file=sys.stderr)
    return learned.to_bytes()


def run(run: common.Run, config: InfraredConfig) -> int:
    from tfstyle.core.image import check_output_path, check_readable
    from tfstyle.thermal.recipe import InfraredRecipe

    route = _route(run)
    where = common.folder(run)
    common.check_files([run.fit, run.vgg_weights, *run.style])
    check_readable(run.style)
    content = run.content
    if not where and content is None:
        raise ConfigError("infrared needs `content` (a photo) or `content_dir`")
    photos = _folder_photos(where) if where else [content]
    inputs = [*photos, run.fit, *run.style] if not where else [run.fit, *run.style]
    save_path = _check_save_fit(run, inputs)
    out = None
    if not where:
        check_readable([content])
        out = check_output_path(run.output, [i for i in inputs if i], run.overwrite)
        output.check_sidecar(out, run.overwrite)
    learned = _learned(run, config, photos, save_path) if route != "style" else b""
    recipe = InfraredRecipe(learned, run.style, config, run.vgg_weights)
    if where:
        return common.run_folder(run, where, recipe)
    common.start_library(run.verbose)
    from tfstyle.core.weights import find_vgg19_weights

    start = time.monotonic()
    image = recipe.renderer()(content)
    seconds = time.monotonic() - start
    settings = dict(recipe.settings(), command="infrared", content=str(content),
                    examples=run.examples, fit=run.fit, output_channels=run.output_channels)
    del settings["method"]
    weights = "" if route == "style" else find_vgg19_weights(run.vgg_weights).sha256
    output.save_image_record(out, image, settings, weights, {"seconds": round(seconds, 3)},
                             run.output_channels)
    print(f"wrote {out} ({image.shape[1]}x{image.shape[0]}) in {seconds:.1f} s", file=sys.stderr)
    return 0
