"""Regenerates the README's example pictures from the --images folder (default ../shared/images).

Those photos and paintings may not be committed, but pictures tfstyle makes
from them may: the strips hold tfstyle's outputs only, never the inputs.
Writes docs/<name>.png; each is a labelled strip of results.

    python scripts/readme_examples.py [--only=colour,tv,blend] [--size=256] [--steps=300]
        [--images=DIR]

`--only=sizes` (not in the default list: about 45 minutes on 2 cores) writes
docs/size_independent.png, the defaults at 256, 512 and 1024 px.
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402

import tfstyle  # noqa: E402
from tfstyle import gatys  # noqa: E402
from tfstyle.gatys import grid  # noqa: E402
from tfstyle.gatys.config import StyleConfig  # noqa: E402
from tfstyle.core.image import resize  # noqa: E402
from tfstyle.core.sheet import contact_sheet  # noqa: E402
from common import CONTENT, STYLE, add_images_argument, image_paths  # noqa: E402

SCREAM = "the_scream.jpg"  # in --images
DOCS = REPO / "docs"


def strip(panels, height=None):
    """Puts (label, image) panels side by side, each under its label."""
    height = height or max(p.shape[0] for _, p in panels)
    images = [resize(im, (height, round(im.shape[1] * height / im.shape[0]))) for _, im in panels]
    return contact_sheet([images], column_labels=[label for label, _ in panels])


def report(what, result):
    print(f"  {what}: {result.steps} steps, {result.seconds:.0f} s, "
          + ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items()), flush=True)
    return result.image


def run(content, style, weights, **kwargs):
    result = tfstyle.transfer(content, style, tfstyle.StyleConfig(**kwargs), model=weights)
    return report(kwargs, result)


def photoreal(args, weights):
    """docs/photoreal.png: WCT² on the photoreal pair (outputs only), with the
    shipped decoder: whole image, with the label maps, alpha 0.5 (no alpha 0: the
    decoder's reconstruction is the input photo again, which may not be committed)."""
    import time

    from tfstyle.wct2.model import load_model

    root = pathlib.Path(args.images) / "photoreal"
    content, style = root / "content" / "in14.png", root / "style" / "in14.png"
    labels = dict(content_labels=root / "content_segment" / "in14.png",
                  style_labels=root / "style_segment" / "in14.png")
    model = load_model(weights=weights)
    panels = []
    for label, kwargs in (("whole image", {}), ("label maps (sky, rock)", labels),
                          ("alpha 0.5", dict(alpha=0.5))):
        start = time.perf_counter()
        image = model.stylize(content, style, size=512, **kwargs)
        print(f"  photoreal {label}: {time.perf_counter() - start:.1f} s", flush=True)
        panels.append((label, image))
    tfstyle.save_image(DOCS / "photoreal.png", strip(panels))


def magenta(args):
    """docs/magenta.png: Magenta's arbitrary network on the shared pairs
    (outputs only), with each call's time; docs/multistyle_sheet.png: the 26
    built-in styles on the embedded sample photo (CC0)."""
    import time

    from tfstyle.core import samples
    from tfstyle.magenta import transfer

    images = pathlib.Path(args.images)
    pairs = (("tubingen.jpg", "starry_night.jpg"), ("golden_gate.jpg", "the_scream.jpg"),
             ("tubingen.jpg", "woman-with-hat-matisse.jpg"))
    # Loaded and traced once (a 64 px call), not timed: the times are per photo.
    transfer.arbitrary(samples.brushstrokes(64), samples.brushstrokes(64, seed=1), size=None)
    panels = []
    for content, style in pairs:
        start = time.perf_counter()
        image = transfer.arbitrary(images / content, images / style, size=512)
        seconds = time.perf_counter() - start
        print(f"  arbitrary {content} x {style}: {seconds:.2f} s", flush=True)
        panels.append((f"{pathlib.Path(style).stem}, {seconds:.1f} s", image))
    tfstyle.save_image(DOCS / "magenta.png", strip(panels, height=288))
    sheet = transfer.contact_sheet(samples.default_content(), size=192)
    tfstyle.save_image(DOCS / "multistyle_sheet.png", sheet)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="colour,tv,blend,recon,texture,grid,fig5,masks,board,"
                                          "photoreal,magenta")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=300)
    add_images_argument(parser)
    args = parser.parse_args()
    args.tubingen, args.starry, args.scream = image_paths(parser, args, CONTENT, STYLE, SCREAM)
    weights = tfstyle.find_vgg19_weights()
    # The pictures were made from white noise with beta in eq. 7's own units, scaled
    # with the pixel count from 4e6 at 512 px (before --size_independent).
    common = dict(size=args.size, steps=args.steps, style_weight=4e6 * (args.size / 512) ** 2,
                  **PAPER)
    tubingen, starry = args.tubingen, args.starry
    todo = args.only.split(",")
    if "photoreal" in todo:
        photoreal(args, weights)
    if "magenta" in todo:
        magenta(args)
    if "sizes" in todo:
        sizes(args, weights)
    paper_experiments(todo, weights, args)
    if not {"colour", "tv", "blend"} & set(todo):
        return
    print("plain (shared by every strip)")
    plain = run(tubingen, starry, weights, **common)
    if "colour" in todo:
        print("colour preservation")
        panels = [("preserve_color=none", plain)]
        for mode in ("luminance", "histogram"):
            panels.append((f"preserve_color={mode}",
                           run(tubingen, starry, weights, preserve_color=mode, **common)))
        tfstyle.save_image(DOCS / "preserve_color.png", strip(panels))
    if "tv" in todo:
        print("total variation")
        panels = [("tv_weight=0", plain)] + [
            (f"tv_weight={w:g}", run(tubingen, starry, weights, tv_weight=w, **common))
            for w in (30.0, 300.0)]
        tfstyle.save_image(DOCS / "tv_weight.png", strip(panels))
    if "blend" in todo:
        print("style blending")
        scream = args.scream
        panels = [("starry night", plain)] + [
            (f"starry:scream = {a:g}:{1 - a:g}",
             run(tubingen, [starry, scream], weights, style_blend=(a, 1 - a), **common))
            for a in (0.5, 0.0)]
        tfstyle.save_image(DOCS / "style_blend.png", strip(panels))


