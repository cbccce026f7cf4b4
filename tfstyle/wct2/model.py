"""Photorealistic style transfer with wavelet corrected transfer (WCT², Yoo,
Uh, Chun, Kang & Ha, ICCV 2019).

The content and the style are encoded level by level; between levels the
content's features are whitened and coloured to the style's (`wct`) at the
places `transfer_at` names: the encoder's levels, the skipped detail
components, the decoder's levels (the paper's figures use all three). The
decoder was trained for reconstruction only, so with `alpha=0` a photo comes
back as it was, and the Haar skips carry every edge through.
"""

import dataclasses
import logging
import pathlib
import zipfile
import zlib
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from tfstyle.core.errors import ConfigError, WeightsError
from tfstyle.core.image import as_image, fit_long_side, resize
from tfstyle.wct2 import wct as wct_lib
from tfstyle.wct2.config import KINDS, PLACES, PhotorealConfig
from tfstyle.wct2.networks import LEVELS, POOLS, Decoder, Encoder, decoder_shapes

log = logging.getLogger(__name__)

_DEFAULTS = PhotorealConfig()
# Above this many output pixels the full-resolution decoder levels run in strips.
STRIP_PIXELS = 1 << 20
# The shipped decoders: float16 weights trained by tfstyle (see docs/photoreal.md).
DATA_DIR = pathlib.Path(__file__).parent / "data"


def check_transfer_at(places) -> Tuple[str, ...]:
    """`places` as a tuple of `PLACES`, checked as `PhotorealConfig` checks them."""
    return PhotorealConfig(transfer_at=places).transfer_at


def _pad_to_8(image: np.ndarray) -> np.ndarray:
    """Pad [H, W, 3] at the bottom and right to multiples of 8 (three poolings),
    by reflection."""
    h, w = image.shape[:2]
    mode = "reflect" if min(h, w) > 1 else "edge"
    # At least 16 px: level 4 (1/8) must keep 2 positions for the reflection padding.
    return np.pad(image, ((0, max(16, h + (-h) % 8) - h), (0, max(16, w + (-w) % 8) - w), (0, 0)),
                  mode=mode)


@dataclasses.dataclass
class Encoded:
    """An image's features at every place WCT can apply."""
    encoder: Dict[int, object]          # level -> the level's output
    skips: Dict[str, object]            # 'pool1': [LH, HL, HH], 'conv1_2': pre-pool map, ...
    decoder: Dict[int, object]          # level -> the decoder's input at that level


