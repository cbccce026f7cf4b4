"""tfstyle: neural style transfer for TensorFlow/Keras.

    import tfstyle
    result = tfstyle.stylize("photo.jpg", "painting.jpg", tfstyle.StyleConfig(size=512))
    tfstyle.save_image("out.png", result.image)

    image = tfstyle.adain("photo.jpg", "painting.jpg", "adain.weights.h5", alpha=0.8)
"""

from tfstyle import config, errors, image, samples, tiles, vgg, weights
from tfstyle.config import StyleConfig
from tfstyle.errors import ConfigError, ImageError, TfstyleError, WeightsError
from tfstyle.image import load_image, save_image
from tfstyle.weights import VGGWeights, find_vgg19_weights

__version__ = "0.1.0"

__all__ = [
    "StyleConfig", "StyleResult", "stylize", "stylize_seeds", "reconstruct_content",
    "synthesize_texture", "style_grid", "adain", "load_image", "save_image", "find_vgg19_weights",
    "VGGWeights", "TfstyleError", "ConfigError", "ImageError", "WeightsError",
]


_GATYS = ("stylize", "stylize_seeds", "StyleResult", "reconstruct_content", "synthesize_texture")
_MODULES = ("gatys", "optim", "losses", "grid", "summary", "adain", "adain_train", "batch",
            "beam", "metrics")


def __getattr__(name):
    # TensorFlow loads only when the optimization is first needed, so
    # `import tfstyle` stays quick for image and config work.
    import importlib

    if name in _GATYS:
        return getattr(importlib.import_module("tfstyle.gatys"), name)
    if name == "style_grid":
        return importlib.import_module("tfstyle.grid").style_grid
    if name in _MODULES:
        return importlib.import_module(f"tfstyle.{name}")
    raise AttributeError(f"module 'tfstyle' has no attribute {name!r}")
