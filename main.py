"""tfstyle command line: neural style transfer (Gatys et al. 2016) with TensorFlow.

    python main.py --content=photo.jpg --style=painting.jpg --output=out.png

With no --content/--style it renders tfstyle's embedded sample (a CC0 photo of
a cat from scikit-image in tfstyle's own generated brush-stroke style).
Settings can come from a file: --flagfile=presets/paper.cfg.

The paper's other experiments are modes:
    --mode=content_reconstruction --content_layers=conv2_2   (Fig. 1, bottom)
    --mode=texture --style_layers=conv1_1,conv2_1 --output_size=640x360   (Fig. 1, top)
    --mode=grid   (Fig. 3/4/5: style layer sets x alpha/beta, one labelled sheet)

AdaIN (Huang & Belongie 2017), one forward pass per image:
    --mode=train_adain --content_dir=photos --style_dir=paintings --output=adain.weights.h5
    --mode=adain --adain_model=adain.weights.h5 --content=photo.jpg --style=painting.jpg
    --mode=adain --adain_model=... --style=painting.jpg --content_dir=photos --output_dir=out
"""

import os
import pathlib
import sys

import logging as std_logging

from absl import app, flags, logging

from tfstyle.config import OPTIMIZERS, INITS, PRESERVE_COLOR, StyleConfig, TrainConfig, \
    format_layer_weights, parse_layer_weights
from tfstyle.batch import EMBEDDED_STYLE
from tfstyle.errors import ConfigError, TfstyleError
from tfstyle.grid import PAPER_STYLE_LAYER_SETS, format_layer_sets
from tfstyle.vgg import POOLINGS

_D = StyleConfig()
_T = TrainConfig()
MODES = ("transfer", "content_reconstruction", "texture", "grid", "adain", "train_adain")

_MODE = flags.DEFINE_enum(
    "mode", "transfer", MODES,
    "transfer: content in the style of --style. content_reconstruction: an image from noise "
    "matching --content_layers only. texture: a texture from noise matching --style's Gram "
    "matrices at --style_layers. grid: a labelled sheet of style layer sets x alpha/beta. "
    "adain: AdaIN's one-pass transfer with a trained model. train_adain: train an AdaIN decoder.")

_CONTENT = flags.DEFINE_string("content", None, "Content image path (default: embedded sample photo).")
_STYLE = flags.DEFINE_multi_string(
    "style", None, "Style image path; repeat for several styles (default: embedded painting).")
_OUTPUT = flags.DEFINE_string("output", "stylized.png", "Output image path (.png keeps the settings); "
                              "--mode=train_adain: the model file (default adain.weights.h5).")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace --output if it exists.")
_SIZE = flags.DEFINE_integer("size", _D.size, "Long side of the output in pixels; 0 keeps the content's size.")
_STEPS = flags.DEFINE_integer("steps", _D.steps, "Optimizer iterations; --mode=train_adain: "
                              f"training iterations in all (default {_T.steps:,}, the paper's).")
_OPTIMIZER = flags.DEFINE_enum("optimizer", _D.optimizer, OPTIMIZERS, "L-BFGS (the paper's) or Adam.")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", _D.learning_rate, "Adam step size (pixels in "
                                    f"[0, 1]); --mode=train_adain: default {_T.learning_rate:g}.")
_INIT = flags.DEFINE_enum("init", _D.init, INITS, "Starting image.")
_SEED = flags.DEFINE_integer("seed", _D.seed, "Seed of the white-noise start; --mode=train_adain: "
                             "of the decoder's initialization and the data order.")
_SEEDS = flags.DEFINE_list(
    "seeds", [], "--mode=transfer: several white-noise starts, e.g. 0,1,2,3, optimized together "
    "as one batch (one network pass per step for all); writes <output>_seed<N>.png for each.")
_CONTENT_LAYERS = flags.DEFINE_string(
    "content_layers", format_layer_weights(_D.content_layers),
    "Content layers as name[:weight],... (block4_conv2 or conv4_2 style names).")
_STYLE_LAYERS = flags.DEFINE_string(
    "style_layers", format_layer_weights(_D.style_layers),
    "Style layers as name[:weight],...; unweighted layers share 1/n.")
