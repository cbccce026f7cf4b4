"""Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural
Networks" (CVPR 2016): style transfer by optimizing the pixels.

    config.py       StyleConfig: every setting, validated once
    transfer.py     stylize, stylize_seeds: coarse-to-fine passes, seed batches
    experiments.py  reconstruct_content, synthesize_texture (paper Fig. 1)
    grid.py         style_grid: layer sets x alpha/beta sheets (Fig. 3/4/5)
    inputs.py       image sizes, masks, starting image, colour preservation
    targets.py      content responses and Gram matrices, encoded once
    objective.py    the loss against those targets (eq. 7), whole or per tile
    passes.py       pass planning and the optimizer run of each pass
    tiles.py        images larger than memory: encoding and optimizing by tiles
    recipe.py       GatysRecipe: a folder run (tfstyle.batch) with this method
"""

from tfstyle.core.lazy import attach
from tfstyle.gatys.config import StyleConfig

__getattr__, __dir__ = attach(__name__, {
    "stylize": "tfstyle.gatys.transfer",
    "stylize_seeds": "tfstyle.gatys.transfer",
    "StyleResult": "tfstyle.gatys.transfer",
    "reconstruct_content": "tfstyle.gatys.experiments",
    "synthesize_texture": "tfstyle.gatys.experiments",
    "style_grid": "tfstyle.gatys.grid",
    "GridResult": "tfstyle.gatys.grid",
    "compute_targets": "tfstyle.gatys.targets",
    "Targets": "tfstyle.gatys.targets",
    "GatysObjective": "tfstyle.gatys.objective",
    "GatysRecipe": "tfstyle.gatys.recipe",
})

__all__ = ["StyleConfig", "stylize", "stylize_seeds", "StyleResult", "reconstruct_content",
           "synthesize_texture", "style_grid", "GridResult", "compute_targets", "Targets",
           "GatysObjective", "GatysRecipe"]
