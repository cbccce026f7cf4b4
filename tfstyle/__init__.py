"""tfstyle: neural style transfer for TensorFlow/Keras.

    import tfstyle
    result = tfstyle.stylize("photo.jpg", "painting.jpg", tfstyle.StyleConfig(size=512))
    tfstyle.save_image("out.png", result.image)
"""

from tfstyle import config, errors, image, samples, vgg, weights
from tfstyle.config import StyleConfig
from tfstyle.errors import ConfigError, ImageError, TfstyleError, WeightsError
from tfstyle.image import load_image, save_image
from tfstyle.weights import VGGWeights, find_vgg19_weights

__version__ = "0.1.0"

__all__ = [
    "StyleConfig", "StyleResult", "stylize", "load_image", "save_image", "find_vgg19_weights",
    "VGGWeights", "TfstyleError", "ConfigError", "ImageError", "WeightsError",
]


def __getattr__(name):
    # TensorFlow loads only when the optimization is first needed, so
    # `import tfstyle` stays quick for image and config work.
    if name in ("stylize", "StyleResult", "gatys", "optim", "losses"):
        import importlib

        gatys = importlib.import_module("tfstyle.gatys")
        if name in ("stylize", "StyleResult"):
            return getattr(gatys, name)
        return importlib.import_module(f"tfstyle.{name}")
    raise AttributeError(f"module 'tfstyle' has no attribute {name!r}")