_CONTENT_WEIGHT = flags.DEFINE_float("content_weight", _D.content_weight, "alpha, the content-loss weight.")
_STYLE_WEIGHT = flags.DEFINE_float("style_weight", _D.style_weight, "beta, the style-loss weight; "
                                   f"--mode=train_adain: lambda (default {_T.style_weight:g}).")
_POOLING = flags.DEFINE_enum("pooling", _D.pooling, POOLINGS, "VGG pooling (the paper: avg).")
_NORMALIZE = flags.DEFINE_bool("normalize", _D.normalize, "Use the paper's normalized VGG19.")
_STYLE_SCALE = flags.DEFINE_list(
    "style_scale", [f"{v:g}" for v in _D.style_scale],
    "Style image size relative to the content: one value, or one per --style.")
_STYLE_BLEND = flags.DEFINE_list("style_blend", list(_D.style_blend),
                                 "Weights of several --style images, e.g. 0.7,0.3 (default: equal).")
_TV_WEIGHT = flags.DEFINE_float("tv_weight", _D.tv_weight, "Total-variation weight (0: the paper).")
_PRESERVE_COLOR = flags.DEFINE_enum("preserve_color", _D.preserve_color, PRESERVE_COLOR,
                                    "Keep the content's colours: luminance-only transfer or "
                                    "colour histogram matching (Gatys et al. 2017).")
_STYLE_MASK = flags.DEFINE_multi_string(
    "style_mask", None, "Spatial control: one mask per --style, white where that style goes; "
    "pixels no mask covers keep the content photo.")
_STYLE_SOURCE_MASK = flags.DEFINE_multi_string(
    "style_source_mask", None, "With --style_mask: one mask per --style choosing the part of "
    "that style image its statistics come from (an empty value: all of it).")
_OUTPUT_SIZE = flags.DEFINE_string(
    "output_size", None, "--mode=texture: the texture's size as WIDTHxHEIGHT (default: the "
    "style image's size at --size).")
_GRID_STYLE_LAYERS = flags.DEFINE_string(
    "grid_style_layers", format_layer_sets(PAPER_STYLE_LAYER_SETS), "--mode=grid rows: style layer sets separated by ';' "
    "(default: the paper's Fig. 3 rows, conv1_1 up to conv1_1..conv5_1).")
_GRID_RATIOS = flags.DEFINE_list(
    "grid_ratios", [], "--mode=grid columns: alpha/beta ratios (default: the run's own "
    "content_weight/style_weight times 10, 1 and 0.1).")
_GRID_CONTENT_LAYERS = flags.DEFINE_string(
    "grid_content_layers", None, "--mode=grid: content layer sets separated by ';'; rows "
    "repeat for each (the paper's Fig. 5: 'conv2_2;conv4_2'). Default: --content_layers.")
_LOGDIR = flags.DEFINE_string("logdir", None, "Write TensorBoard logs here: every loss part "
                              "per step and image snapshots.")
_LOG_IMAGES_EVERY = flags.DEFINE_integer("log_images_every", 50, "With --logdir: log the "
                                         "image every N steps (and the last).")
_SCALES = flags.DEFINE_string(
    "scales", "auto", "Coarse-to-fine passes before the final one: 'auto' (halving the output "
    "size down to >= 128 px, for outputs above 256 px), 'none' (one pass, the paper), or long "
    "sides such as 256,362.")
_COARSE_STEPS = flags.DEFINE_integer("coarse_steps", _D.coarse_steps,
                                     "Iterations of each coarser pass (--steps: the final pass).")
_TILE_SIZE = flags.DEFINE_string(
    "tile_size", "auto", "Passes too large for memory run tile by tile (each tile seeing a 96 px "
    "halo of its neighbours, all sharing the global style targets): 'auto' (only when a pass "
    "would not fit in the available memory), 'none' (never), or a tile side in pixels (>= 128).")
_ALPHA = flags.DEFINE_float("alpha", 1.0, "--mode=adain: content-style trade-off in [0, 1] "
                            "(0: the content's own features decoded, 1: full style).")
_ADAIN_MODEL = flags.DEFINE_string(
    "adain_model", None, "--mode=adain: model file (.weights.h5) written by --mode=train_adain.")
