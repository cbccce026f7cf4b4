"""Photorealistic style transfer: WCT² (Yoo et al., ICCV 2019).

    haar.py          Haar wavelet pooling and unpooling, fixed Keras layers
    networks.py      the wavelet encoder (VGG19 to relu4_1) and the mirrored decoder
    wct.py           whitening and colouring transforms, label by label
    labels.py        label maps (index PNGs or colour-coded images)
    model.py         Photoreal: transfer level by level; the shipped decoder; transfer()
    torch_import.py  the official release's .pth files
    config.py        PhotorealConfig, PhotorealTrainConfig
    train.py         decoder training (reconstruction only)
    recipe.py        PhotorealRecipe: a folder run (tfstyle.batch) with this method
"""

from tfstyle.core.lazy import attach
from tfstyle.photoreal.config import PhotorealConfig, PhotorealTrainConfig  # noqa: F401

__getattr__, __dir__ = attach(__name__, {
    **dict.fromkeys(("Photoreal", "load_model", "transfer", "read_decoder", "shipped_decoder",
                     "Encoded"), "tfstyle.photoreal.model"),
    **dict.fromkeys(("wct", "transfer_features"), "tfstyle.photoreal.wct"),
    **dict.fromkeys(("haar_pool", "haar_unpool", "HaarPool", "HaarUnpool"), "tfstyle.photoreal.haar"),
    **dict.fromkeys(("read_official",), "tfstyle.photoreal.torch_import"),
    **dict.fromkeys(("train", "TrainResult"), "tfstyle.photoreal.train"),
    "read_label_map": "tfstyle.photoreal.labels",
    "PhotorealRecipe": "tfstyle.photoreal.recipe",
})
