"""Settings of AdaIN (Huang & Belongie 2017): the transfer's controls
(`tfstyle.adain`, the `adain` command) and decoder training (`train-adain`),
frozen dataclasses validated once."""

import dataclasses
from tfstyle.core.options import FeedForwardControls, check_unit, default_of, option
from tfstyle.core.training_settings import TrainSettings


@dataclasses.dataclass(frozen=True)
class TrainConfig(TrainSettings):
    """Settings of AdaIN decoder training. Defaults are the paper's (and
    pytorch-AdaIN's): 160,000 iterations on batches of 8 content and 8 style
    images."""

    steps: int = default_of(TrainSettings, "steps", 160_000)
    batch_size: int = option(8, "Content images (and as many style images) per batch.")
    checkpoint_every: int = default_of(TrainSettings, "checkpoint_every", 500)
    image_every: int = default_of(TrainSettings, "image_every", 500)
    style_lambda: float = option(10.0, "lambda of eq. 11, the style loss's weight in training "
                                 "(the content loss's is 1).")

    REALS = TrainSettings.REALS + ("style_lambda",)


@dataclasses.dataclass(frozen=True)
class AdainConfig(FeedForwardControls):
    """The controls of an AdaIN transfer."""

    alpha: float = option(1.0, "Content-style trade-off in [0, 1] (eq. 14): the features "
                          "decoded are alpha * AdaIN(content, style) + (1 - alpha) * content; "
                          "0 decodes the photo's own features.")

    def __post_init__(self):
        check_unit("alpha", self.alpha)
        super().__post_init__()
