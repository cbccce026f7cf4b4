"""The paper's comparison figures as one command: a labelled contact sheet.

Gatys et al. (CVPR 2016) show how the result changes with the style layers
used (Fig. 3/4 rows: conv1_1, then + conv2_1, ... + conv5_1), with the ratio
alpha/beta (Fig. 3/4 columns) and with the content layer (Fig. 5: conv2_2
against conv4_2). `style_grid` renders such a grid; every cell shares one
network and one set of targets, encoded once.
"""

import dataclasses
import time
from typing import Mapping, Optional, Sequence, Tuple

import numpy as np

from tfstyle.core.errors import ConfigError
from tfstyle.core.sheet import contact_sheet
from tfstyle.gatys.config import PAPER_STYLE_LAYERS, LayerWeights, StyleConfig

# Fig. 3's rows: conv1_1; conv1_1 + conv2_1; ...; conv1_1 ... conv5_1, equal weights.
PAPER_STYLE_LAYER_SETS: Tuple[LayerWeights, ...] = tuple(
    tuple((name, 1.0 / k) for name, _ in PAPER_STYLE_LAYERS[:k]) for k in range(1, 6))


def paper_name(layer: str) -> str:
    """``block4_conv2`` -> ``conv4_2``, the paper's name."""
    block, conv = layer.split("_")
    return f"conv{block[len('block'):]}_{conv[len('conv'):]}"


def layer_set_label(layers: LayerWeights) -> str:
    names = [paper_name(name) for name, _ in layers]
    paper_order = [paper_name(name) for name, _ in PAPER_STYLE_LAYERS]
    if len(names) > 2 and names == paper_order[:len(names)]:
        return f"{names[0]}..{names[-1]}"
    return "+".join(names)


@dataclasses.dataclass(frozen=True)
class GridCell:
    row: int
    column: int
    result: "object"               # a StyleResult; its .config holds the cell's settings


@dataclasses.dataclass(frozen=True)
class GridResult:
    sheet: np.ndarray              # the labelled contact sheet, float32 RGB in [0, 1]
    cells: Tuple[GridCell, ...]    # row-major
    row_labels: Tuple[str, ...]
    column_labels: Tuple[str, ...]
    seconds: float                 # wall time of the whole grid
    weights_sha256: str
    record: Optional[Mapping] = None  # the run's record, where a recipe made it

    @property
    def image(self) -> np.ndarray:
        """The sheet, as every method's `Result` has its image."""
        return self.sheet

    @property
    def settings(self) -> dict:
        if self.record is not None:
            return dict(self.record)
        return {"method": "grid", "rows": list(self.row_labels),
                "columns": list(self.column_labels)}

    @property
    def losses(self) -> dict:
        return {f"{c.row},{c.column}": c.result.losses["total"] for c in self.cells}


def format_layer_sets(sets: Sequence[LayerWeights]) -> str:
    """The inverse of `parse_layer_sets` for equally weighted sets, in the paper's names."""
    return ";".join(",".join(paper_name(name) for name, _ in layers) for layers in sets)


def parse_layer_sets(text: str, default_weight: Optional[float] = None) -> Tuple[LayerWeights, ...]:
    """``"conv1_1;conv1_1,conv2_1"`` -> one `LayerWeights` per ``;``-separated set."""
    from tfstyle.gatys.config import parse_layer_weights

    sets = [part for part in str(text).split(";") if part.strip()]
    if not sets:
        raise ConfigError("empty list of layer sets")
    return tuple(parse_layer_weights(part, default_weight) for part in sets)


def style_grid(content, style, config: Optional[StyleConfig] = None, *,
               style_layer_sets: Sequence[LayerWeights] = PAPER_STYLE_LAYER_SETS,
               ratios: Optional[Sequence[float]] = None,
               content_layer_sets: Optional[Sequence[LayerWeights]] = None,
               weights=None, callback=None) -> GridResult:
    """Renders the paper's comparison grid (Fig. 3/4/5) as one contact sheet.

    Args:
      content, style: as for `stylize` (style may be a list, blended).
      config: the settings every cell shares (size, steps, optimizer, seed,
        alpha = content_weight, colour preservation, ...).
      style_layer_sets: one row per set (Fig. 3: conv1_1 up to conv1_1..conv5_1).
      ratios: one column per alpha/beta; beta = alpha / ratio. Default: the
        config's own ratio times 10, 1 and 0.1.
      content_layer_sets: when given, the rows repeat once per content layer
        set (Fig. 5: conv2_2 against conv4_2); default: the config's.
      callback: receives `optim.Progress` with steps counted over the whole grid.

    Every cell starts from the same image (same seed), so the differences
    come from the settings alone.
    """
    from tfstyle.gatys.passes import offset_progress

    config = config or StyleConfig()
    content_layer_sets = tuple(content_layer_sets or (config.content_layers,))
    style_layer_sets = tuple(style_layer_sets)
    ratios = _ratios(config, ratios)
    if not style_layer_sets:
        raise ConfigError("a grid needs at least one style layer set")
    if config.scales:
        raise ConfigError("grid cells run one pass each (the paper's); scales does not apply")
    rows = [(c, s) for c in content_layer_sets for s in style_layer_sets]
    # Every cell's settings are validated before the first cell runs.
    cell_configs = _cell_configs(config, rows, ratios)
    # One config holding every layer any cell reads: it sizes the images, the
    # network and the targets for the whole grid.
    union = dataclasses.replace(
        config, content_layers=_union(content_layer_sets), style_layers=_union(style_layer_sets))
    shared = _encode_once(content, style, config, union, weights)
    total_steps = len(rows) * len(ratios) * config.steps
    start = time.perf_counter()
    cells = [_run_cell(shared, r, c, cell_config,
                       offset_progress(callback, (r * len(ratios) + c) * config.steps,
                                       total_steps, start))
             for r, row in enumerate(cell_configs) for c, cell_config in enumerate(row)]
    row_labels, column_labels = _labels(rows, ratios, len(content_layer_sets) > 1)
    images = [[cell.result.image for cell in cells[r * len(ratios):(r + 1) * len(ratios)]]
              for r in range(len(rows))]
    sheet = contact_sheet(images, row_labels, column_labels)
    return GridResult(sheet, tuple(cells), row_labels, column_labels,
                      time.perf_counter() - start, shared.weights_sha256)


