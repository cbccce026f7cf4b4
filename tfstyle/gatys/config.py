"""Settings of a Gatys style-transfer run: one frozen dataclass, validated once.

Every default lives here; ``main.py`` reads its flag defaults from this class.
"""

import dataclasses
import math
import numbers
from typing import Optional, Tuple

from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.errors import ConfigError
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
        raise ConfigError(f"{field} must be (layer, weight) pairs") from None
    if not layers:
        raise ConfigError(f"{field} must name at least one layer")
    names = [name for name, _ in layers]
    if len(set(names)) != len(names):
        raise ConfigError(f"{field} names a layer twice")
    for name, weight in layers:
        if not (math.isfinite(weight) and weight >= 0):
            raise ConfigError(f"{field}: weight of {name} must be a finite number >= 0")
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
        raise ConfigError(f"scales must be 'auto', 'none' or long sides in pixels such as "
                          f"256,362, got {text!r}") from None


def _parse_tile_size(text: str):
    """'auto' -> None, 'none' -> 0, '512' -> 512."""
    text = text.strip().lower()
    if text in ("auto", "none"):
        return None if text == "auto" else 0
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"tile_size must be 'auto', 'none' or a tile side in pixels, "
                          f"got {text!r}") from None


@dataclasses.dataclass(frozen=True)
class StyleConfig:
    """Settings of `tfstyle.stylize`. Defaults follow Gatys et al. (CVPR 2016)."""

    # Long side of the output in pixels; the content image is resized to it.
    # None keeps the content image's own size.
    size: Optional[int] = 512
    # Optimizer iterations (L-BFGS iterations or Adam steps).
    steps: int = 500
    # 'lbfgs' (the paper's L-BFGS-B, with pixel bounds) or 'adam'.
    optimizer: str = "lbfgs"
    # Adam step size in [0, 1] pixel units; unused by L-BFGS.
    learning_rate: float = 0.02
    # Starting image: 'noise' (white noise, the paper), 'content' or 'style';
    # 'auto' is the content photo when there is one (a clean result in few
    # steps) and white noise otherwise (textures, reconstructions, several seeds).
    init: str = "auto"
    # Seed of the white-noise initialization.
    seed: int = 0
    # Content representation: (layer, weight) pairs; the paper uses conv4_2.
    content_layers: LayerWeights = PAPER_CONTENT_LAYERS
    # Style representation: (layer, w_l) pairs; the paper uses conv1_1..conv5_1 at 1/5.
    style_layers: LayerWeights = PAPER_STYLE_LAYERS
    # alpha, the content-loss weight of L = alpha*L_content + beta*L_style.
    content_weight: float = 1.0
    # beta, the style-loss weight. With the paper's formulas L_content grows with
    # the pixel count while E_l does not, so a fixed alpha/beta gives more
    # content at larger sizes; see `size_independent`.
    style_weight: float = 6e6
    # True: `style_weight` is beta for a 512 x 512 output and is scaled by the
    # output's pixel count / 512^2, so one value gives the same balance (the
    # same look) at every `size`. False: beta enters the paper's eq. 7 as given
    # (presets/paper.cfg, where the printed alpha/beta = 1e-3 is nearly pure
    # content at 512 px).
    size_independent: bool = True
    # 'avg' (the paper's choice for synthesis) or 'max' (VGG's own) pooling.
    pooling: str = "avg"
    # Rescale VGG so each filter's mean activation is one (the paper's network).
    normalize: bool = True
    # Each style image is resized to the content size times this (paper: 1);
    # one value for all styles, or one per style.
    style_scale: Tuple[float, ...] = (1.0,)
    # Relative weights of several style images (normalized to sum to 1; empty:
    # equal). Their Gram matrices are blended into one target.
    style_blend: Tuple[float, ...] = ()
    # Total-variation weight (squared neighbour differences of [0, 1] pixels),
    # against the high-frequency noise the paper notes; 0 is the paper.
    tv_weight: float = 0.0
    # Keep the content's colours (Gatys et al. 2017): 'luminance' transfers on
    # luminance only and puts back the content's chroma (YIQ); 'histogram'
    # matches the style's colour mean and covariance to the content's first.
    preserve_color: str = "none"
    # Coarse-to-fine (a string is parsed: 'auto', 'none' or '256,362'): long sides of coarser passes run before the final pass
    # at `size`, each pass starting from the previous result upsampled, with
    # Gram targets of its own and beta scaled by its pixel count so alpha/beta
    # keeps its meaning. None: automatic (the output's long side halved while
    # it stays >= 128 px, for outputs above 256 px); (): one pass (the paper).
    scales: Optional[Tuple[int, ...]] = None
    # Iterations of each coarser pass; `steps` counts the final pass's.
    coarse_steps: int = 200
    # Passes too large for memory ('auto', 'none' or a side as text too) are optimized tile by tile, each tile
    # seeing a 96 px halo of its neighbours and matching the global style targets.
    # None: automatic (only a pass that would not fit in the available
    # memory, in the largest tiles that do); 0: never; N: tiles of N x N px
    # (rounded down to a multiple of 16) for every pass larger than that.
    tile_size: Optional[int] = None

    def __post_init__(self):
        def is_int(value):
            return isinstance(value, numbers.Integral) and not isinstance(value, bool)

        if self.size is not None and (not is_int(self.size) or self.size < 16):
            raise ConfigError(f"size must be an integer >= 16 pixels, got {self.size!r}")
        if not is_int(self.steps) or self.steps < 1:
            raise ConfigError(f"steps must be a positive integer, got {self.steps!r}")
        if not is_int(self.seed) or self.seed < 0:
            raise ConfigError(f"seed must be an integer >= 0, got {self.seed!r}")
        for name in ("learning_rate", "content_weight", "style_weight", "tv_weight"):
            if not isinstance(getattr(self, name), numbers.Real):
                raise ConfigError(f"{name} must be a number, got {getattr(self, name)!r}")
        for name in ("style_scale", "style_blend"):
            value = getattr(self, name)
            value = (value,) if isinstance(value, numbers.Real) else tuple(value)
            if not all(isinstance(v, numbers.Real) and math.isfinite(v) for v in value):
                raise ConfigError(f"{name} must be numbers, got {getattr(self, name)!r}")
            object.__setattr__(self, name, tuple(float(v) for v in value))
        if not self.style_scale or any(v <= 0 for v in self.style_scale):
            raise ConfigError(f"style_scale must be > 0, got {self.style_scale!r}")
        if any(v < 0 for v in self.style_blend) or (self.style_blend and sum(self.style_blend) <= 0):
            raise ConfigError(f"style_blend must be weights >= 0 with a positive sum, "
                              f"got {self.style_blend!r}")
        if not (math.isfinite(self.tv_weight) and self.tv_weight >= 0):
            raise ConfigError(f"tv_weight must be a finite number >= 0, got {self.tv_weight!r}")
        if isinstance(self.scales, str):
            object.__setattr__(self, "scales", _parse_scales(self.scales))
        if isinstance(self.tile_size, str):
            object.__setattr__(self, "tile_size", _parse_tile_size(self.tile_size))
        if self.scales is not None:
            scales = (self.scales,) if isinstance(self.scales, numbers.Integral) else tuple(self.scales)
            if not all(is_int(v) and v >= 16 for v in scales):
                raise ConfigError(f"scales must be long sides >= 16 pixels, got {self.scales!r}")
            if any(b <= a for a, b in zip(scales, scales[1:])):
                raise ConfigError(f"scales must grow from coarse to fine, got {self.scales!r}")
            object.__setattr__(self, "scales", tuple(int(v) for v in scales))
        if not is_int(self.coarse_steps) or self.coarse_steps < 1:
            raise ConfigError(f"coarse_steps must be a positive integer, got {self.coarse_steps!r}")
        if self.tile_size is not None and not (
                is_int(self.tile_size) and (self.tile_size == 0 or self.tile_size >= MIN_TILE)):
            raise ConfigError(f"tile_size must be 0 (never tile) or at least {MIN_TILE} px, "
                              f"got {self.tile_size!r}")
        if self.tile_size:
            object.__setattr__(self, "tile_size", self.tile_size // 16 * 16)
        if self.preserve_color not in PRESERVE_COLOR:
            raise ConfigError(f"preserve_color must be one of {PRESERVE_COLOR}, "
                              f"got {self.preserve_color!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if not (self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise ConfigError(f"learning_rate must be > 0, got {self.learning_rate!r}")
        if self.init not in INITS:
            raise ConfigError(f"init must be one of {INITS}, got {self.init!r}")
        if self.pooling not in POOLINGS:
            raise ConfigError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
        for name in ("content_weight", "style_weight"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.content_weight == 0 and self.style_weight == 0:
            raise ConfigError("content_weight and style_weight cannot both be 0")
        # A content layer listed without a weight counts fully; style layers share 1/n.
        object.__setattr__(self, "content_layers",
                           _check_layers("content_layers", self.content_layers, 1.0))
        object.__setattr__(self, "style_layers", _check_layers("style_layers", self.style_layers))

    def blend_weights(self, count: int) -> Tuple[float, ...]:
        """Normalized weights of `count` style images."""
        if not self.style_blend:
            return (1.0 / count,) * count
        if len(self.style_blend) != count:
            raise ConfigError(f"style_blend has {len(self.style_blend)} weights for {count} "
                              "style images")
        total = sum(self.style_blend)
        return tuple(w / total for w in self.style_blend)

    def style_scales(self, count: int) -> Tuple[float, ...]:
        """Scale of each of `count` style images."""
        if len(self.style_scale) == 1:
            return self.style_scale * count
        if len(self.style_scale) != count:
            raise ConfigError(f"style_scale has {len(self.style_scale)} values for {count} "
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
            raise ConfigError(f"scales {self.scales} must all be below the output's long side "
                              f"({long_side} px)")
        return self.scales + (long_side,)

    def check_seeds(self, seeds) -> Tuple[int, ...]:
        """`seeds` as the white-noise starts of one batch (`stylize_seeds`)."""
        seeds = tuple(seeds)
        if (not seeds or not all(isinstance(s, numbers.Integral) and s >= 0 for s in seeds)
                or len(set(seeds)) != len(seeds)):
            raise ConfigError(f"seeds must be different integers >= 0, at least one, got "
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
