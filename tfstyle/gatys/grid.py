"""The paper's comparison figures as one command: a labelled contact sheet.

Gatys et al. (CVPR 2016) show how the result changes with the style layers
used (Fig. 3/4 rows: conv1_1, then + conv2_1, ... + conv5_1), with the ratio
alpha/beta (Fig. 3/4 columns) and with the content layer (Fig. 5: conv2_2
against conv4_2). `style_grid` renders such a grid; every cell shares one
network and one set of targets, encoded once.
"""

import dataclasses
import time
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tfstyle.gatys.config import PAPER_STYLE_LAYERS, LayerWeights, StyleConfig
from tfstyle.core.errors import ConfigError
from tfstyle.core.image import resize, to_uint8

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


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType: the bitmap font
        return ImageFont.load_default()


def contact_sheet(rows: Sequence[Sequence[np.ndarray]], row_labels: Optional[Sequence[str]] = None,
                  column_labels: Optional[Sequence[str]] = None, gap: int = 4,
                  font_size: Optional[int] = None) -> np.ndarray:
    """Lays images out in a grid with column headers and row labels.

    Every image is resized to the first one's height (keeping its aspect
    ratio); columns are as wide as their widest image.
    """
    if not rows or not rows[0]:
        raise ConfigError("a contact sheet needs at least one image")
    height = rows[0][0].shape[0]
    tiles = [[resize(im, (height, max(1, round(im.shape[1] * height / im.shape[0]))))
              for im in row] for row in rows]
    ncols = max(len(row) for row in tiles)
    widths = [max(row[c].shape[1] for row in tiles if c < len(row)) for c in range(ncols)]
    size = font_size or max(11, min(24, height // 12))
    font = _font(size)
    # Shrink the text until every header word fits its column.
    while size > 7 and any(font.getbbox(word)[2] > widths[c] - 4
                           for c, label in enumerate(column_labels or ())
                           for word in label.split(" ")):
        size -= 1
        font = _font(size)
    line_h = font.getbbox("Ag_")[3] + 2
    headers = [_wrap(label, font, widths[c]) for c, label in enumerate(column_labels or ())]
    left = (max(font.getbbox(label)[2] for label in row_labels) + 2 * gap) if row_labels else 0
    top = max(len(lines) for lines in headers) * line_h + 4 if headers else 0
    sheet = Image.new("RGB", (left + sum(widths) + gap * (ncols - 1),
                              top + len(tiles) * height + gap * (len(tiles) - 1)), "white")
    draw = ImageDraw.Draw(sheet)
    xs = [left + sum(widths[:c]) + gap * c for c in range(ncols)]
    for c, lines in enumerate(headers):
        for i, line in enumerate(lines):
            draw.text((xs[c] + 2, 2 + i * line_h), line, fill="black", font=font)
    for r, row in enumerate(tiles):
        y = top + r * (height + gap)
        if row_labels:
            draw.text((gap, y + height // 2), row_labels[r], fill="black", font=font, anchor="lm")
        for c, tile in enumerate(row):
            sheet.paste(Image.fromarray(to_uint8(tile)), (xs[c], y))
    return np.asarray(sheet, np.float32) / 255.0


def _wrap(text: str, font, width: int) -> list:
    """Splits `text` at spaces into lines no wider than `width` where it can."""
    lines = []
    for word in text.split(" "):
        if lines and font.getbbox(lines[-1] + " " + word)[2] <= width - 4:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


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
    from tfstyle.core.weights import find_vgg19_weights
    from tfstyle.gatys.inputs import finish_image, initial_image, prepare_images, target_images
    from tfstyle.gatys.objective import GatysObjective
    from tfstyle.gatys.passes import network, offset_progress, optimize
    from tfstyle.gatys.targets import compute_targets
    from tfstyle.gatys.transfer import StyleResult

    config = config or StyleConfig()
    content_layer_sets = tuple(content_layer_sets or (config.content_layers,))
    style_layer_sets = tuple(style_layer_sets)
    if ratios is None:
        ratio = config.content_weight / config.style_weight if config.style_weight else 1.0
        ratios = (ratio * 10, ratio, ratio / 10)
    ratios = tuple(float(r) for r in ratios)
    if not ratios or not all(np.isfinite(r) and r > 0 for r in ratios):
        raise ConfigError(f"alpha/beta ratios must be numbers > 0, got {ratios!r}")
    if not style_layer_sets:
        raise ConfigError("a grid needs at least one style layer set")
    if config.scales:
        raise ConfigError("grid cells run one pass each (the paper's); scales does not apply")
    alpha = config.content_weight or 1.0
    rows = [(c, s) for c in content_layer_sets for s in style_layer_sets]
    # Every cell's settings are validated before the first cell runs.
    cell_configs = [[dataclasses.replace(config, content_layers=content_layers,
                                         style_layers=style_layers, content_weight=alpha,
                                         style_weight=alpha / ratio, scales=())
                     for ratio in ratios] for content_layers, style_layers in rows]
    # One config holding every layer any cell reads: it sizes the images, the
    # network and the targets for the whole grid.
    union = dataclasses.replace(
        config, content_layers=_union(content_layer_sets), style_layers=_union(style_layer_sets))
    content, styles = prepare_images(content, style, union)
    weights = weights or find_vgg19_weights()
    extractor = network(weights, union, union.layers)
    target_content, target_styles = target_images(content, styles, config)
    targets = compute_targets(
        extractor, target_content, target_styles,
        content_layers=[n for n, _ in union.content_layers],
        style_layers=[n for n, _ in union.style_layers], blend=config.blend_weights(len(styles)))
    init = initial_image(config, content.shape[:2], target_content, target_styles[0])
    total_steps = len(rows) * len(ratios) * config.steps
    start = time.perf_counter()
    cells = []
    for r, row in enumerate(cell_configs):
        for c, cell_config in enumerate(row):
            objective = GatysObjective.from_config(extractor, targets, cell_config,
                                                   pixels=content.shape[0] * content.shape[1])
            done = (r * len(ratios) + c) * config.steps
            cell_start = time.perf_counter()
            out = optimize(objective, init, cell_config,
                                 offset_progress(callback, done, total_steps, start))
            image = finish_image(out.image, content, cell_config)
            cells.append(GridCell(r, c, StyleResult(
                image, out.losses, out.steps, out.evaluations,
                time.perf_counter() - cell_start, weights.sha256, cell_config)))
    multi = len(content_layer_sets) > 1
    row_labels = tuple((f"content {layer_set_label(cl)}, " if multi else "")
                       + f"style {layer_set_label(sl)}" for cl, sl in rows)
    column_labels = tuple(f"alpha/beta = {ratio:.3g}" for ratio in ratios)
    images = [[cell.result.image for cell in cells[r * len(ratios):(r + 1) * len(ratios)]]
              for r in range(len(rows))]
    sheet = contact_sheet(images, row_labels, column_labels)
    return GridResult(sheet, tuple(cells), row_labels, column_labels,
                      time.perf_counter() - start, weights.sha256)


def _union(sets: Sequence[LayerWeights]) -> LayerWeights:
    seen = {}
    for layers in sets:
        for name, weight in layers:
            seen.setdefault(name, weight)
    return tuple(seen.items())
