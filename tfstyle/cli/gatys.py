"""The command line's Gatys commands: transfer (one image, several seeds, or a
folder), reconstruct, texture and grid."""

import dataclasses
import pathlib
import sys
from typing import Optional

from tfstyle.cli import common, output
from tfstyle.core.errors import ConfigError
from tfstyle.gatys.config import StyleConfig

def seed_output(path: pathlib.Path, seed: int) -> pathlib.Path:
    """``out.png`` -> ``out_seed3.png``: one output of a seeds run."""
    return path.with_name(f"{path.stem}_seed{seed}{path.suffix}")


def texture_size(text: Optional[str]):
    """'640x360' -> (360, 640), (height, width)."""
    if text is None:
        return None
    width, sep, height = text.lower().partition("x")
    try:
        size = (int(height), int(width))
    except ValueError:
        size = None
    if not sep or size is None or min(size) < 1:
        raise ConfigError(f"`output_size` must be WIDTHxHEIGHT in pixels, e.g. 640x360, got {text!r}")
    return size


def _check_seeds(run: common.Run, config: StyleConfig, seeds):
    """Seeds checked before the network loads, with the command line's own
    limits (one image's flags)."""
    for name, why in (("seed", "`seeds` lists every seed; drop `seed`"),
                      ("save_every", "snapshots belong to one image; not with `seeds`"),
                      ("logdir", "TensorBoard logs belong to one image; not with `seeds`")):
        if run.given(name):
            raise ConfigError(f"`{name}`: {why}")
    config.check_seeds(seeds)


def run(run: common.Run, config: StyleConfig) -> int:
    if run.command == "transfer":
        where = common.folder(run, [("seeds", "several seeds make several outputs of one "
                                              "image; not with `content_dir`")])
        if where:
            return _run_folder(run, config, where)
        if run.seeds:
            _check_seeds(run, config, run.seeds)
    job = _Job.plan(run, config)
    progress = output.ProgressPrinter(sys.stderr, job.output, job.steps, run.save_every,
                                      run.overwrite, job.inputs)
    common.start_library(run.verbose)
    from tfstyle.core.weights import find_vgg19_weights

    weights = find_vgg19_weights(run.vgg_weights)
    board = None
    if run.logdir:
        from tfstyle.core.summary import TensorBoardLogger

        board = TensorBoardLogger(run.logdir, run.log_images_every, job.settings)
    try:
        result = job.call(weights, _both(progress, board))
    finally:
        progress.close()
        if board:
            board.close()
    job.save(result)
    return 0


def _run_folder(run: common.Run, config: StyleConfig, where) -> int:
    from tfstyle.core.image import check_readable
    from tfstyle.gatys.recipe import GatysRecipe

    check_readable(run.style)  # a bad style stops the run before any image
    return common.run_folder(run, where, GatysRecipe(run.style, config, run.vgg_weights))


def _both(*callbacks):
    callbacks = [c for c in callbacks if c is not None]

    def call(progress):
        for callback in callbacks:
            callback(progress)

    return call


