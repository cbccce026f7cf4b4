"""The dataset layer: a folder of images stylized by any method.

    (core/recipe.py: Recipe, the interface every method's recipe implements)
    folders.py  stylize_dir: mirrored names, resume, manifest; render_one, the per-file step
    beam.py     the same as an Apache Beam pipeline, beyond one machine
"""

from tfstyle.batch.folders import (MANIFEST, BatchItem, BatchProgress, BatchResult, Storage,
                                   changed_settings, check_clashes, check_writable, output_path,
                                   plan, render_one, stylize_dir)
from tfstyle.core.recipe import EMBEDDED_STYLE, Recipe

__all__ = ["MANIFEST", "BatchItem", "BatchProgress", "BatchResult", "Storage", "changed_settings",
           "check_clashes", "check_writable", "output_path", "plan", "render_one", "stylize_dir",
           "EMBEDDED_STYLE", "Recipe"]
