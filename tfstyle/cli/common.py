"""What every runner of the command line shares: the run's inputs and
outputs (`Run`), folder runs (locally or on Beam), quiet TensorFlow start-up."""

import dataclasses
import logging
import os
import sys
from typing import FrozenSet, Optional, Sequence, Tuple

from tfstyle.core.errors import ConfigError

# Flags every mode accepts.
ALWAYS = ("mode", "overwrite", "verbose")


@dataclasses.dataclass(frozen=True)
class Run:
    """The inputs, outputs and plumbing of one command (the method's settings
    are its config). Field names are the flags'."""
    mode: str = "transfer"
    content: Optional[str] = None             # None: the embedded photo
    style: Tuple[str, ...] = ()               # empty: the embedded painting
    output: str = "stylized.png"
    overwrite: bool = False
    output_channels: int = 3                  # 1: the luminance, one channel
    content_dir: Optional[str] = None         # a folder run: every image under it ...
    output_dir: Optional[str] = None          # ... into this mirrored folder
    beam_runner: Optional[str] = None         # a folder run as a Beam pipeline on this runner
    beam_options: str = ""
    style_mask: Tuple[str, ...] = ()          # one output region per style
    style_source_mask: Tuple[Optional[str], ...] = ()  # one style-image region per style
    vgg_weights: Optional[str] = None
    save_every: int = 0                       # snapshots every N steps
    logdir: Optional[str] = None              # TensorBoard logs
    log_images_every: int = 50
    verbose: bool = False
    present: FrozenSet[str] = frozenset()     # the flags the user gave

    def __post_init__(self):
        if self.style_source_mask and not self.style_mask:
            raise ConfigError("`style_source_mask` needs `style_mask` (one of each per `style`)")
        for name in ("log_images_every", "save_every"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0")
        if self.output_channels not in (1, 3):
            raise ConfigError(f"output_channels must be 1 or 3, got {self.output_channels}")

    def given(self, name: str) -> bool:
        return name in self.present


def check_mode_flags(run: Run, refused: Sequence[str], declared: Sequence[str]):
    """The first flag (in declaration order) the user gave that `run.mode` refuses."""
    wrong = [n for n in declared if run.given(n) and n in refused and n not in ALWAYS]
    if wrong:
        raise ConfigError(f"`{wrong[0]}` does not apply to --mode={run.mode}")


def folder(run: Run, single_image_flags: Sequence[Tuple[str, str]] = ()):
    """(content_dir, output_dir) of a folder run, or None; refuses flags that
    belong to a single image."""
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
    this process or, with `beam_runner`, as an Apache Beam pipeline."""
    from tfstyle import batch
    from tfstyle.cli import output

    if run.beam_runner:
        from tfstyle.batch import beam

        pairs = beam.plan(*where)  # the folders' errors before TensorFlow and Beam start
        start_library(run.verbose)
        result = beam.run(recipe, *where, runner=run.beam_runner, options=run.beam_options,
                          overwrite=run.overwrite, channels=run.output_channels, pairs=pairs)
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


def parse_numbers(name: str, values: Sequence[str], kind=float) -> tuple:
    try:
        return tuple(kind(v) for v in values)
    except ValueError:
        what = "integers" if kind is int else "numbers"
        raise ConfigError(f"`{name}` must be comma-separated {what}, got "
                          f"{','.join(values)!r}") from None