_ADAIN_VGG = flags.DEFINE_string("adain_vgg", None, "--mode=adain: the official release's "
                                 "vgg_normalised.pth (pytorch-AdaIN), with --adain_decoder.")
_ADAIN_DECODER = flags.DEFINE_string("adain_decoder", None, "--mode=adain: the official "
                                     "release's decoder.pth, with --adain_vgg.")
_STYLE_SIZE = flags.DEFINE_integer("style_size", 512, "--mode=adain: long side styles are "
                                   "encoded at; 0 keeps their size.")
_CONTENT_DIR = flags.DEFINE_string(
    "content_dir", None, "--mode=transfer or adain: stylize every image under this folder into "
    "--output_dir (instead of --content); --mode=train_adain: the content images.")
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", None, "With --content_dir: output folder mirroring the input tree (PNGs); "
    "outputs already there are skipped, so a rerun resumes. Writes manifest.jsonl (with "
    "--beam_runner: manifest-<time>-<tag>-*.jsonl per run).")
_OUTPUT_CHANNELS = flags.DEFINE_integer(
    "output_channels", 3, "3: RGB output; 1: one channel, the result's luminance (infrared-"
    "looking data).", lower_bound=1, upper_bound=3)
_BEAM_RUNNER = flags.DEFINE_string(
    "beam_runner", None, "With --content_dir: run the folder as an Apache Beam pipeline on this "
    "runner (DirectRunner, DataflowRunner, FlinkRunner, SparkRunner, ...); folders may then be "
    "any Beam file system path (gs://, s3://, ...).")
_BEAM_OPTIONS = flags.DEFINE_string(
    "beam_options", "", "With --beam_runner: more pipeline options, as on Beam's command line, "
    "e.g. '--direct_num_workers=2 --direct_running_mode=multi_processing'.")
_STYLE_DIR = flags.DEFINE_string("style_dir", None, "--mode=train_adain: the style images.")
_CHECKPOINT_DIR = flags.DEFINE_string(
    "checkpoint_dir", None, "--mode=train_adain: checkpoints; a rerun resumes from the latest "
    "(default: the --output name with _checkpoints).")
_INIT_MODEL = flags.DEFINE_string(
    "init_model", None, "--mode=train_adain: fine-tune: start from this model's decoder "
    "(.weights.h5 from an earlier training) instead of a random one.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", _T.batch_size, "--mode=train_adain: images per batch.")
_LOAD_SIZE = flags.DEFINE_integer("load_size", _T.load_size, "--mode=train_adain: training "
                                  "images' shorter side is resized to this ...")
_CROP_SIZE = flags.DEFINE_integer("crop_size", _T.crop_size, "... and random square crops this "
                                  "large are taken.")
_CHECKPOINT_EVERY = flags.DEFINE_integer("checkpoint_every", _T.checkpoint_every,
                                         "--mode=train_adain: save a checkpoint every N steps.")
_VGG_WEIGHTS = flags.DEFINE_string("vgg_weights", None, "VGG19 notop weights file (Keras .h5 or tfstyle .npz).")
_SAVE_EVERY = flags.DEFINE_integer("save_every", 0, "Also save the image every N steps (0: never).")
_VERBOSE = flags.DEFINE_bool("verbose", False, "Show TensorFlow's start-up messages and info logs.")


