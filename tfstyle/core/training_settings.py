"""What every decoder-training config shares (AdaIN's, WCT²'s): the fields,
their checks and the resume rule, without TensorFlow (the configs are built
when the command line starts)."""

import dataclasses
import math
import numbers

from tfstyle.core.errors import ConfigError


def check_settings(config, reals=("learning_rate", "lr_decay")):
    """Validates the fields every training config has (and the numbers in `reals`)."""
    for name in ("steps", "batch_size", "load_size", "crop_size", "checkpoint_every",
                 "log_every", "image_every", "seed"):
        value = getattr(config, name)
        low = 0 if name in ("image_every", "seed") else 1
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    for name in reals:
        value = getattr(config, name)
        if not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
    if config.learning_rate == 0:
        raise ConfigError("learning_rate must be > 0")
    if config.crop_size % 8:
        raise ConfigError(f"crop_size must be a multiple of 8 (three 2x poolings), "
                          f"got {config.crop_size}")
    if config.crop_size > config.load_size:
        raise ConfigError(f"crop_size ({config.crop_size}) cannot exceed load_size "
                          f"({config.load_size})")


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """The fields of a decoder training; a method's config subclasses it, adds
    its own fields and overrides the defaults that differ."""

    # Training iterations in all (a resumed run continues up to this count).
    steps: int = 3000
    # Images per batch.
    batch_size: int = 4
    # Adam's initial step size, decayed as lr / (1 + lr_decay * step).
    learning_rate: float = 1e-4
    lr_decay: float = 5e-5
    # Images are resized so their shorter side is this many pixels ...
    load_size: int = 512
    # ... and random square crops this large are taken (a multiple of 8).
    crop_size: int = 256
    # Save a checkpoint every this many steps (and at the end or on Ctrl-C).
    checkpoint_every: int = 250
    # TensorBoard: scalars every log_every steps, a preview every image_every
    # (0: only at the end).
    log_every: int = 10
    image_every: int = 250
    # Seed of the decoder's initialization and of the data order.
    seed: int = 0

    # Fields a resumed run may change; the others must match the checkpoint's.
    RESUMABLE = ("steps", "checkpoint_every", "log_every", "image_every")
    # Real-valued fields checked to be finite and >= 0.
    REALS = ("learning_rate", "lr_decay")

    def __post_init__(self):
        check_settings(self, self.REALS)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
