"""tfstyle: neural style transfer for TensorFlow/Keras.

    import tfstyle
    result = tfstyle.transfer("photo.jpg", "painting.jpg", size=512)   # Gatys et al. 2016
    tfstyle.save_image("out.png", result.image)

    tfstyle.arbitrary("photo.jpg", "painting.jpg")      # Magenta's pretrained network
    tfstyle.multistyle("photo.jpg", 7)                   # one of its 26 built-in styles
    tfstyle.photoreal("photo.jpg", "sunset.jpg")        # WCT2, the shipped decoder
    tfstyle.adain("photo.jpg", "painting.jpg", model="adain.weights.h5")
    tfstyle.infrared("photo.jpg", "pairs/")              # thermal, learned from visible/thermal pairs

Every method has one shape (tfstyle/api.py):
`tfstyle.<method>(content, style_or_styles, config=None, *, model=None,
callback=None, **overrides) -> Result`, where `config` is the method's
config class (`StyleConfig`, `ArbitraryConfig`, ...) and `overrides` its
fields. The command line's commands, their configs and their folder recipes
are listed once, in `tfstyle.methods`.

Layout (docs/architecture.md): `tfstyle.core` holds what every method shares,
`tfstyle.gatys`, `tfstyle.adain`, `tfstyle.wct2`, `tfstyle.magenta` and
`tfstyle.thermal` one method each, `tfstyle.batch` runs any method over
folders (and Beam),
`tfstyle.cli` is the command line. TensorFlow loads only when a network is
first needed, so `import tfstyle` stays quick for image and config work.
"""

from tfstyle.adain.config import AdainConfig, TrainConfig
from tfstyle.core import runtime
from tfstyle.core.errors import ConfigError, ImageError, TfstyleError, WeightsError
from tfstyle.core.image import load_image, save_image
from tfstyle.core.lazy import attach
from tfstyle.core.result import Result
from tfstyle.core.weights import VGGWeights, find_vgg19_weights
from tfstyle.gatys.config import StyleConfig
from tfstyle.magenta.config import ArbitraryConfig, MultistyleConfig
from tfstyle.thermal.config import InfraredConfig
from tfstyle.wct2.config import PhotorealConfig, PhotorealTrainConfig

__version__ = "0.2.0"

# Freed memory is kept for reuse (half of a 1024 px photoreal call was page
# faults without it); TFSTYLE_POOL_MEMORY=0 turns it off. See core/runtime.py.
runtime.pool_memory()

METHODS = ("transfer", "texture", "reconstruct", "grid", "adain", "photoreal", "arbitrary",
           "multistyle", "infrared", "video")

__all__ = [
    *METHODS, "Result", "StyleConfig", "AdainConfig", "TrainConfig", "PhotorealConfig",
    "PhotorealTrainConfig", "ArbitraryConfig", "MultistyleConfig", "InfraredConfig",
    "load_image", "save_image",
    "find_vgg19_weights", "VGGWeights", "TfstyleError", "ConfigError", "ImageError",
    "WeightsError",
]

# The methods load with tfstyle/api.py (which imports TensorFlow only when
# one is called); the method packages are attributes too (`tfstyle.gatys`).
# `tfstyle.adain` is both: the package, callable as the method.
__getattr__, __dir__ = attach(
    __name__, dict.fromkeys(set(METHODS) - {"adain"}, "tfstyle.api"),
    {**{name: f"tfstyle.{name}" for name in ("adain", "api", "batch", "cli", "clips", "core",
                                             "gatys", "magenta", "methods", "thermal", "wct2")},
     "metrics": "tfstyle.core.metrics"},
    before=runtime.import_tensorflow)
