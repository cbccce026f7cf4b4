"""Checks every training config shares (AdaIN's, WCT²'s), without TensorFlow:
the configs are built when the command line starts."""

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