class Photoreal:
    """An encoder/decoder pair; `stylize` is the transfer, `reconstruct` the
    decoder's round trip."""

    def __init__(self, encoder_layers, decoder_layers=None, kind: str = "cat5", seed: int = 0,
                 source: str = ""):
        if kind not in KINDS:
            raise ConfigError(f"`kind` must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.source = source
        try:
            self.encoder = Encoder(encoder_layers, kind)
            self.decoder = Decoder(kind, decoder_layers, seed=seed)
        except ValueError as exc:
            raise WeightsError(str(exc)) from None

    # -- running the networks ------------------------------------------------
    def encode(self, image: np.ndarray, with_decoder: bool = False) -> Encoded:
        """[H, W, 3] (sides multiples of 8) -> its features; with_decoder also
        decodes them back (the style's decoder-level features)."""
        import tensorflow as tf

        x = tf.constant(image[None], tf.float32)
        feats, skips = {}, {}
        for level in LEVELS:
            x = self.encoder.level(level, x, skips)
            feats[level] = x
        decoded = {4: x}
        if with_decoder:  # the decoder's inputs at levels 3, 2, 1 (level 1's output unused)
            for level in (4, 3):
                x = self.decoder.level(level, x, skips)
                decoded[level - 1] = x
            decoded[1] = self._by_strips(2, x, skips)
        return Encoded(feats, skips, decoded)

    def reconstruct(self, image, size: Optional[int] = None) -> np.ndarray:
        """The photo through encoder and decoder, no transfer: [H, W, 3] in [0, 1]."""
        import tensorflow as tf

        photo = as_image(image, size)
        x, skips = self.encoder(tf.constant(_pad_to_8(photo)[None]))
        for level in (4, 3):
            x = self.decoder.level(level, x, skips)
        out = self.decode_full_resolution(x, skips)
        return np.clip(out.numpy()[0, :photo.shape[0], :photo.shape[1]], 0, 1).astype(np.float32)

    def stylize(self, content, style, *, alpha: float = _DEFAULTS.alpha,
                transfer_at: Sequence[str] = _DEFAULTS.transfer_at, content_labels=None,
                style_labels=None, size: Optional[int] = _DEFAULTS.size,
                style_size: Optional[int] = _DEFAULTS.style_size) -> np.ndarray:
        """`content` with the colours and tones of `style`, region by region
        when label maps are given. Returns [H, W, 3] in [0, 1] at `size`.

        Args:
          alpha: at every WCT, alpha * transferred + (1 - alpha) * content.
          transfer_at: where WCT applies: 'encoder', 'skip', 'decoder'.
          content_labels, style_labels: label maps (see `labels.read_label_map`)
            or [H, W] integer arrays, any size (resized by nearest neighbour);
            both or neither.
          size, style_size: long sides (None: the image's own).
        """
        # The controls are validated once, by the config that holds their defaults.
        places = PhotorealConfig(alpha=alpha, transfer_at=transfer_at, size=size,
                                 style_size=style_size).transfer_at
        photo = as_image(content)
        original = photo.shape[:2]
        photo = resize(photo, fit_long_side(original, size))
        _check_size(photo.shape, "content")
        c_in = _pad_to_8(photo)
        statistics, content_map = self._style_side(
            style, style_size, places, content_labels, style_labels,
            content_shapes=(original, photo.shape[:2], c_in.shape[:2]))
        skipped = set()
        x = self._transfer(c_in, statistics, places, alpha, content_map, skipped)
        if skipped:
            log.info("labels %s are in one image only, or too small at some level; their "
                     "regions keep the content's features there", sorted(skipped))
        out = x.numpy()[0, :photo.shape[0], :photo.shape[1]]
        return np.clip(out, 0.0, 1.0).astype(np.float32)

    def _style_side(self, style, style_size: Optional[int], places: Sequence[str],
                    content_labels, style_labels, content_shapes):
        """(the style's statistics at `places`, the content's label map padded
        as the content, or None) for `stylize`. `content_shapes`: the content's
        (original, resized, padded) (height, width)."""
        from tfstyle.wct2 import labels as labels_lib

        if isinstance(style, Encoded):  # encoded once for many photos (`encode_style`)
            if content_labels is not None or style_labels is not None:
                raise ConfigError("label maps need the style image, not its encoded features")
            return self.style_statistics(style, places, None), None
        original, resized, padded = content_shapes
        painting = as_image(style)
        s_original = painting.shape[:2]
        painting = resize(painting, fit_long_side(s_original, style_size))
        _check_size(painting.shape, "style")
        maps = labels_lib.pair(content_labels, style_labels, resized,
                               painting.shape[:2], (original, s_original))
        s_in = _pad_to_8(painting)
        if maps is not None:
            maps = tuple(_pad_labels(m, shape) for m, shape in zip(maps, (padded, s_in.shape[:2])))
        # Only the style's statistics are kept (its features go when this
        # returns): its features at every place would sit beside the
        # content's (7 GB at 2048 px).
        statistics = self.style_statistics(self.encode(s_in, with_decoder="decoder" in places),
                                           places, maps and maps[1])
        return statistics, maps and maps[0]

    def _transfer(self, c_in: np.ndarray, statistics: Encoded, places: Sequence[str],
                  alpha: float, content_map, skipped: set):
        """The padded content `c_in` through encoder and decoder with WCT at
        `places` against the style's `statistics`; labels WCT had to leave
        alone are added to `skipped`."""
        import tensorflow as tf

        def apply(content_feats, style_stats):
            out = wct_lib.transfer_features(
                content_feats.numpy()[0], style_stats, float(alpha), content_map, report=skipped)
            return tf.constant(out[None])

        x = tf.constant(c_in[None])
        skips = {}
        for level in LEVELS:
            x = self.encoder.level(level, x, skips)
            if "encoder" in places:
                x = apply(x, statistics.encoder[level])
        if "skip" in places:
            for pool in POOLS:
                skips[pool] = [apply(c, s) for c, s in zip(skips[pool], statistics.skips[pool])]
        for level in reversed(LEVELS):
            # The decoder's level-4 input is the encoder's output: transferred already
            # when the encoder levels are.
            if "decoder" in places and not (level == 4 and "encoder" in places):
                x = apply(x, statistics.decoder[level])
            if level == 2:
                return self.decode_full_resolution(x, skips, "decoder" in places and (
                    lambda f: apply(f, statistics.decoder[1])))
            x = self.decoder.level(level, x, skips)

    def decode_full_resolution(self, x, skips, between=None, rows: Optional[int] = None):
        """Decoder levels 2 and 1 (from half to full resolution), in strips of
        `rows` output rows when the image is large: a cat5 decoder's level 2
        concatenates 320 channels at full resolution, 5 GB for a 2048 px image
        before its conv. Each strip sees 16 px of its neighbours, more than the
        three 3x3 convs reach, so the strips join into exactly the whole
        image's output. `between(features)`: applied to level 1's input (WCT).
        """
        if between:  # WCT needs level 1's input whole; its statistics are global
            y = between(self._by_strips(2, x, skips, rows))
            return self._by_strips(1, y, skips, rows)
        return self._by_strips((2, 1), x, skips, rows)

    def _by_strips(self, levels, x, skips, rows: Optional[int] = None):
        import tensorflow as tf

        height, width = int(skips["conv1_2"].shape[1]), int(skips["conv1_2"].shape[2])
        rows = rows or max(64, STRIP_PIXELS // width // 16 * 16)
        return tf.concat([self._strip(levels, x, skips, r, min(r + rows, height))
                          for r in range(0, height, rows)], axis=1)

    def _strip(self, levels, x, skips, top: int, bottom: int):
        """Output rows [top, bottom) of decoder `levels` (2, 1 or both)."""
        levels = (levels,) if isinstance(levels, int) else levels
        height = int(skips["conv1_2"].shape[1])
        halo = 16
        lo, hi = max(0, top - halo), min(height, bottom + halo)
        if levels[0] == 2:  # half-resolution input, an even window
            x = x[:, lo // 2:(hi + 1) // 2]
        else:
            x = x[:, lo:hi]
        part = {"pool1": [s[:, lo // 2:(hi + 1) // 2] for s in skips["pool1"]],
                "conv1_2": skips["conv1_2"][:, lo:hi]}
        for level in levels:
            x = self.decoder.level(level, x, part)
        return x[:, top - lo:bottom - lo]

    def encode_style(self, style, config=None) -> Encoded:
        """The style's features at every place, for `stylize` on many photos."""
        from tfstyle.wct2.config import PhotorealConfig

        config = config or PhotorealConfig()
        painting = as_image(style, config.style_size)
        _check_size(painting.shape, "style")
        return self.encode(_pad_to_8(painting), with_decoder=True)

    @staticmethod
    def style_statistics(encoded: Encoded, places: Sequence[str] = PLACES,
                         labels: Optional[np.ndarray] = None) -> Encoded:
        """`encoded` with the features at `places` replaced by what WCT needs
        of them (`wct.style_statistics`, per label of `labels` when given);
        places already converted stay as they are. For `stylize`: many photos
        in one style need the eigendecompositions once."""
        def of(features):
            if features is None:
                raise ConfigError(f"the style was prepared for other places than "
                                  f"{','.join(places)}; prepare it for these")
            if isinstance(features, dict):
                return features
            return wct_lib.style_statistics(np.asarray(features)[0], labels)

        use_encoder, use_decoder = "encoder" in places, "decoder" in places
        decoder = dict(encoded.decoder)
        if decoder.get(4) is None:  # prepared with the encoder: the same features
            decoder[4] = encoded.encoder.get(4)
        return Encoded(
            {level: of(f) if use_encoder else None for level, f in encoded.encoder.items()},
            # (skips prepared for no place are None: `of` refuses them in one line)
            {pool: [of(f) for f in encoded.skips[pool] or [None]] if "skip" in places else None
             for pool in POOLS},
            {level: of(f) if use_decoder and not (level == 4 and use_encoder) else None
             for level, f in decoder.items()})

    def style_transforms(self, encoded: Encoded,
                         places: Sequence[str] = _DEFAULTS.transfer_at) -> dict:
        """Every WCT's style side (`wct.style_transform`) for `stylize_tensor`,
        keyed by place: ('encoder', level), ('decoder', level), (pool, i)."""
        stats = self.style_statistics(encoded, places)
        out = {}
        for part, key in ((stats.encoder, "encoder"), (stats.decoder, "decoder")):
            out.update({(key, level): value[None][1] for level, value in part.items()
                        if value is not None})
        for pool, values in stats.skips.items():
            out.update({(pool, i): value[None][1] for i, value in enumerate(values or ())})
        return out

    def stylize_tensor(self, images, transforms: dict, alpha: float = 1.0):
        """The transfer on tensors, for `tf.data` and batches: [H, W, 3] or
        [B, H, W, 3] (float in [0, 1] or uint8; sides multiples of 8) ->
        float32 of the same shape. `transforms` is `style_transforms(
        encode_style(style))`; its keys say where WCT applies. Traceable.

            transforms = model.style_transforms(model.encode_style("style.jpg"))
            ds = ds.map(lambda x: model.stylize_tensor(x, transforms))
        """
        import tensorflow as tf

        x = tf.image.convert_image_dtype(tf.convert_to_tensor(images), tf.float32)
        single = x.shape.rank == 3
        if single:
            x = x[None]

        def apply(features, key):
            if key not in transforms:
                return features
            return wct_lib.wct_tensor(features, *transforms[key], alpha)

        skips = {}
        for level in LEVELS:
            x = apply(self.encoder.level(level, x, skips), ("encoder", level))
        for pool in POOLS:
            skips[pool] = [apply(part, (pool, i)) for i, part in enumerate(skips[pool])]
        for level in reversed(LEVELS):
            x = self.decoder.level(level, apply(x, ("decoder", level)), skips)
        out = tf.clip_by_value(x, 0.0, 1.0)
        return out[0] if single else out

    # -- weights ---------------------------------------------------------------
    def save(self, path, dtype=np.float16):
        """The decoder's weights as a .npz (float16 by default: half the size,
        well inside the decoder's accuracy)."""
        from tfstyle.core.fileio import atomic_write

        arrays = {"kind": np.array(self.kind)}
        for name, (kernel, bias) in self.decoder.layer_weights().items():
            arrays[f"{name}/kernel"] = kernel.astype(dtype)
            arrays[f"{name}/bias"] = bias.astype(dtype)
        with atomic_write(path) as f:
            np.savez_compressed(f, **arrays)


def _check_size(shape, what: str):
    if min(shape[:2]) < 2:
        raise ConfigError(f"the {what} image is {shape[1]}x{shape[0]} px; photoreal needs at "
                          "least 2 px on each side")


def _pad_labels(labels: np.ndarray, shape) -> np.ndarray:
    h, w = labels.shape
    return np.pad(labels, ((0, shape[0] - h), (0, shape[1] - w)), mode="edge")


def read_decoder(path) -> Tuple[str, Dict[str, Tuple[np.ndarray, np.ndarray]]]:
    """(kind, decoder layers) from a .npz written by `Photoreal.save`."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise WeightsError(f"no such file: {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            kind = str(data["kind"])
            layers = {name: (data[f"{name}/kernel"].astype(np.float32),
                             data[f"{name}/bias"].astype(np.float32))
                      for name in decoder_shapes(kind)}
    except (KeyError, ValueError, OSError, TypeError, EOFError, zipfile.BadZipFile,
            zlib.error) as exc:
        raise WeightsError(f"{path} is not a tfstyle photoreal decoder "
                           f"({exc.__class__.__name__})") from None
    return kind, layers


def shipped_decoder(kind: str = "cat5") -> pathlib.Path:
    return DATA_DIR / f"wct2_decoder_{kind}.npz"


def load_model(decoder=None, *, weights=None, kind: str = "cat5") -> Photoreal:
    """The shipped decoder (or a .npz from training, or an official
    (encoder.pth, decoder.pth) pair) with its encoder."""
    from tfstyle.core.weights import find_vgg19_weights
    from tfstyle.wct2.networks import imagenet_encoder

    if isinstance(decoder, (tuple, list)):
        from tfstyle.wct2.torch_import import read_official

        encoder_layers, decoder_layers, kind = read_official(*decoder)
        return Photoreal(encoder_layers, decoder_layers, kind, source="official")
    path = pathlib.Path(decoder) if decoder is not None else shipped_decoder(kind)
    kind, layers = read_decoder(path)
    vgg = weights or find_vgg19_weights()
    return Photoreal(imagenet_encoder(vgg), layers, kind, source=str(path))


def transfer(content, style, *, model=None, **controls) -> np.ndarray:
    """`Photoreal.stylize` with the shipped model (loaded once) or `model`."""
    return (model if isinstance(model, Photoreal) else _cached(model)).stylize(
        content, style, **controls)


_MODELS: Dict[object, Photoreal] = {}


def _cached(decoder) -> Photoreal:
    key = decoder if decoder is None or isinstance(decoder, str) else tuple(map(str, decoder))
    if key not in _MODELS:
        _MODELS[key] = load_model(decoder)
    return _MODELS[key]