# The start and beta the pictures below were made with (the defaults before
# --init=auto and --size_independent).
PAPER = dict(init="noise", size_independent=False)


def sizes(args, weights):
    """docs/size_independent.png: the defaults at 256, 512 and 1024 px (issue 18)."""
    images = []
    for size in (256, 512, 1024):
        print(f"defaults at {size} px")
        result = tfstyle.transfer(args.tubingen, args.starry, StyleConfig(size=size),
                                  model=weights)
        pixels = result.image.shape[0] * result.image.shape[1]
        balance = result.config.beta(pixels) * result.losses["style"] / result.losses["content"]
        print(f"  {result.seconds:.0f} s, beta L_style / alpha L_content = {balance:.3f}")
        images.append(result.image)
    height = 240
    tiles = [resize(im, (height, round(im.shape[1] * height / im.shape[0]))) for im in images]
    gap = np.ones((height, 6, 3), np.float32)
    tfstyle.save_image(DOCS / "size_independent.png",
                       np.concatenate([tiles[0], gap, tiles[1], gap, tiles[2]], 1))


def paper_experiments(todo, weights, args):
    """Issue 3's figures: reconstructions, textures, grids, masks, TensorBoard."""
    tubingen, starry, scream = args.tubingen, args.starry, args.scream
    beta = lambda size: 4e6 * (size / 512) ** 2  # noqa: E731  (see README: beta scales with pixels)
    if "recon" in todo:
        print("content reconstructions (Fig. 1)")
        panels = []
        for layer in ("conv2_2", "conv3_2", "conv4_2", "conv5_2"):
            config = StyleConfig(size=args.size, steps=args.steps, content_layers=layer)
            panels.append((layer, report(layer, gatys.reconstruct_content(
                tubingen, config, weights=weights))))
        tfstyle.save_image(DOCS / "content_reconstruction.png", strip(panels))
    if "texture" in todo:
        print("textures (Fig. 1)")
        panels = []
        for k in range(1, 6):
            layers = ",".join(f"conv{b}_1" for b in range(1, k + 1))
            config = StyleConfig(size=args.size, steps=args.steps, style_layers=layers)
            label = grid.layer_set_label(config.style_layers)
            panels.append((label, report(label, gatys.synthesize_texture(
                starry, config, output_size=(args.size // 2, args.size * 5 // 4),
                weights=weights))))
        tfstyle.save_image(DOCS / "texture.png", contact_sheet(
            [[im] for _, im in panels], [label for label, _ in panels]))
    small = 192
    if "grid" in todo:
        print("grid (Fig. 3)")
        config = StyleConfig(size=small, steps=150, style_weight=beta(small), **PAPER)
        sets = grid.parse_layer_sets("conv1_1;conv1_1,conv2_1,conv3_1;"
                                     "conv1_1,conv2_1,conv3_1,conv4_1,conv5_1")
        out = grid.style_grid(tubingen, starry, config, style_layer_sets=sets,
                              ratios=(1e-5, 1e-6, 1e-7), weights=weights)
        print(f"  {out.seconds:.0f} s")
        tfstyle.save_image(DOCS / "grid.png", out.sheet)
    if "fig5" in todo:
        print("content layers (Fig. 5)")
        config = StyleConfig(size=small, steps=150, style_weight=beta(small), **PAPER)
        out = grid.style_grid(tubingen, starry, config,
                              style_layer_sets=(config.style_layers,), ratios=(1e-6, 1e-7),
                              content_layer_sets=grid.parse_layer_sets("conv2_2;conv4_2", 1.0),
                              weights=weights)
        print(f"  {out.seconds:.0f} s")
        tfstyle.save_image(DOCS / "grid_content_layers.png", out.sheet)
    if "masks" in todo:
        print("spatial control")
        content = tfstyle.load_image(tubingen, args.size)
        height, width = content.shape[:2]
        rows = np.arange(height, dtype=np.float32)[:, None] / height * np.ones((1, width))
        ramp = lambda a, b: np.clip((rows - a) / 0.04, 0, 1) * np.clip((b - rows) / 0.04, 0, 1)  # noqa: E731
        sky, town = ramp(-1, 0.38), ramp(0.38, 0.72)
        config = StyleConfig(size=args.size, steps=args.steps, style_weight=beta(args.size), **PAPER)
        result = tfstyle.transfer(tubingen, [starry, scream], config, masks=[sky, town],
                                  model=weights)
        report("masks", result)
        mask_view = np.stack([sky, town, 1 - np.clip(sky + town, 0, 1)], -1).astype(np.float32)
        tfstyle.save_image(DOCS / "masks.png", strip([
            ("masks: starry night / the scream / photo", mask_view), ("result", result.image)]))
    if "board" in todo:
        print("tensorboard")
        import tempfile

        import tensorflow as tf
        from tfstyle.core.summary import TensorBoardLogger

        with tempfile.TemporaryDirectory() as logdir:
            config = StyleConfig(size=small, steps=args.steps, style_weight=beta(small), **PAPER)
            logger = TensorBoardLogger(logdir, image_every=args.steps // 4)
            report("logged", tfstyle.transfer(tubingen, starry, config, model=weights,
                                              callback=logger))
            logger.close()
            panels = []
            for path in sorted(pathlib.Path(logdir).glob("events.out.tfevents.*")):
                for event in tf.compat.v1.train.summary_iterator(str(path)):
                    for value in event.summary.value:
                        if value.tag == "image":
                            png = tf.make_ndarray(value.tensor)[2]
                            image = tf.io.decode_png(png).numpy().astype(np.float32) / 255
                            panels.append((f"step {event.step}", image))
        tfstyle.save_image(DOCS / "tensorboard_images.png", strip(panels))


if __name__ == "__main__":
    main()