def _import_tensorflow_quietly():
    """Imports TensorFlow with its C++ start-up chatter (CUDA probes, oneDNN
    notices) sent to /dev/null; it writes straight to file descriptor 2."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _floats(flag) -> tuple:
    try:
        return tuple(float(v) for v in flag.value)
    except ValueError:
        raise ConfigError(f"--{flag.name} must be comma-separated numbers, got "
                          f"{','.join(flag.value)!r}") from None


def _config() -> StyleConfig:
    return StyleConfig(
        size=_SIZE.value or None, steps=_STEPS.value, optimizer=_OPTIMIZER.value,
        learning_rate=_LEARNING_RATE.value, init=_INIT.value, seed=_SEED.value,
        content_layers=parse_layer_weights(_CONTENT_LAYERS.value, default_weight=1.0),
        style_layers=parse_layer_weights(_STYLE_LAYERS.value),
        content_weight=_CONTENT_WEIGHT.value, style_weight=_STYLE_WEIGHT.value,
        pooling=_POOLING.value, normalize=_NORMALIZE.value, style_scale=_floats(_STYLE_SCALE),
        style_blend=_floats(_STYLE_BLEND), tv_weight=_TV_WEIGHT.value,
        preserve_color=_PRESERVE_COLOR.value, scales=_scales(), coarse_steps=_COARSE_STEPS.value,
        tile_size=_tile_size())


def _scales():
    text = _SCALES.value.strip().lower()
    if text == "auto":
        return None
    if text in ("none", ""):
        return ()
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ConfigError(f"--scales must be 'auto', 'none' or long sides in pixels such as "
                          f"256,362, got {_SCALES.value!r}") from None


def _tile_size():
    text = _TILE_SIZE.value.strip().lower()
    if text == "auto":
        return None
    if text == "none":
        return 0
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"--tile_size must be 'auto', 'none' or a tile side in pixels, "
                          f"got {_TILE_SIZE.value!r}") from None


def _show_library_messages():
    """tfstyle's info messages (calibration, what runs) as plain lines on stderr."""
    handler = std_logging.StreamHandler(sys.stderr)
    handler.setFormatter(std_logging.Formatter("%(message)s"))
    logger = std_logging.getLogger("tfstyle")
    logger.addHandler(handler)
    logger.setLevel(std_logging.INFO)
    logger.propagate = False


# Flags that mean nothing in a mode: passing one is a mistake worth a message.
_ADAIN_ONLY = ("alpha", "adain_model", "adain_vgg", "adain_decoder", "style_size", "style_dir",
               "checkpoint_dir", "batch_size", "load_size", "crop_size", "checkpoint_every",
               "init_model")
_TRANSFER_ONLY = ("content_dir", "output_dir", "output_channels", "beam_runner", "beam_options")
_NOT_IN_MODE = {
    "transfer": ("output_size", "grid_style_layers", "grid_ratios", "grid_content_layers"),
    "content_reconstruction": ("style", "seeds", "style_mask", "style_source_mask", "output_size", "tile_size",
                               "grid_style_layers", "grid_ratios", "grid_content_layers")
    + _TRANSFER_ONLY,
    "texture": ("content", "seeds", "style_mask", "style_source_mask", "tile_size", "grid_style_layers", "grid_ratios",
                "grid_content_layers") + _TRANSFER_ONLY,
    "grid": ("seeds", "style_mask", "style_source_mask", "output_size", "save_every", "tile_size") + _TRANSFER_ONLY,
}
# The AdaIN modes take only these (and --mode, --overwrite, --verbose).
_ONLY_IN_MODE = {
    "adain": ("content", "style", "output", "size", "style_blend", "style_mask", "preserve_color",
              "alpha", "adain_model", "adain_vgg", "adain_decoder", "style_size", "content_dir",
              "output_dir", "output_channels", "beam_runner", "beam_options"),
    "train_adain": ("content_dir", "style_dir", "output", "steps", "learning_rate", "style_weight",
                    "seed", "batch_size", "load_size", "crop_size", "checkpoint_dir",
                    "checkpoint_every", "logdir", "log_images_every", "vgg_weights", "init_model"),
}


def _check_mode_flags(mode: str):
    if mode in _ONLY_IN_MODE:
        ours = [v.name for v in globals().values() if isinstance(v, flags.FlagHolder)]
        wrong = [n for n in ours if flags.FLAGS[n].present
                 and n not in _ONLY_IN_MODE[mode] + ("mode", "overwrite", "verbose")]
    else:
        wrong = [n for n in _NOT_IN_MODE[mode] + _ADAIN_ONLY if flags.FLAGS[n].present]
    if wrong:
        raise ConfigError(f"--{wrong[0]} does not apply to --mode={mode}")
    if _STYLE_SOURCE_MASK.value and not _STYLE_MASK.value:
        raise ConfigError("--style_source_mask needs --style_mask (one of each per --style)")
    if _LOG_IMAGES_EVERY.value < 0:
        raise ConfigError("--log_images_every must be >= 0")
    if _SAVE_EVERY.value < 0:
        raise ConfigError("--save_every must be >= 0")
    if _OUTPUT_CHANNELS.value not in (1, 3):
        raise ConfigError(f"--output_channels must be 1 or 3, got {_OUTPUT_CHANNELS.value}")


