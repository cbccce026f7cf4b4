"""AdaIN as one call of tfstyle's API shape (`tfstyle.adain`, `tfstyle.api`)."""

import time
from typing import Optional, Sequence

from tfstyle.adain.config import AdainConfig
from tfstyle.core import runtime
from tfstyle.core.errors import ConfigError
from tfstyle.core.options import configure
from tfstyle.core.progress import Callback
from tfstyle.core.result import Result, finish


def adain(content, styles, config=None, *, model=None, callback: Callback = None,
          masks: Optional[Sequence] = None, **overrides) -> Result:
    """AdaIN (Huang & Belongie 2017): one forward pass. `model` (required: no
    trained weights can be shipped) is an `adain.AdaIN`, a `.weights.h5` from
    `tfstyle train-adain`, or the official (vgg_normalised.pth, decoder.pth)
    pair. `masks`: one per style (spatial control)."""
    runtime.import_tensorflow()
    from tfstyle.adain.model import load_model

    config = configure(AdainConfig, config, overrides)
    if model is None:
        raise ConfigError("adain needs a `model`: a .weights.h5 from train-adain, or the "
                          "official (vgg_normalised.pth, decoder.pth) pair")
    net = load_model(model)
    start = time.perf_counter()
    image = net.stylize(content, styles, alpha=config.alpha,
                        style_weights=config.style_blend or None, masks=masks,
                        preserve_color=config.preserve_color, size=config.size,
                        style_size=config.style_size)
    return finish(image, dict(config.to_dict(), method="adain"), start, callback)
