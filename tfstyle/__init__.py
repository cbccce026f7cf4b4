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

from tfstyle import methods as _methods  # noqa: E402 (the registry: no TensorFlow)

# Every method of the registry, and `video` (a clip through any of them).
METHODS = (*_methods.method_names(), "video")

__all__ = [
    *METHODS, "Result", "StyleConfig", "AdainConfig", "TrainConfig", "PhotorealConfig",
    "PhotorealTrainConfig", "ArbitraryConfig", "MultistyleConfig", "InfraredConfig",
    "load_image", "save_image",
    "find_vgg19_weights", "VGGWeights", "TfstyleError", "ConfigError", "ImageError",
    "WeightsError",
]

# The methods are made from their recipes by tfstyle/api.py (TensorFlow loads
# only when one is called), looked up in the registry when first used, so a
# method `methods.register` adds is `tfstyle.<name>` too. The method
# packages are attributes as well (`tfstyle.gatys`); `tfstyle.adain` is
# both: the package, callable as the method.
_packages_getattr, _packages_dir = attach(
    __name__, {"video": "tfstyle.api"},
    {**{name: f"tfstyle.{name}" for name in ("adain", "api", "batch", "cli", "clips", "core",
                                             "gatys", "magenta", "methods", "thermal", "wct2")},
     "metrics": "tfstyle.core.metrics"})


def __getattr__(name):
    command = _methods.BY_NAME.get(name)
    if command is not None and command.method and name != "adain":
        from tfstyle.api import method

        runtime.import_tensorflow()  # quietly, before anything else imports it
        return method(name)
    return _packages_getattr(name)


def __dir__():
    return sorted({*_packages_dir(), *_methods.method_names(), *__all__})