def _folder():
    """(content_dir, output_dir) of a folder run, or None; refuses flags that
    belong to a single image."""
    content_dir, output_dir = _CONTENT_DIR.value, _OUTPUT_DIR.value
    if not content_dir:
        for flag in (_OUTPUT_DIR, _BEAM_RUNNER, _BEAM_OPTIONS):
            if flag.present:
                raise ConfigError(f"--{flag.name} goes with --content_dir")
        return None
    if _BEAM_OPTIONS.present and not _BEAM_RUNNER.value:
        raise ConfigError("--beam_options goes with --beam_runner")
    for flag, why in ((_CONTENT, "give --content or --content_dir, not both"),
                      (_OUTPUT, "with --content_dir outputs go to --output_dir"),
                      (_STYLE_MASK, "masks belong to one content image; not with --content_dir"),
                      (_SEEDS, "several seeds make several outputs of one image; not with "
                               "--content_dir"),
                      (_SAVE_EVERY, "snapshots belong to one image; not with --content_dir"),
                      (_LOGDIR, "TensorBoard logs belong to one image; not with --content_dir")):
        if flag.present:
            raise ConfigError(f"--{flag.name}: {why}")
    if not output_dir:
        raise ConfigError("--content_dir needs --output_dir")
    return content_dir, output_dir


def _run_folder(folder, recipe) -> int:
    """Stylizes every image of a folder with `recipe` (a `batch.Recipe`), in
    this process or, with --beam_runner, as an Apache Beam pipeline."""
    from tfstyle import batch, cli

    if _BEAM_RUNNER.value:
        from tfstyle import beam

        pairs = beam.plan(*folder)  # the folders' errors before TensorFlow and Beam start
        _show_library_messages()
        _quiet_tensorflow()
        result = beam.run(recipe, *folder, runner=_BEAM_RUNNER.value, options=_BEAM_OPTIONS.value,
                          overwrite=_OVERWRITE.value, channels=_OUTPUT_CHANNELS.value,
                          pairs=pairs)
        manifest = "manifest-*.jsonl"
    else:
        pairs = batch.plan(*folder)  # the folders' errors before the model loads
        batch.check_writable(folder[1])
        _show_library_messages()
        _quiet_tensorflow()
        settings = dict(recipe.settings(), output_channels=_OUTPUT_CHANNELS.value)
        result = batch.stylize_dir(*folder, recipe.renderer(), settings=settings,
                                   overwrite=_OVERWRITE.value, channels=_OUTPUT_CHANNELS.value,
                                   callback=cli.BatchPrinter(sys.stderr), pairs=pairs)
        manifest = batch.MANIFEST
    print(cli.batch_summary(folder[1], result, manifest), file=sys.stderr)
    return 1 if result.count("error") else 0


def _seeds() -> tuple:
    """The --seeds list as integers (empty: one image from --seed)."""
    if not _SEEDS.value:
        return ()
    try:
        seeds = tuple(int(v) for v in _SEEDS.value)
    except ValueError:
        raise ConfigError(f"--seeds must be comma-separated integers, got "
                          f"{','.join(_SEEDS.value)!r}") from None
    if any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds must be different integers >= 0, got "
                          f"{','.join(_SEEDS.value)!r}")
    for flag, given, why in ((_SEED, _SEED.present, "--seeds lists every seed; drop --seed"),
                             (_SAVE_EVERY, _SAVE_EVERY.value,
                              "snapshots belong to one image; not with --seeds"),
                             (_LOGDIR, _LOGDIR.value,
                              "TensorBoard logs belong to one image; not with --seeds")):
        if given:
            raise ConfigError(f"--{flag.name}: {why}")
    if _INIT.value != "noise":
        raise ConfigError(f"--seeds needs --init=noise; --init={_INIT.value} starts every seed "
                          "from the same image")
    return seeds


def seed_output(output, seed: int):
    """``out.png`` -> ``out_seed3.png``: one output of a --seeds run."""
    return output.with_name(f"{output.stem}_seed{seed}{output.suffix}")


