"""Contact sheet labels read as written."""

import numpy as np
from PIL import Image, ImageDraw

from tfstyle.core.sheet import _font, _text


def test_grid_labels_keep_layer_names_together():
    """The default font's figures are tabular: "conv1_1" drawn as is reads
    "conv1_ 1"; the sheet closes that gap."""
    def gap_after_underscore(draw_it):
        image = np.asarray(_draw(draw_it)) < 128
        underscore = np.flatnonzero(image[-8:].any(axis=0) & ~image[:-8].any(axis=0))
        ink = np.flatnonzero(image.any(axis=0))
        after = ink[ink > underscore.max()]
        return int(after.min() - underscore.max() - 1)

    def _draw(draw_it):
        image = Image.new("L", (120, 20), 255)
        draw_it(ImageDraw.Draw(image), _font(11))
        return image

    plain = gap_after_underscore(lambda d, f: d.text((2, 2), "conv1_1", fill="black", font=f))
    ours = gap_after_underscore(lambda d, f: _text(d, (2, 2), "conv1_1", f))
    assert plain >= 2 and ours <= 1, (plain, ours)
