"""Regenerates the README's example pictures from ../shared/images.

Those photos and paintings may not be committed, but pictures tfstyle makes
from them may: the strips hold tfstyle's outputs only, never the inputs.
Writes docs/<name>.png; each is a labelled strip of results.

    python scripts/readme_examples.py [--only=colour,tv,blend] [--size=256] [--steps=300]
"""

import argparse
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

import tfstyle  # noqa: E402
from tfstyle.image import resize  # noqa: E402

SHARED = REPO.parent / "shared" / "images"
DOCS = REPO / "docs"


def strip(panels, height=None):
    """Puts (label, image) panels side by side with a caption bar under each."""
    height = height or max(p.shape[0] for _, p in panels)
    tiles = []
    for label, image in panels:
        width = round(image.shape[1] * height / image.shape[0])
        tile = Image.fromarray(tfstyle.image.to_uint8(resize(image, (height, width))))
        canvas = Image.new("RGB", (width, height + 18), "white")
        canvas.paste(tile, (0, 0))
        ImageDraw.Draw(canvas).text((4, height + 3), label, fill="black")
        tiles.append(canvas)
    out = Image.new("RGB", (sum(t.width for t in tiles) + 4 * (len(tiles) - 1), tiles[0].height), "white")
    x = 0
    for tile in tiles:
        out.paste(tile, (x, 0))
        x += tile.width + 4
    return np.asarray(out, np.float32) / 255.0


def run(content, style, weights, **kwargs):
    result = tfstyle.stylize(content, style, tfstyle.StyleConfig(**kwargs), weights=weights)
    print(f"  {kwargs}: {result.steps} steps, {result.seconds:.0f} s, "
          + ", ".join(f"{k} {v:.4g}" for k, v in result.losses.items()), flush=True)
    return result.image


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="colour,tv,blend")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    weights = tfstyle.find_vgg19_weights()
    # beta scaled with the pixel count from the 512 px default (see README).
    common = dict(size=args.size, steps=args.steps, style_weight=4e6 * (args.size / 512) ** 2)
    tubingen, starry = SHARED / "tubingen.jpg", SHARED / "starry_night.jpg"
    todo = args.only.split(",")
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
        scream = SHARED / "the_scream.jpg"
        panels = [("starry night", plain)] + [
            (f"starry:scream = {a:g}:{1 - a:g}",
             run(tubingen, [starry, scream], weights, style_blend=(a, 1 - a), **common))
            for a in (0.5, 0.0)]
        tfstyle.save_image(DOCS / "style_blend.png", strip(panels))


if __name__ == "__main__":
    main()
