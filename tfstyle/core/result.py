"""What every method of tfstyle returns: one `Result` shape."""

import dataclasses
from typing import Any, Mapping

import numpy as np


@dataclasses.dataclass(frozen=True)
class Result:
    """One stylized image and how it was made.

    Gatys' optimizations return a `tfstyle.gatys.StyleResult`, which has
    these attributes too (and its steps, evaluations and config).
    """
    image: np.ndarray                            # float32 [H, W, C] in [0, 1]
    settings: Mapping[str, Any]                  # the method and its config, as JSON values
    losses: Mapping[str, float] = dataclasses.field(default_factory=dict)  # where there are any
    seconds: float = 0.0                         # wall time of the call
    weights_sha256: str = ""                     # identifies the network's weights, where known


def finish(image, settings: dict, start: float, callback=None, weights_sha256: str = ""):
    """The `Result` of a one-pass method that started at `start`
    (time.perf_counter()); `callback` gets one `Progress` for it."""
    import time

    from tfstyle.core.progress import Progress

    seconds = time.perf_counter() - start
    if callback is not None:
        callback(Progress(step=1, steps=1, losses={}, elapsed=seconds, image=image))
    return Result(image, settings, {}, seconds, weights_sha256)
