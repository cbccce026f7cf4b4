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
from tfstyle.wct2.config import PhotorealConfig, PhotorealTrainConfig  # noqa: F401

__getattr__, __dir__ = attach(__name__, {
    **dict.fromkeys(("Photoreal", "load_model", "transfer", "read_decoder", "shipped_decoder",
                     "Encoded"), "tfstyle.wct2.model"),
    **dict.fromkeys(("wct", "transfer_features"), "tfstyle.wct2.wct"),
    **dict.fromkeys(("haar_pool", "haar_unpool", "HaarPool", "HaarUnpool"), "tfstyle.wct2.haar"),
    **dict.fromkeys(("read_official",), "tfstyle.wct2.torch_import"),
    **dict.fromkeys(("train", "TrainResult"), "tfstyle.wct2.train"),
    "read_label_map": "tfstyle.wct2.labels",
    "PhotorealRecipe": "tfstyle.wct2.recipe",
})