def _output_size():
    text = _OUTPUT_SIZE.value
    if text is None:
        return None
    width, sep, height = text.lower().partition("x")
    try:
        size = (int(height), int(width))
    except ValueError:
        size = None
    if not sep or size is None or min(size) < 1:
        raise ConfigError(f"--output_size must be WIDTHxHEIGHT in pixels, e.g. 640x360, got {text!r}")
    return size


def _callbacks(*callbacks):
    callbacks = [c for c in callbacks if c is not None]

    def call(progress):
        for callback in callbacks:
            callback(progress)

    return call


def _adain_model_files():
    model, vgg, decoder = _ADAIN_MODEL.value, _ADAIN_VGG.value, _ADAIN_DECODER.value
    if model and (vgg or decoder):
        raise ConfigError("give --adain_model, or --adain_vgg with --adain_decoder, not both")
    if model:
        return model
    if vgg and decoder:
        return (vgg, decoder)
    if vgg or decoder:
        raise ConfigError("--adain_vgg and --adain_decoder go together (the release's "
                          "vgg_normalised.pth and decoder.pth)")
    raise ConfigError("--mode=adain needs a model: --adain_model=FILE.weights.h5 (from "
                      "--mode=train_adain), or --adain_vgg=vgg_normalised.pth "
                      "--adain_decoder=decoder.pth (the official release)")


def _run_adain() -> int:
    import time

    from tfstyle import adain, cli, image, samples
    from tfstyle.weights import file_digest

    spec = _adain_model_files()
    files = [spec] if isinstance(spec, str) else list(spec)
    if not 0.0 <= _ALPHA.value <= 1.0:
        raise ConfigError(f"--alpha must be in [0, 1], got {_ALPHA.value:g}")
    if _STYLE_SIZE.value < 0 or _SIZE.value < 0:
        raise ConfigError("--size and --style_size must be >= 0 (0: the image's own size)")
    masks = _STYLE_MASK.value or None
    folder = _folder()
    style_weights = _floats(_STYLE_BLEND) or None
    for path in files + list(_STYLE.value or []) + list(masks or []):
        if "://" not in path and not os.path.isfile(path):  # Beam reads gs:// and such
            raise ConfigError(f"no such file: {path}")
    if folder:
        from tfstyle.batch import Recipe

        return _run_folder(folder, Recipe(
            "adain", styles=tuple(_STYLE.value or ()), adain_model=tuple(files),
            alpha=_ALPHA.value, style_weights=style_weights or (),
            preserve_color=_PRESERVE_COLOR.value, size=_SIZE.value or None,
            style_size=_STYLE_SIZE.value or None))
    content = _CONTENT.value or samples.default_content()
    styles = _STYLE.value or [samples.brushstrokes(512)]
    output = image.check_output_path(_OUTPUT.value, [content, *files, *(_STYLE.value or []),
                                                     *(masks or [])], _OVERWRITE.value)
    cli.check_sidecar(output, _OVERWRITE.value)
    settings = dict(mode="adain", content=str(_CONTENT.value or f"embedded:{content.name}"),
                    model=files, alpha=_ALPHA.value,
                    style=_STYLE.value or [EMBEDDED_STYLE],
                    style_blend=list(style_weights or []), style_mask=masks,
                    preserve_color=_PRESERVE_COLOR.value, size=_SIZE.value,
                    style_size=_STYLE_SIZE.value, output_channels=_OUTPUT_CHANNELS.value)
    _show_library_messages()
    _quiet_tensorflow()
    model = adain.load_model(spec)
    sha = file_digest(files[-1])
    start = time.monotonic()
    stylized = model.stylize(content, styles, alpha=_ALPHA.value, style_weights=style_weights,
                             masks=masks, preserve_color=_PRESERVE_COLOR.value,
                             size=_SIZE.value or None, style_size=_STYLE_SIZE.value or None)
    seconds = time.monotonic() - start
    cli.save_image_record(output, stylized, settings, sha, {"seconds": round(seconds, 3)},
                          _OUTPUT_CHANNELS.value)
    print(f"wrote {output} ({stylized.shape[1]}x{stylized.shape[0]}) in {seconds:.1f} s",
          file=sys.stderr)
    return 0


