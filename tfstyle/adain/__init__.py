"""AdaIN (Huang & Belongie, ICCV 2017): arbitrary style transfer in one forward pass.

    layers.py        the encoder and decoder networks, AdaIN itself (eq. 8)
    model.py         AdaIN: a trained pair with the paper's controls; transfer()
    torch_import.py  the official pytorch-AdaIN release's weights
    config.py        TrainConfig: decoder training settings
    train.py         decoder training: tf.data crops, losses, checkpoints, TensorBoard
    recipe.py        AdainRecipe: a folder run (tfstyle.batch) with this method
"""

import sys
import types

from tfstyle.adain.config import AdainConfig, TrainConfig  # noqa: F401 (light: no TensorFlow)
from tfstyle.core.lazy import attach

__getattr__, __dir__ = attach(__name__, {
    **dict.fromkeys(("AdaIN", "StyleStats", "load_model", "transfer", "ModelSpec"),
                    "tfstyle.adain.model"),
    **dict.fromkeys(("adain", "mean_std", "build_encoder", "build_decoder",
                     "imagenet_encoder_weights", "ENCODER_CONVS", "DECODER_CONVS",
                     "STYLE_LAYERS", "EPS"), "tfstyle.adain.layers"),
    **dict.fromkeys(("read_pytorch_encoder", "read_pytorch_decoder", "ENCODER_INDICES",
                     "DECODER_INDICES"), "tfstyle.adain.torch_import"),
    **dict.fromkeys(("train", "TrainResult"), "tfstyle.adain.train"),
    "AdainRecipe": "tfstyle.adain.recipe",
})


class _Method(types.ModuleType):
    """`tfstyle.adain` is this package and, called, the method: the name is
    both, as `tfstyle.<method>(...)` is for every other method
    (`tfstyle.api.method`, made from `AdainRecipe`)."""

    def __call__(self, *args, **kwargs):
        from tfstyle.api import method

        return method("adain")(*args, **kwargs)


sys.modules[__name__].__class__ = _Method