@dataclasses.dataclass
class _Job:
    """One Gatys command after every check that needs no network."""
    run: common.Run
    config: StyleConfig
    content: object
    style: object
    output: pathlib.Path
    outputs: list
    inputs: list
    steps: int
    settings: dict
    inputs_parsed: dict  # output_size, style_sets, content_sets, masks, source_masks: read once

    @classmethod
    def plan(cls, run: common.Run, config: StyleConfig) -> "_Job":
        from tfstyle.core import samples
        from tfstyle.core.image import as_image, check_output_path, check_readable
        from tfstyle.gatys.grid import parse_layer_sets

        mode = run.command
        # Malformed inputs fail before any file is touched.
        source_masks = [m or None for m in run.style_source_mask] or None
        parsed = dict(output_size=texture_size(run.output_size), style_sets=None,
                      content_sets=None, masks=list(run.style_mask) or None,
                      source_masks=source_masks)
        if mode == "grid":
            parsed["style_sets"] = parse_layer_sets(run.grid_style_layers)
            if run.grid_content_layers:
                parsed["content_sets"] = parse_layer_sets(run.grid_content_layers, 1.0)
        content = None if mode == "texture" else (run.content or samples.default_content())
        style = None if mode == "reconstruct" else (
            list(run.style) or [samples.brushstrokes(512)])
        check_readable([run.content, *run.style, *run.style_mask, *(source_masks or ())])
        inputs = [c for c in (content, *run.style, *run.style_mask, *(source_masks or ()))
                  if c is not None]
        out = pathlib.Path(run.output)
        outputs = [seed_output(out, s) for s in run.seeds] or [out]  # seeds: only theirs

        for path in outputs:
            check_output_path(path, inputs, run.overwrite)
            output.check_sidecar(path, run.overwrite)
        steps = config.steps
        if mode == "transfer" and run.save_every:  # snapshots over every pass, checked now
            from tfstyle.gatys.passes import total_steps

            steps = total_steps(as_image(content, config.size).shape[:2], config)
        return cls(run, config, content, style, out, outputs, inputs, steps,
                   _settings(run, config, content, parsed["output_size"]), parsed)

    def call(self, weights, callback):
        from tfstyle import gatys

        run, config, parsed = self.run, self.config, self.inputs_parsed
        masks, source_masks = parsed["masks"], parsed["source_masks"]
        kwargs = dict(weights=weights, callback=callback)
        if run.command == "grid":
            return gatys.style_grid(
                self.content, self.style, config, ratios=run.grid_ratios or None,
                style_layer_sets=parsed["style_sets"], content_layer_sets=parsed["content_sets"],
                **kwargs)
        if run.command == "texture":
            return gatys.synthesize_texture(self.style, config,
                                            output_size=parsed["output_size"], **kwargs)
        if run.command == "reconstruct":
            return gatys.reconstruct_content(self.content, config, **kwargs)
        if run.seeds:
            return gatys.stylize_seeds(self.content, self.style, config, seeds=run.seeds,
                                       masks=masks, style_masks=source_masks, **kwargs)
        return gatys.stylize(self.content, self.style, config, masks=masks,
                             style_masks=source_masks, **kwargs)

    def save(self, result):
        channels = self.run.output_channels
        if self.run.command == "grid":
            output.save_grid(self.output, result, self.settings)
            print(output.grid_summary(self.output, result), file=sys.stderr)
            return
        pairs = (zip(self.outputs, result) if self.run.seeds else [(self.output, result)])
        for path, one in pairs:
            settings = self.settings
            if self.run.seeds:
                settings = dict(settings, seed=one.config.seed, seeds=list(self.run.seeds))
            output.save_result(path, one, settings, channels)
            print(output.summary(path, one), file=sys.stderr)


def _settings(run: common.Run, config: StyleConfig, content, size) -> dict:
    """The run as its outputs record it."""
    from tfstyle.core.recipe import EMBEDDED_STYLE

    settings = dict(config.to_dict(), command=run.command)
    if run.command == "transfer":
        settings["output_channels"] = run.output_channels
    if content is not None:
        settings["content"] = str(run.content or f"embedded:{pathlib.Path(content).name}")
    if run.command != "reconstruct":
        settings["style"] = list(run.style) or [EMBEDDED_STYLE]
    if run.style_mask:
        settings.update(style_mask=list(run.style_mask),
                        style_source_mask=[m or None for m in run.style_source_mask] or None)
    if size:
        settings["output_size"] = f"{size[1]}x{size[0]}"
    if run.command == "grid":
        settings.update(grid_style_layers=run.grid_style_layers,
                        grid_ratios=list(run.grid_ratios) or None,
                        grid_content_layers=run.grid_content_layers)
    return settings