def _train_config() -> TrainConfig:
    def given(flag, default):
        return flag.value if flag.present else default

    return TrainConfig(
        steps=given(_STEPS, _T.steps), batch_size=_BATCH_SIZE.value,
        learning_rate=given(_LEARNING_RATE, _T.learning_rate),
        style_weight=given(_STYLE_WEIGHT, _T.style_weight), load_size=_LOAD_SIZE.value,
        crop_size=_CROP_SIZE.value, checkpoint_every=_CHECKPOINT_EVERY.value,
        image_every=given(_LOG_IMAGES_EVERY, _T.image_every), seed=given(_SEED, _T.seed))


def _run_train_adain() -> int:
    from tfstyle import cli
    from tfstyle.weights import find_vgg19_weights

    config = _train_config()
    if not (_CONTENT_DIR.value and _STYLE_DIR.value):
        raise ConfigError("--mode=train_adain needs --content_dir and --style_dir")
    output = _OUTPUT.value if _OUTPUT.present else "adain.weights.h5"
    progress = cli.ProgressPrinter(sys.stderr, output, config.steps)
    _show_library_messages()
    _quiet_tensorflow()
    from tfstyle import adain_train

    try:
        result = adain_train.train(
            _CONTENT_DIR.value, _STYLE_DIR.value, output, config,
            weights=find_vgg19_weights(_VGG_WEIGHTS.value), checkpoint_dir=_CHECKPOINT_DIR.value,
            logdir=_LOGDIR.value, callback=progress, overwrite=_OVERWRITE.value,
            init_model=_INIT_MODEL.value)
    finally:
        progress.close()
    losses = ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items())
    print(f"wrote {output} at step {result.steps} after {result.seconds:.1f} s"
          + (f"; last batch: {losses}" if losses else ""), file=sys.stderr)
    return 0


def _quiet_tensorflow():
    if _VERBOSE.value:
        logging.set_verbosity(logging.INFO)
    else:
        logging.set_verbosity(logging.WARNING)
        _import_tensorflow_quietly()


def _run_transfer_folder(config: StyleConfig, folder) -> int:
    from tfstyle.batch import Recipe
    from tfstyle.image import as_image

    for style in _STYLE.value or []:  # a bad style stops the run before any image
        if "://" not in style:
            as_image(style, 16)
    return _run_folder(folder, Recipe("gatys", styles=tuple(_STYLE.value or ()), config=config,
                                      vgg_weights=_VGG_WEIGHTS.value))


