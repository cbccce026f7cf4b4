"""The one interface between the dataset layer and a method.

A recipe is plain, picklable data saying what is done to every image of a
folder run. The folder loop (`tfstyle.batch.stylize_dir`) and the Beam
pipeline (`tfstyle.batch.beam`, which rebuilds it once per worker) only call
these two methods, so a new method needs a recipe of its own and nothing in
this package changes.
"""

import abc
from typing import Callable

import numpy as np

from tfstyle.core.image import load_image

# How manifests and PNGs name the embedded style when no style is given.
EMBEDDED_STYLE = "embedded:brushstrokes(512, seed=0)"


class Recipe(abc.ABC):
    """What is done to every image of a batch."""

    @abc.abstractmethod
    def renderer(self, read: Callable = load_image,
                 fetch: Callable = str) -> Callable[[object], np.ndarray]:
        """Loads what every image needs once (weights, model, encoded styles)
        and returns render(content: path or array) -> [H, W, 3] in [0, 1].
        `read(path)` reads the style images and `fetch(path)` gives a local
        copy of a model or weights file (Beam passes both for its file
        systems)."""

    @abc.abstractmethod
    def settings(self) -> dict:
        """The recipe as the manifest and the PNGs record it (JSON values)."""


def default_styles(styles, read: Callable) -> list:
    """The recipe's style images read, or the embedded painting."""
    from tfstyle.core.samples import brushstrokes

    return [read(s) for s in styles] or [brushstrokes(512)]
