"""Settings of a Gatys style-transfer run: one frozen dataclass, validated once.

Every default lives here; ``main.py`` reads its flag defaults from this class.
"""

import dataclasses
import math
import numbers
from typing import Optional, Tuple

from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.errors import ConfigError
from tfstyle.core.options import blend_weights, check_blend, check_choice, check_size, is_int, option
from tfstyle.core.vgg import LAYER_NAMES, POOLINGS, canonical_layer

LayerWeights = Tuple[Tuple[str, float], ...]

OPTIMIZERS = ("lbfgs", "adam")
# The smallest tile side: 8 x 8 conv5_1 positions.
MIN_TILE = 128
INITS = ("auto", "noise", "content", "style")
# `style_weight` is beta as the paper's formulas take it for an output of this
# many pixels (512 x 512); see `StyleConfig.size_independent`.
REFERENCE_PIXELS = 512 * 512

# The paper's style layers conv1_1 ... conv5_1, each weighted 1/5 (w_l in eq. 5).
PAPER_STYLE_LAYERS: LayerWeights = tuple(
    (f"block{b}_conv1", 1.0 / 5) for b in range(1, 6))
PAPER_CONTENT_LAYERS: LayerWeights = (("block4_conv2", 1.0),)


def parse_layer_weights(text: str, default_weight: Optional[float] = None) -> LayerWeights:
    """Parses ``"conv1_1:0.2,block2_conv1,conv3_1:0.5"`` into ((keras_name, w), ...).

    Layers without a weight get `default_weight`, or 1/n for n listed layers.
    """
    items = [item.strip() for item in str(text).split(",") if item.strip()]
    if not items:
        raise ConfigError("empty layer list")
    if default_weight is None:
        default_weight = 1.0 / len(items)
    parsed = []
    for item in items:
        name, _, weight = item.partition(":")
        if weight:
            try:
                value = float(weight)
            except ValueError:
                raise ConfigError(f"layer weight {weight!r} in {item!r} is not a number") from None
        else:
            value = default_weight
        parsed.append((canonical_layer(name), value))
    return tuple(parsed)


def format_layer_weights(layers: LayerWeights) -> str:
    return ",".join(f"{name}:{weight:g}" for name, weight in layers)


def _check_layers(field, layers, default_weight=None):
    if isinstance(layers, str):
        layers = parse_layer_weights(layers, default_weight)
    try:
        layers = tuple((canonical_layer(name), float(weight)) for name, weight in layers)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"`{field}` must be (layer, weight) pairs") from None
    if not layers:
        raise ConfigError(f"`{field}` must name at least one layer")
    names = [name for name, _ in layers]
    if len(set(names)) != len(names):
        raise ConfigError(f"`{field}` names a layer twice")
    for name, weight in layers:
        if not (math.isfinite(weight) and weight >= 0):
            raise ConfigError(f"`{field}`: weight of {name} must be a finite number >= 0")
    return layers


def _parse_scales(text: str):
    """'auto' -> None, 'none' -> (), '256,362' -> (256, 362)."""
    text = text.strip().lower()
    if text == "auto":
        return None
    if text in ("none", ""):
        return ()
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"`scales` must be 'auto', 'none' or long sides in pixels such as "
                          f"256,362, got {text!r}") from None


def _parse_tile_size(text: str):
    """'auto' -> None, 'none' -> 0, '512' -> 512."""
    text = text.strip().lower()
    if text in ("auto", "none"):
        return None if text == "auto" else 0
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"`tile_size` must be 'auto', 'none' or a tile side in pixels, "
                          f"got {text!r}") from None