def _run() -> int:
    import tfstyle
    from tfstyle import cli, grid

    mode = _MODE.value
    _check_mode_flags(mode)
    if mode == "adain":
        return _run_adain()
    if mode == "train_adain":
        return _run_train_adain()
    config = _config()
    folder = _folder() if mode == "transfer" else None
    if folder:
        return _run_transfer_folder(config, folder)
    output_size = _output_size()
    ratios = _floats(_GRID_RATIOS) or None
    style_sets = grid.parse_layer_sets(_GRID_STYLE_LAYERS.value) if mode == "grid" else None
    content_sets = (grid.parse_layer_sets(_GRID_CONTENT_LAYERS.value, default_weight=1.0)
                    if mode == "grid" and _GRID_CONTENT_LAYERS.value else None)
    content = None
    if mode != "texture":
        content = _CONTENT.value or tfstyle.samples.default_content()
    masks = _STYLE_MASK.value
    # An empty --style_source_mask= keeps that style's whole image.
    source_masks = [m or None for m in _STYLE_SOURCE_MASK.value] if _STYLE_SOURCE_MASK.value else None
    inputs = [c for c in (content, *(_STYLE.value or []), *(masks or []), *(source_masks or []))
              if c is not None]
    seeds = _seeds() if mode == "transfer" else ()
    output = pathlib.Path(_OUTPUT.value)
    # With --seeds only the per-seed files are written (and checked).
    outputs = [seed_output(output, s) for s in seeds] or [output]
    for path in outputs:
        tfstyle.image.check_output_path(path, inputs, _OVERWRITE.value)
        cli.check_sidecar(path, _OVERWRITE.value)
    steps = config.steps
    if mode == "transfer" and _SAVE_EVERY.value:
        # Snapshots are checked up front, over every coarse-to-fine pass.
        steps = tfstyle.tiles.total_steps(tfstyle.image.as_image(content, config.size).shape[:2],
                                          config)
    progress = cli.ProgressPrinter(sys.stderr, output, steps, _SAVE_EVERY.value,
                                   _OVERWRITE.value, inputs)
    _show_library_messages()
    _quiet_tensorflow()
    style = None
    if mode != "content_reconstruction":
        style = _STYLE.value or [tfstyle.samples.brushstrokes(512)]
    settings = dict(config.to_dict(), mode=mode)
    if mode == "transfer":
        settings["output_channels"] = _OUTPUT_CHANNELS.value
    if content is not None:
        settings["content"] = str(_CONTENT.value or f"embedded:{content.name}")
    if style is not None:
        settings["style"] = _STYLE.value or [EMBEDDED_STYLE]
    if masks:
        settings.update(style_mask=masks, style_source_mask=source_masks or None)
    if output_size:
        settings["output_size"] = f"{output_size[1]}x{output_size[0]}"
    if mode == "grid":
        settings.update(grid_style_layers=_GRID_STYLE_LAYERS.value, grid_ratios=ratios,
                        grid_content_layers=_GRID_CONTENT_LAYERS.value)
    weights = tfstyle.find_vgg19_weights(_VGG_WEIGHTS.value)
    board = None
    if _LOGDIR.value:
        from tfstyle.summary import TensorBoardLogger

        board = TensorBoardLogger(_LOGDIR.value, _LOG_IMAGES_EVERY.value, settings)
    callback = _callbacks(progress, board)
    try:
        if mode == "grid":
            result = grid.style_grid(content, style, config, style_layer_sets=style_sets,
                                     ratios=ratios, content_layer_sets=content_sets,
                                     weights=weights, callback=callback)
        elif mode == "texture":
            result = tfstyle.gatys.synthesize_texture(style, config, output_size=output_size,
                                                      weights=weights, callback=callback)
        elif mode == "content_reconstruction":
            result = tfstyle.gatys.reconstruct_content(content, config, weights=weights,
                                                       callback=callback)
        elif seeds:
            result = tfstyle.stylize_seeds(content, style, config, seeds=seeds, masks=masks,
                                           style_masks=source_masks, weights=weights,
                                           callback=callback)
        else:
            result = tfstyle.stylize(content, style, config, masks=masks,
                                     style_masks=source_masks, weights=weights, callback=callback)
    finally:
        progress.close()
        if board:
            board.close()
    if mode == "grid":
        cli.save_grid(output, result, settings)
        print(cli.grid_summary(output, result), file=sys.stderr)
    elif seeds:
        for path, one in zip(outputs, result):
            cli.save_result(path, one, dict(settings, seed=one.config.seed, seeds=list(seeds)),
                            _OUTPUT_CHANNELS.value)
            print(cli.summary(path, one), file=sys.stderr)
    else:
        cli.save_result(output, result, settings, _OUTPUT_CHANNELS.value)
        print(cli.summary(output, result), file=sys.stderr)
    return 0


def main(argv):
    if len(argv) > 1:
        print(f"error: unexpected arguments {' '.join(argv[1:])!r} (flags look like --name=value)",
              file=sys.stderr)
        return 2
    try:
        return _run()
    except TfstyleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if _CONTENT_DIR.value and _MODE.value != "train_adain":
            print("\ninterrupted; finished outputs are kept: run the same command again to "
                  "resume", file=sys.stderr)
        elif _MODE.value == "train_adain":
            print("\ninterrupted; run the same command again to resume from the last "
                  "checkpoint", file=sys.stderr)
        else:
            print("\ninterrupted; no output written", file=sys.stderr)
        return 130
    except MemoryError:
        print("error: out of memory; try a smaller --size", file=sys.stderr)
        return 1
    except Exception as exc:
        tf = sys.modules.get("tensorflow")
        if tf is not None and isinstance(exc, tf.errors.ResourceExhaustedError):
            print("error: out of memory in TensorFlow; try a smaller --size", file=sys.stderr)
            return 1
        raise


def _parse_flags(argv):
    try:
        return flags.FLAGS(argv)
    except flags.Error as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    app.run(main, flags_parser=_parse_flags)
