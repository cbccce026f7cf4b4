"""Settings of visible -> infrared by example (the `infrared` command): a
frozen dataclass, validated once."""

import dataclasses
from typing import Optional

from tfstyle.core.errors import ConfigError
from tfstyle.core.options import check_size, check_unit, option, settings_of

# What learns from example pairs (`tfstyle.thermal.fit.choose_route`).
ROUTES = ("auto", "ridge", "trained")


@dataclasses.dataclass(frozen=True)
class InfraredConfig:
    """The controls of an infrared rendering; the fit (what is learned from
    the examples) is separate and reusable."""

    size: Optional[int] = option(None, "Long side of the output in pixels (0 or None: the photo's "
                                 "own size, so labels drawn on the photo still fit).")
    analysis_size: int = option(256, "Long side the photo and the examples are analysed at "
                                "(VGG19 features); the thermal map is predicted at this size "
                                "and brought to the output's size along the photo's edges. A saved fit keeps "
                                "the size it was made at.")
    edge_radius: float = option(8.0, "Radius of the guided filter that carries the photo's "
                                "edges into the predicted map, in pixels of a 256 px image "
                                "(scaled with the output); larger is blurrier, like a thermal "
                                "sensor.")
    texture: float = option(0.3, "Ridge route: strength of the thermal texture laid over the prediction: "
                            "the alpha of a WCT2 photorealistic transfer whose style is the "
                            "thermal image of the example most like the photo (0: none; closer "
                            "to the photo's layout, and faster).")
    route: str = option("auto", "What learns from the example pairs: ridge (a linear map of "
                        "VGG19 hypercolumns: seconds, a smooth map), trained (a decoder "
                        "trained on the pairs: minutes, crisper outlines and thermal texture "
                        "over the ridge map's layout) or auto (trained from 20 pairs on). A "
                        "saved fit keeps its route.",
                        choices=ROUTES)
    train_steps: int = option(800, "The trained route's training steps (about 0.43 s each on "
                              "two CPU cores; Ctrl-C keeps a checkpoint beside save_fit).")
    contrast: float = option(1.0, "Scales the predicted map's spread about the examples' mean "
                             "thermal level (1: the examples' own spread).")

    def __post_init__(self):
        check_size("size", self.size)
        if not (isinstance(self.analysis_size, int) and 32 <= self.analysis_size <= 2048):
            raise ConfigError(f"`analysis_size` must be an integer in [32, 2048], got "
                              f"{self.analysis_size!r}")
        if not 0 < self.edge_radius <= 64:
            raise ConfigError(f"`edge_radius` must be in (0, 64], got {self.edge_radius}")
        check_unit("texture", self.texture)
        if self.route not in ROUTES:
            raise ConfigError(f"`route` must be one of {', '.join(ROUTES)}, got {self.route!r}")
        if not (isinstance(self.train_steps, int) and 1 <= self.train_steps <= 1_000_000):
            raise ConfigError(f"`train_steps` must be an integer in [1, 1000000], got "
                              f"{self.train_steps!r}")
        if not 0 < self.contrast <= 4:
            raise ConfigError(f"`contrast` must be in (0, 4], got {self.contrast}")

    def to_dict(self) -> dict:
        return settings_of(self)
