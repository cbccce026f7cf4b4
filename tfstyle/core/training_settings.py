"""What every decoder-training config shares (AdaIN's, WCT²'s): the fields,
their checks and the resume rule, without TensorFlow (the configs are built
when the command line starts)."""

import dataclasses
import math
import numbers

from tfstyle.core.errors import ConfigError
from tfstyle.core.options import option


def check_settings(config, reals=("learning_rate", "lr_decay")):
    """Validates the fields every training config has (and the numbers in `reals`)."""
    for name in ("steps", "batch_size", "load_size", "crop_size", "checkpoint_every",
                 "log_every", "image_every", "seed"):
        value = getattr(config, name)
        low = 0 if name in ("image_every", "seed") else 1
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
            raise ConfigError(f"`{name}` must be an integer >= {low}, got {value!r}")
    for name in reals:
        value = getattr(config, name)
        if not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"`{name}` must be a finite number >= 0, got {value!r}")
    if config.learning_rate == 0:
        raise ConfigError("`learning_rate` must be > 0")
    if config.crop_size % 8:
        raise ConfigError(f"`crop_size` must be a multiple of 8 (three 2x poolings), "
                          f"got {config.crop_size}")
    if config.crop_size > config.load_size:
        raise ConfigError(f"`crop_size` ({config.crop_size}) cannot exceed `load_size` "
                          f"({config.load_size})")


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """The fields of a decoder training; a method's config subclasses it, adds
    its own fields and overrides the defaults that differ."""

    steps: int = option(3000, "Training iterations in all (a resumed run continues up to "
                        "this count).")
    batch_size: int = option(4, "Images per batch.")
    learning_rate: float = option(1e-4, "Adam's initial step size, decayed as lr / (1 + "
                                  "lr_decay * step).")
    lr_decay: float = option(5e-5, "The step size's decay (see learning_rate).")
    load_size: int = option(512, "Training images are resized so their shorter side is this "
                            "many pixels ...")
    crop_size: int = option(256, "... and random square crops this large are taken (a "
                            "multiple of 8).")
    checkpoint_every: int = option(250, "Save a checkpoint every this many steps (and at the "
                                   "end or on Ctrl-C).")
    log_every: int = option(10, "With logdir: TensorBoard scalars every this many steps.")
    image_every: int = option(250, "With logdir: a preview image every this many steps (0: "
                              "only at the end).")
    seed: int = option(0, "Seed of the decoder's initialization and of the data order.")

    # Fields a resumed run may change; the others must match the checkpoint's.
    RESUMABLE = ("steps", "checkpoint_every", "log_every", "image_every")
    # Real-valued fields checked to be finite and >= 0.
    REALS = ("learning_rate", "lr_decay")

    def __post_init__(self):
        check_settings(self, self.REALS)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