@dataclasses.dataclass(frozen=True)
class StyleConfig:
    """Settings of `tfstyle.stylize`. Defaults follow Gatys et al. (CVPR 2016)."""

    size: Optional[int] = option(
        512, "Long side of the output in pixels; the content is resized to it (0 or None: "
        "the content's own size).")
    steps: int = option(500, "Optimizer iterations (L-BFGS iterations or Adam steps) of the "
                        "final pass.")
    optimizer: str = option("lbfgs", "lbfgs (the paper's L-BFGS-B, pixels bounded to [0, 1]) "
                            "or adam.", choices=OPTIMIZERS)
    learning_rate: float = option(0.02, "Adam's step size in [0, 1] pixel units (L-BFGS has "
                                  "none).")
    init: str = option(
        "auto", "Starting image: noise (white noise, the paper), content or style; auto is "
        "the content photo when there is one (a clean result in few steps), white noise "
        "otherwise (textures, reconstructions, several seeds).", choices=INITS)
    seed: int = option(0, "Seed of the white-noise start.")
    content_layers: LayerWeights = option(
        PAPER_CONTENT_LAYERS, "Content representation, name[:weight],... (the paper: conv4_2); "
        "a layer without a weight counts fully.", text=format_layer_weights(PAPER_CONTENT_LAYERS))
    style_layers: LayerWeights = option(
        PAPER_STYLE_LAYERS, "Style representation, name[:weight],... (the paper: conv1_1 ... "
        "conv5_1 at 1/5); layers without a weight share 1/n.",
        text=format_layer_weights(PAPER_STYLE_LAYERS))
    content_weight: float = option(1.0, "alpha, the content loss's weight in L = alpha "
                                   "L_content + beta L_style (eq. 7).")
    # L_content grows with the pixel count while E_l does not, so a fixed
    # alpha/beta gives more content at larger sizes; see `size_independent`.
    style_weight: float = option(6e6, "beta, the style loss's weight in eq. 7, for a 512x512 "
                                 "output when size_independent is on.")
    size_independent: bool = option(
        True, "Scale style_weight by the output's pixels / 512^2, so one value gives the same "
        "look at every size; off: beta enters eq. 7 as given (presets/paper.cfg, where the "
        "printed alpha/beta = 1e-3 is nearly pure content at 512 px).")
    pooling: str = option("avg", "VGG19's pooling: avg (the paper's choice for synthesis) or "
                          "max (VGG's own).", choices=POOLINGS)
    normalize: bool = option(True, "Rescale VGG19 so each filter's mean activation is one "
                             "(the paper's network).")
    style_scale: Tuple[float, ...] = option(
        (1.0,), "Each style image is resized to the content's size times this (the paper: "
        "1); one value, or one per style.")
    style_blend: Tuple[float, ...] = option(
        (), "Relative weights of several style images, e.g. 0.7,0.3 (default: equal); their "
        "Gram matrices are blended into one target.")
    tv_weight: float = option(0.0, "Total-variation weight, against the high-frequency noise "
                              "the paper notes (0: the paper).")
    preserve_color: str = option(
        "none", "Keep the content's colours (Gatys et al. 2017): luminance transfers on "
        "luminance only; histogram matches the style's colour mean and covariance to the "
        "content's first.", choices=PRESERVE_COLOR)
    # Each coarse pass starts from the previous result upsampled, with Gram
    # targets of its own and beta scaled by its pixel count.
    scales: Optional[Tuple[int, ...]] = option(
        None, "Coarse-to-fine passes before the final one: auto (the long side halved while "
        "it stays >= 128 px, above 256 px), none (one pass, the paper) or long sides such as "
        "256,362.", text="auto")
    coarse_steps: int = option(200, "Iterations of each coarser pass.")
    # Each tile sees a 96 px halo of its neighbours and matches the global targets.
    tile_size: Optional[int] = option(
        None, "Passes too large for memory run tile by tile: auto (only a pass that would not "
        "fit, in the largest tiles that do), none, or a tile side in pixels (>= 128).",
        text="auto")

    def __post_init__(self):
        self._check_counts()
        self._check_numbers()
        self._check_passes()
        check_choice("preserve_color", self.preserve_color, PRESERVE_COLOR)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("init", self.init, INITS)
        check_choice("pooling", self.pooling, POOLINGS)
        # A content layer listed without a weight counts fully; style layers share 1/n.
        object.__setattr__(self, "content_layers",
                           _check_layers("content_layers", self.content_layers, 1.0))
        object.__setattr__(self, "style_layers", _check_layers("style_layers", self.style_layers))

    def _check_counts(self):
        check_size("size", self.size)
        for name, low in (("steps", 1), ("coarse_steps", 1), ("seed", 0)):
            value = getattr(self, name)
            if not is_int(value) or value < low:
                raise ConfigError(f"`{name}` must be an integer >= {low}, got {value!r}")

    def _check_numbers(self):
        for name in ("learning_rate", "content_weight", "style_weight", "tv_weight"):
            value = getattr(self, name)
            if not (isinstance(value, numbers.Real) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"`{name}` must be a finite number >= 0, got {value!r}")
        if self.learning_rate == 0:
            raise ConfigError("`learning_rate` must be > 0")
        if self.content_weight == 0 and self.style_weight == 0:
            raise ConfigError("`content_weight` and `style_weight` cannot both be 0")
        scale = self.style_scale
        scale = (scale,) if isinstance(scale, numbers.Real) else tuple(scale)
        if not scale or not all(isinstance(v, numbers.Real) and math.isfinite(v) and v > 0
                                for v in scale):
            raise ConfigError(f"`style_scale` must be numbers > 0, got {self.style_scale!r}")
        object.__setattr__(self, "style_scale", tuple(float(v) for v in scale))
        object.__setattr__(self, "style_blend", check_blend("style_blend", self.style_blend))

    def _check_passes(self):
        if isinstance(self.scales, str):
            object.__setattr__(self, "scales", _parse_scales(self.scales))
        if isinstance(self.tile_size, str):
            object.__setattr__(self, "tile_size", _parse_tile_size(self.tile_size))
        if self.scales is not None:
            scales = (self.scales,) if is_int(self.scales) else tuple(self.scales)
            if not all(is_int(v) and v >= 16 for v in scales):
                raise ConfigError(f"`scales` must be long sides >= 16 pixels, got {self.scales!r}")
            if any(b <= a for a, b in zip(scales, scales[1:])):
                raise ConfigError(f"`scales` must grow from coarse to fine, got {self.scales!r}")
            object.__setattr__(self, "scales", tuple(int(v) for v in scales))
        if self.tile_size is not None and not (
                is_int(self.tile_size) and (self.tile_size == 0 or self.tile_size >= MIN_TILE)):
            raise ConfigError(f"`tile_size` must be 0 (never tile) or at least {MIN_TILE} px, "
                              f"got {self.tile_size!r}")
        if self.tile_size:
            object.__setattr__(self, "tile_size", self.tile_size // 16 * 16)

    def blend_weights(self, count: int) -> Tuple[float, ...]:
        """Normalized weights of `count` style images."""
        return blend_weights(self.style_blend, count)

    def style_scales(self, count: int) -> Tuple[float, ...]:
        """Scale of each of `count` style images."""
        if len(self.style_scale) == 1:
            return self.style_scale * count
        if len(self.style_scale) != count:
            raise ConfigError(f"`style_scale` has {len(self.style_scale)} values for {count} "
                              "style images")
        return self.style_scale

    def scale_plan(self, long_side: int) -> Tuple[int, ...]:
        """Long sides of every pass for an output whose long side is `long_side`;
        the last is `long_side` itself."""
        if self.scales is None:
            coarse = []
            if long_side > 256:
                side = long_side // 2
                while side >= 128:
                    coarse.insert(0, side)
                    side //= 2
            return tuple(coarse) + (long_side,)
        if any(s >= long_side for s in self.scales):
            raise ConfigError(f"`scales` {self.scales} must all be below the output's long side "
                              f"({long_side} px)")
        return self.scales + (long_side,)

    def check_seeds(self, seeds) -> Tuple[int, ...]:
        """`seeds` as the white-noise starts of one batch (`stylize_seeds`)."""
        seeds = tuple(seeds)
        if (not seeds or not all(isinstance(s, numbers.Integral) and s >= 0 for s in seeds)
                or len(set(seeds)) != len(seeds)):
            raise ConfigError(f"`seeds` must be different integers >= 0, at least one, got "
                              f"{','.join(str(s) for s in seeds)!r}")
        if self.init not in ("noise", "auto"):
            raise ConfigError(f"`seeds` needs `init`=noise; `init`={self.init} starts every seed "
                              "from the same image")
        return tuple(int(s) for s in seeds)

    def beta(self, pixels: int) -> float:
        """beta of eq. 7 for an output of `pixels` pixels (see `size_independent`)."""
        if not self.size_independent:
            return self.style_weight
        return self.style_weight * pixels / REFERENCE_PIXELS

    @property
    def layers(self) -> Tuple[str, ...]:
        """Every layer the run reads, in network order."""
        used = {name for name, _ in self.content_layers + self.style_layers}
        return tuple(name for name in LAYER_NAMES if name in used)

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["content_layers"] = format_layer_weights(self.content_layers)
        out["style_layers"] = format_layer_weights(self.style_layers)
        return out
