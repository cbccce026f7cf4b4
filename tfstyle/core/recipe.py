"""A method's one seam: the recipe.

A recipe is a frozen dataclass of plain, picklable data: the method's config
and the method's own inputs, declared as `option` fields (style images,
masks, label maps, model files, seeds, ...). Every door builds one and goes
through it: the API (`tfstyle.<method>`), the command line (its flags are
these fields and the config's), folder runs (`tfstyle.batch`), clips
(`tfstyle.clips`) and Beam (`tfstyle.batch.beam`, which rebuilds the
renderer once per worker). So a new method is a folder with a config and a
recipe, and one `Command` in `tfstyle.methods`:

    check(content)       every refusal that needs no model, before one loads
    prepare(callback)    work done once before any image (infrared's fit)
    renderer(...)        the only code that loads the method's model:
                         render(content) -> [H, W, 3] in [0, 1], or a Result
    clip_renderer(...)   the same for clips, with the method's own temporal
                         step where it has one (`FrameRenderer.follow`)
    style_image(read)    what a clip's style distance is measured against
    weights_sha256()     the digest records carry
    settings()           the recipe as records and manifests keep it
"""

import dataclasses
import os
import time
from typing import Callable, ClassVar, Mapping, Optional, Sequence, Tuple

import numpy as np

from tfstyle.core.errors import ConfigError
from tfstyle.core.image import check_readable, load_image
from tfstyle.core.options import fields_of

# How manifests and PNGs name the embedded style when no style is given.
EMBEDDED_STYLE = "embedded:brushstrokes(512, seed=0)"
# The help of the inputs several methods share (their flags read the same everywhere).
STYLE_HELP = "Style image; repeat the flag for several (default: tfstyle's embedded painting)."
STYLE_MASK_HELP = ("One mask per style, white where that style goes; pixels no mask covers keep "
                   "the content photo.")
MASKS_ONE_IMAGE = "masks belong to one content image; not with `content_dir`"


class FrameRenderer:
    """What a clip's frames go through: `render(frame)`, and `follow(frame,
    warped, masks, weight)` for a method with its own temporal step (Gatys';
    None: the clip blends the outputs)."""

    follow: Optional[Callable] = None

    def __init__(self, render: Callable, follow: Optional[Callable] = None):
        self._render, self.follow = render, follow

    def __call__(self, frame):
        return image_of(self._render(frame))


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What is done to every image. Subclasses are frozen dataclasses: a
    `config` field (internal) and the method's inputs as `option` fields."""

    command: ClassVar[str] = ""
    # The API's positional inputs after `content` (`tfstyle.transfer(photo, painting)`).
    positional: ClassVar[Tuple[str, ...]] = ("style",)
    # Whether the method renders a content image (a texture has none).
    takes_content: ClassVar[bool] = True
    # Inputs that belong to one content image, refused for a folder run: name -> why.
    single_image: ClassVar[Mapping[str, str]] = {}
    # The fields that name input images (each must decode before any model loads).
    image_fields: ClassVar[Tuple[str, ...]] = ("style",)

    def __post_init__(self):
        if type(self) is Recipe:
            raise TypeError("Recipe is the interface: each method has its own recipe")

    @classmethod
    def config_class(cls) -> type:
        return next(f.type for f in dataclasses.fields(cls) if f.name == "config")

    @classmethod
    def inputs(cls):
        """The method's own inputs (`option` fields), as the CLI's flags and the API's keywords."""
        return fields_of(cls)

    @classmethod
    def build(cls, config=None, overrides: Optional[Mapping] = None, **inputs) -> "Recipe":
        """The recipe of `inputs` and `config` with `overrides` (its fields) on top."""
        from tfstyle.core.options import configure

        return cls(config=configure(cls.config_class(), config, overrides), **inputs)

    # ---- the seam

    def input_files(self) -> Tuple[str, ...]:
        """Every local file the run reads (an output may be none of them)."""
        return files_of(self.styles)

    def image_files(self) -> Tuple[str, ...]:
        """The input files that are images (each must decode)."""
        values = []
        for name in self.image_fields:
            value = getattr(self, name)
            values += list(value) if isinstance(value, tuple) else [value]
        return files_of(values)

    def check(self, content=None):
        """Every refusal that needs no model, before one loads (`content`:
        the one photo of a single-image run, when there is one)."""
        check_readable(list(self.image_files()))

    def check_folder(self):
        """What refuses a folder run beyond `single_image` (default: nothing)."""

    def prepare(self, callback=None) -> "Recipe":
        """The recipe with what is computed once before any image (default: itself)."""
        return self

    def renderer(self, read: Callable = load_image, fetch: Callable = str,
                 callback=None) -> Callable:
        """Loads what every image needs once (weights, model, encoded styles)
        and returns render(content: path or array) -> [H, W, 3] in [0, 1]
        (or a `Result` with losses). `read(path)` reads the style images and
        `fetch(path)` gives a local copy of a model or weights file (Beam
        passes both for its file systems). `callback` receives progress."""
        raise NotImplementedError

    def clip_renderer(self, read: Callable = load_image, fetch: Callable = str) -> FrameRenderer:
        """The renderer for a clip's frames (the method's own temporal step, if any)."""
        return FrameRenderer(self.renderer(read, fetch))

    def style_image(self, read: Callable = load_image) -> Optional[np.ndarray]:
        """The style image a clip is measured against: the first style, or
        the embedded painting; None where the method has no style image."""
        return default_styles(self.styles, read)[0]

    def vgg_weights_file(self) -> Optional[str]:
        """The VGG19 weights file the method reads, if it names one (clips
        measure the style distance with the same weights)."""
        value = getattr(self, "vgg_weights", None)
        return value if isinstance(value, str) else None

    def weights_sha256(self) -> str:
        """What identifies the network's weights in records ('' where unknown)."""
        return ""

    def settings(self) -> dict:
        """The recipe as the manifest and the PNGs record it (JSON values)."""
        return {"command": self.command, **self.config.to_dict()}

    # ---- shared by the doors

    @property
    def styles(self) -> Tuple[str, ...]:
        return tuple(getattr(self, "style", ()))

    def result(self, out, start: float, callback=None):
        """What `render` gave, as the API's `Result`, with this recipe's record."""
        from tfstyle.core.result import Result, finish

        if isinstance(out, Result):
            return dataclasses.replace(out, settings=self.settings(),
                                       weights_sha256=self.weights_sha256())
        if isinstance(out, (list, tuple)):
            return tuple(self.result(o, start, None) for o in out)
        return finish(out, self.settings(), start, callback, self.weights_sha256())

    def run(self, content, callback=None):
        """The API's one call: check, prepare, render, the `Result`."""
        self.check(content)
        recipe = self.prepare(callback)
        render = recipe.renderer(callback=callback)
        start = time.perf_counter()
        return recipe.result(render(content), start, callback)


