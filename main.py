"""tfstyle command line: neural style transfer (Gatys et al. 2016) with TensorFlow.

    python main.py --content=photo.jpg --style=painting.jpg --output=out.png

With no --content/--style it renders tfstyle's embedded sample (a CC0 photo of
a cat from scikit-image in tfstyle's own generated brush-stroke style).
Settings can come from a file: --flagfile=presets/paper.cfg.
"""

import os
import sys

import logging as std_logging

from absl import app, flags, logging

from tfstyle.config import OPTIMIZERS, INITS, PRESERVE_COLOR, StyleConfig, \
    format_layer_weights, parse_layer_weights
from tfstyle.errors import ConfigError, TfstyleError
from tfstyle.vgg import POOLINGS

_D = StyleConfig()

_CONTENT = flags.DEFINE_string("content", None, "Content image path (default: embedded sample photo).")
_STYLE = flags.DEFINE_multi_string(
    "style", None, "Style image path; repeat for several styles (default: embedded painting).")
_OUTPUT = flags.DEFINE_string("output", "stylized.png", "Output image path (.png keeps the settings).")
_OVERWRITE = flags.DEFINE_bool("overwrite", False, "Replace --output if it exists.")
_SIZE = flags.DEFINE_integer("size", _D.size, "Long side of the output in pixels; 0 keeps the content's size.")
_STEPS = flags.DEFINE_integer("steps", _D.steps, "Optimizer iterations.")
_OPTIMIZER = flags.DEFINE_enum("optimizer", _D.optimizer, OPTIMIZERS, "L-BFGS (the paper's) or Adam.")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", _D.learning_rate, "Adam step size (pixels in [0, 1]).")
_INIT = flags.DEFINE_enum("init", _D.init, INITS, "Starting image.")
_SEED = flags.DEFINE_integer("seed", _D.seed, "Seed of the white-noise start.")
_CONTENT_LAYERS = flags.DEFINE_string(
    "content_layers", format_layer_weights(_D.content_layers),
    "Content layers as name[:weight],... (block4_conv2 or conv4_2 style names).")
_STYLE_LAYERS = flags.DEFINE_string(
    "style_layers", format_layer_weights(_D.style_layers),
    "Style layers as name[:weight],...; unweighted layers share 1/n.")
_CONTENT_WEIGHT = flags.DEFINE_float("content_weight", _D.content_weight, "alpha, the content-loss weight.")
_STYLE_WEIGHT = flags.DEFINE_float("style_weight", _D.style_weight, "beta, the style-loss weight.")
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
        preserve_color=_PRESERVE_COLOR.value)


def _show_library_messages():
    """tfstyle's info messages (calibration, what runs) as plain lines on stderr."""
    handler = std_logging.StreamHandler(sys.stderr)
    handler.setFormatter(std_logging.Formatter("%(message)s"))
    logger = std_logging.getLogger("tfstyle")
    logger.addHandler(handler)
    logger.setLevel(std_logging.INFO)
    logger.propagate = False


def _run() -> int:
    import tfstyle
    from tfstyle import cli

    config = _config()
    if _SAVE_EVERY.value < 0:
        raise tfstyle.ConfigError("--save_every must be >= 0")
    content = _CONTENT.value or tfstyle.samples.default_content()
    inputs = [content, *(_STYLE.value or [])]
    output = tfstyle.image.check_output_path(_OUTPUT.value, inputs, _OVERWRITE.value)
    cli.check_sidecar(output, _OVERWRITE.value)
    progress = cli.ProgressPrinter(sys.stderr, output, config.steps, _SAVE_EVERY.value,
                                   _OVERWRITE.value, inputs)
    _show_library_messages()
    if _VERBOSE.value:
        logging.set_verbosity(logging.INFO)
    else:
        logging.set_verbosity(logging.WARNING)
        _import_tensorflow_quietly()
    style = _STYLE.value or [tfstyle.samples.brushstrokes(512)]
    weights = tfstyle.find_vgg19_weights(_VGG_WEIGHTS.value)
    result = tfstyle.stylize(content, style, config, weights=weights, callback=progress)
    progress.close()
    settings = dict(config.to_dict(), content=str(_CONTENT.value or f"embedded:{content.name}"),
                    style=_STYLE.value or ["embedded:brushstrokes(512, seed=0)"])
    cli.save_result(output, result, settings)
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
