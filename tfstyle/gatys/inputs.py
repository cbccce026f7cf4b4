"""A run's inputs: images sized and checked against the network, masks,
the starting image, and colour preservation before and after (Gatys et al. 2017)."""

from typing import Optional, Sequence, Tuple

import numpy as np

from tfstyle.core import color
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import as_image, load_mask, resize
from tfstyle.core.vgg import pools_before
from tfstyle.gatys.config import StyleConfig

# Largest style or texture image accepted (as float32 RGB, 0.8 GB before the network).
MAX_PIXELS = 64_000_000


def initial_image(config: StyleConfig, shape: Tuple[int, int],
                  content: Optional[np.ndarray] = None,
                  style: Optional[np.ndarray] = None) -> np.ndarray:
    """The [H, W, 3] starting image; `style` is the (first) style image.
    'auto' starts from `content` when there is one, else from white noise."""
    init = config.init
    if init == "auto":
        init = "content" if content is not None else "noise"
    if init == "content" and content is not None:
        return content.copy()
    if init == "style" and style is not None:
        return resize(style, shape)
    if init != "noise":
        raise ConfigError(f"init={init!r} needs a {init} image, and this mode has none")
    # White noise, as in the paper; seeded so runs are reproducible.
    rng = np.random.default_rng(config.seed)
    return rng.uniform(0.0, 1.0, tuple(shape) + (3,)).astype(np.float32)


def check_side(what: str, shape, layers: Sequence[str], fix: str):
    """Every layer needs at least one position after its poolings, or its
    Gram matrix is 0/0 and its content target empty."""
    if not layers:
        return
    deepest = max(layers, key=pools_before)
    need = 2 ** pools_before(deepest)
    if min(shape[:2]) < need:
        raise ConfigError(f"the {what} image is {shape[1]}x{shape[0]} px; layer {deepest} "
                          f"needs a short side of at least {need} px (raise {fix})")


def as_list(images, what: str) -> list:
    sources = list(images) if isinstance(images, (list, tuple)) else [images]
    if not sources:
        raise ConfigError(f"at least one {what} image is needed")
    return sources


def prepare_images(content, style, config: StyleConfig):
    """Content at `config.size`; each style resized to the content's size x its scale.

    Args:
      content: one image (path, PIL image or array).
      style: one image, or a list or tuple of them.

    Returns:
      (content [H, W, 3], list of style images).
    """
    content = as_image(content, config.size)
    sources = as_list(style, "style")
    config.blend_weights(len(sources))  # checks the count early
    height, width = content.shape[:2]
    check_side("content", content.shape, config.layers, "`size`")
    styles = []
    for source, scale in zip(sources, config.style_scales(len(sources))):
        target = (max(1, round(height * scale)), max(1, round(width * scale)))
        check_side("style", target, [n for n, _ in config.style_layers],
                    "`size` or `style_scale`")
        if target[0] * target[1] > MAX_PIXELS:
            raise ConfigError(f"style_scale {scale:g} makes the style image "
                              f"{target[1]}x{target[0]} px; keep it under {MAX_PIXELS // 10**6} Mpx")
        styles.append(resize(as_image(source), target))
    return content, styles


def prepare_masks(masks, style_masks, content, styles, config):
    if masks is None:
        if style_masks is not None:
            raise ConfigError("style masks need output masks too (one per style)")
        return None, None
    masks = list(masks)
    if len(masks) != len(styles):
        raise ConfigError(f"{len(masks)} masks for {len(styles)} style images; give one per style")
    if config.style_blend:
        raise ConfigError("style_blend does not apply with masks: each style has its own region")
    output = [load_mask(m, content.shape[:2], f"mask {i + 1}") for i, m in enumerate(masks)]
    if style_masks is None:
        return output, None
    style_masks = list(style_masks)
    if len(style_masks) != len(styles):
        raise ConfigError(f"{len(style_masks)} style masks for {len(styles)} style images")
    source = [None if m is None else load_mask(m, s.shape[:2], f"style mask {i + 1}")
              for i, (m, s) in enumerate(zip(style_masks, styles))]
    return output, source


def target_images(content: np.ndarray, styles: Sequence[np.ndarray], config: StyleConfig):
    """The images the targets are computed from, after colour preservation
    (`color.before_transfer` with `config.preserve_color`): (content, styles)."""
    pairs = [color.before_transfer(content, s, config.preserve_color) for s in styles]
    return (pairs[0][0] if pairs else content), [s for _, s in pairs]


def finish_image(image: np.ndarray, content: np.ndarray, config: StyleConfig) -> np.ndarray:
    """The optimized image as the user gets it (`color.after_transfer`)."""
    return color.after_transfer(image, content, config.preserve_color)