def image_of(out) -> np.ndarray:
    """A renderer's output as an image (a `Result` gives its `.image`)."""
    return out.image if hasattr(out, "image") and not isinstance(out, np.ndarray) else out


def paths(value) -> tuple:
    """One path or several as a tuple of str (loaded objects kept as they are)."""
    if value is None:
        return ()
    if isinstance(value, (str, os.PathLike)):
        return (str(value),)
    if isinstance(value, (list, tuple)):
        return tuple(str(v) if isinstance(v, (str, os.PathLike)) else v for v in value)
    return (value,)


def images(value) -> tuple:
    """Style images or masks: paths as str, arrays and PIL images kept; one or several."""
    if value is None:
        return ()
    if isinstance(value, (str, os.PathLike)) or hasattr(value, "shape") or hasattr(
            value, "getpixel"):
        value = [value]
    return tuple(str(v) if isinstance(v, (str, os.PathLike)) else v for v in value)


def files_of(values: Sequence) -> Tuple[str, ...]:
    """The local paths among `values` (arrays and loaded models are no files)."""
    return tuple(v for v in values if isinstance(v, str) and v and "://" not in v)


def check_files(values: Sequence):
    """Every local path among `values` exists."""
    for path in files_of(values):
        if not os.path.isfile(path):
            raise ConfigError(f"no such file: {path}")


def set_field(recipe, name: str, value):
    """Sets a field of a frozen recipe in its own __post_init__."""
    object.__setattr__(recipe, name, value)


def vgg_weights_of(value, fetch: Callable = str):
    """VGG19 weights from a recipe's `vgg_weights`: a loaded `VGGWeights`,
    a file (fetched where it lives elsewhere), or None (found)."""
    from tfstyle.core.weights import VGGWeights, find_vgg19_weights

    if isinstance(value, VGGWeights):
        return value
    return find_vgg19_weights(value and fetch(value))


def style_record(styles) -> list:
    """Style inputs as records name them: paths, "array" for an image given
    as pixels, the embedded painting when there are none."""
    return [s if isinstance(s, str) else "array" for s in styles] or [EMBEDDED_STYLE]


def default_styles(styles, read: Callable) -> list:
    """The recipe's style images read, or the embedded painting."""
    from tfstyle.core.samples import brushstrokes

    return [read(s) if isinstance(s, str) else s for s in styles] or [brushstrokes(512)]


def renamed(given: Mapping, names: Mapping[str, str]):
    """Refuses keywords that were renamed: one line saying the new name."""
    for old, new in names.items():
        if old in given:
            raise ConfigError(f"`{old}` was renamed to `{new}`")