def _ratios(config: StyleConfig, ratios: Optional[Sequence[float]]) -> Tuple[float, ...]:
    """The grid's alpha/beta columns, checked; by default the config's own
    ratio of its weights times 10, 1 and 0.1."""
    if ratios is None:
        ratio = config.content_weight / config.style_weight if config.style_weight else 1.0
        ratios = (ratio * 10, ratio, ratio / 10)
    ratios = tuple(float(r) for r in ratios)
    if not ratios or not all(np.isfinite(r) and r > 0 for r in ratios):
        raise ConfigError(f"alpha/beta ratios must be numbers > 0, got {ratios!r}")
    return ratios


def _cell_configs(config: StyleConfig, rows, ratios: Sequence[float]) -> list:
    """Each cell's settings, row by row. A cell's alpha/beta is set through
    its own `style_weight` (in the config's units, so `size_independent`
    holds), which makes its config the `stylize` run that reproduces it."""
    alpha = config.content_weight or 1.0
    return [[dataclasses.replace(config, content_layers=content_layers,
                                 style_layers=style_layers, content_weight=alpha,
                                 style_weight=alpha / ratio, scales=())
             for ratio in ratios] for content_layers, style_layers in rows]


@dataclasses.dataclass(frozen=True)
class _Shared:
    """What every cell of a grid reads, made once."""
    content: np.ndarray            # the content image at the grid's size
    extractor: object              # the network, up to every layer any cell reads
    targets: object                # `Targets` at all those layers
    init: np.ndarray               # every cell's start
    weights_sha256: str


def _encode_once(content, style, config: StyleConfig, union: StyleConfig, weights) -> _Shared:
    """Sizes the images as `union` says and encodes them once for every cell."""
    from tfstyle.core.weights import find_vgg19_weights
    from tfstyle.gatys.inputs import initial_image, prepare_images, target_images
    from tfstyle.gatys.passes import network
    from tfstyle.gatys.targets import compute_targets

    content, styles = prepare_images(content, style, union)
    weights = weights or find_vgg19_weights()
    extractor = network(weights, union, union.layers)
    target_content, target_styles = target_images(content, styles, config)
    targets = compute_targets(
        extractor, target_content, target_styles,
        content_layers=[n for n, _ in union.content_layers],
        style_layers=[n for n, _ in union.style_layers], blend=config.blend_weights(len(styles)))
    init = initial_image(config, content.shape[:2], target_content, target_styles[0])
    return _Shared(content, extractor, targets, init, weights.sha256)


def _run_cell(shared: _Shared, row: int, column: int, config: StyleConfig,
              progress) -> GridCell:
    """One cell: `config`'s objective on the shared targets, from the shared start."""
    from tfstyle.gatys.inputs import finish_image
    from tfstyle.gatys.objective import GatysObjective
    from tfstyle.gatys.passes import optimize
    from tfstyle.gatys.transfer import StyleResult

    height, width = shared.content.shape[:2]
    objective = GatysObjective.from_config(shared.extractor, shared.targets, config,
                                           pixels=height * width)
    start = time.perf_counter()
    out = optimize(objective, shared.init, config, progress)
    image = finish_image(out.image, shared.content, config)
    return GridCell(row, column, StyleResult(image, out.losses, out.steps, out.evaluations,
                                             time.perf_counter() - start,
                                             shared.weights_sha256, config))


def _labels(rows, ratios: Sequence[float], multi: bool) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(row labels, column labels); rows name their content layers when they vary."""
    row_labels = tuple((f"content {layer_set_label(cl)}, " if multi else "")
                       + f"style {layer_set_label(sl)}" for cl, sl in rows)
    return row_labels, tuple(f"alpha/beta = {ratio:.3g}" for ratio in ratios)


def _union(sets: Sequence[LayerWeights]) -> LayerWeights:
    seen = {}
    for layers in sets:
        for name, weight in layers:
            seen.setdefault(name, weight)
    return tuple(seen.items())
