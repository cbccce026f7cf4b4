"""Photorealistic transfer benchmark (WCT², tfstyle.wct2): reconstruction, photorealism, speed.

Not a test: it prints tables.

Sections (all by default; `--only=reconstruction,speed` picks some):

  reconstruction  Each held-out photo (tubingen.jpg, golden_gate.jpg, every
                  ir/visible/ image, photoreal/content/in14.png and
                  photoreal/style/in14.png of the --images folder) at --size
                  long side through `Photoreal.reconstruct` (encoder and
                  decoder, no transfer): PSNR (dB, data range 1) and SSIM
                  (skimage, RGB, data range 1) per photo and their mean,
                  against the targets PSNR >= 30 dB and SSIM >= 0.95.
  photorealism    The photoreal pair (photoreal/content and style/in14.png) at
                  --size: tfstyle photoreal without and with the label maps
                  (content_segment, style_segment), AdaIN with --adain,
                  Gatys with --gatys_steps L-BFGS iterations from the content.
                  Per output: structure kept, the SSIM of the Sobel
                  gradient-magnitude maps (grayscale) of content and output
                  (1: the content's edges exactly); style taken, the Gram
                  distance to the style, mean over VGG19 block1..4_conv1 of
                  ||G(out) - G(style)||_F / ||G(style)||_F, G = F^T F / positions
                  (tfstyle's normalized, average-pooled VGG19). The content
                  photo itself is the reference row. --sheet writes a strip
                  content | style | outputs.
  speed           Random --size^2 and (2 --size)^2 content and style images:
                  seconds of `Photoreal.stylize` (default places, alpha 1; median
                  of --repeats after a warm-up), split into the WCT part (time
                  inside tfstyle.wct2.wct.transfer_features, timed by
                  wrapping it) and the network part (the rest: every conv, the
                  Haar pooling and unpooling, padding, copies to and from
                  numpy); the conv FLOPs of the networks (encoder and decoder
                  on the content, and on the style, which `stylize` encodes
                  and decodes too); GFLOP/s of the network part against a bare
                  `tf.nn.conv2d` forward pass over the same conv shapes
                  measured in the same run (the roofline, each shape at the
                  faster of one conv and, for a cat5 conv's 5k input channels,
                  five convs of k; target: the network part within 1.5x of
                  it). Then (4 --size)^2 transfers in fresh processes, the
                  style at 512 px and at (4 --size)^2: seconds and peak RSS.

--model is a decoder .npz (`Photoreal.save`, `main.py train-photoreal`; default
the shipped tfstyle/wct2/data/wct2_decoder_cat5.npz). The decoder's
weights do not change the speed, so any decoder of the same kind serves the
speed section. Run nothing else meanwhile when timing.

    python benchmarks/photoreal_bench.py [--only=reconstruction,photorealism,speed]
        [--size=512] [--model=decoder.npz] [--adain=m.weights.h5] [--gatys_steps=100]
        [--repeats=3] [--sheet=photoreal.png] [--images=DIR]
"""

import argparse
import functools
import json
import os
import pathlib
import platform
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import (REPO, add_images_argument, image_paths, median_seconds,  # noqa: E402
                    setup_child)

SECTIONS = ("reconstruction", "photorealism", "unlike", "speed")
# Unlike pairs (content:style) of the unlike section; see unlike_path.
UNLIKE = ("tubingen.jpg:golden_gate.jpg,ir/visible/llvip_190004.jpg:tubingen.jpg,"
          "skimage:rocket.jpg:skimage:coffee.png,skimage:coffee.png:skimage:rocket.jpg,"
          "skimage:astronaut.png:skimage:chelsea.png")
SHIPPED = REPO / "tfstyle" / "wct2" / "data" / "wct2_decoder_cat5.npz"
HELD_OUT = ("tubingen.jpg", "golden_gate.jpg")  # + ir/visible/* + the photoreal pair
PAIR = ("photoreal/content/in14.png", "photoreal/style/in14.png")
SEGMENTS = ("photoreal/content_segment/in14.png", "photoreal/style_segment/in14.png")
PSNR_TARGET, SSIM_TARGET = 30.0, 0.95
ROOFLINE_TARGET = 1.5
GRAM_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


# -- helpers ---------------------------------------------------------------------

def load_decoder(path):
    """`tfstyle.wct2.load_model` of --model; exits with one line if it fails."""
    from tfstyle.core.errors import TfstyleError
    from tfstyle.wct2.model import load_model

    try:
        return load_model(str(path))
    except TfstyleError as exc:
        sys.exit(f"photoreal_bench: --model: {exc}")


def psnr(a, b):
    import numpy as np

    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def rgb_ssim(a, b):
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a, b, channel_axis=-1, data_range=1.0))


def verdict(ok):
    return "PASS" if ok else "MISS"


def conv_shapes(kind, height, width):
    """(h, w, c_in, c_out, k) of every conv of the wavelet encoder and the
    decoder of `kind` on an image padded to height x width (networks.py: a conv
    of block n runs at 1 / 2^(n-1) of the image's side; conv0 is the 1x1
    preprocessing)."""
    from tfstyle.wct2.networks import ENCODER_CONVS, decoder_shapes

    def at(name, index):  # 'conv3_2' -> block 3, 'dec3_2' -> block 3
        block = int(name[index])
        return height >> (block - 1), width >> (block - 1)

    encoder = [(height, width, 3, 3, 1)]
    encoder += [(*at(name, 4), cin, cout, 3) for name, cin, cout in ENCODER_CONVS]
    decoder = [(*at(name, 3), cin, cout, 3) for name, (cin, cout) in decoder_shapes(kind).items()]
    return encoder, decoder


def gflop(shapes):
    return sum(2 * h * w * k * k * cin * cout for h, w, cin, cout, k in shapes) / 1e9


def roofline_seconds(shapes, repeats):
    """Bare `tf.nn.conv2d` forward time for `shapes`: each distinct shape
    timed on its own (median of `repeats`), times how often it occurs. (Not
    one graph of them all: grappler merges the identical convs of repeated
    shapes, which made an earlier version of this roofline run faster than
    the machine's peak.) A shape with 5k input channels (a cat5 decoder's conv
    after an unpooling) counts at the faster of one conv and the sum of five
    convs over k channels each: the same FLOPs, and oneDNN runs some wide
    inputs at a third of its rate."""
    import tensorflow as tf

    total = 0.0
    for shape in sorted(set(shapes)):
        h, w, cin, cout, k = shape
        x = tf.random.uniform((1, h, w, cin))
        kernel = tf.random.uniform((k, k, cin, cout), -0.05, 0.05)
        ways = [1] + ([5] if cin % 5 == 0 and cin >= 320 else [])
        best = min(median_seconds(tf.function(lambda n=n: tf.reduce_sum(
            _bare_conv(x, kernel, n)[:, :1, :1])), repeats) for n in ways)
        total += best * shapes.count(shape)
    return total


def _bare_conv(x, kernel, ways):
    """conv2d(x, kernel), as the sum of `ways` convs over channel groups."""
    import tensorflow as tf

    return tf.add_n([tf.nn.conv2d(a, b, 1, "SAME")
                     for a, b in zip(tf.split(x, ways, axis=-1), tf.split(kernel, ways, axis=2))])


class WctTimer:
    """Wraps `tfstyle.wct2.wct.transfer_features` (which `Photoreal.stylize`
    calls through the module) to add up the seconds spent inside it."""

    def __init__(self):
        from tfstyle.wct2 import wct as wct_lib

        self.seconds, self.calls = 0.0, 0
        original = wct_lib.transfer_features

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        wct_lib.transfer_features = timed

    def reset(self):
        self.seconds, self.calls = 0.0, 0


def random_pair(side, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return tuple(rng.random((side, side, 3), dtype=np.float32) for _ in range(2))


def machine_line():
    import tensorflow as tf

    return (f"machine: {platform.processor() or platform.machine()}, "
            f"{len(os.sched_getaffinity(0))} cores; TF {tf.__version__}")


# -- sections --------------------------------------------------------------------

def reconstruction(model, photos, size):
    import tfstyle

    print(f"\n## reconstruction: {model.kind} decoder {model.source}, photos at {size} px long side, "
          f"no transfer")
    print(f"targets: PSNR >= {PSNR_TARGET:g} dB, SSIM >= {SSIM_TARGET:g}")
    print("| photo | size | PSNR dB | SSIM | |\n|---|---|---|---|---|")
    scores = []
    for name, path in photos:
        image = tfstyle.load_image(path, size)
        out = model.reconstruct(image, size=None)
        p, s = psnr(out, image), rgb_ssim(out, image)
        scores.append((p, s))
        print(f"| {name} | {image.shape[1]}x{image.shape[0]} | {p:.2f} | {s:.4f} | "
              f"{verdict(p >= PSNR_TARGET and s >= SSIM_TARGET)} |", flush=True)
    mean_p = statistics.fmean(p for p, _ in scores)
    mean_s = statistics.fmean(s for _, s in scores)
    print(f"| **mean** | | {mean_p:.2f} | {mean_s:.4f} | "
          f"{verdict(mean_p >= PSNR_TARGET and mean_s >= SSIM_TARGET)} |")
    print(f"mean PSNR {mean_p:.2f} dB: {verdict(mean_p >= PSNR_TARGET)}; "
          f"mean SSIM {mean_s:.4f}: {verdict(mean_s >= SSIM_TARGET)}")


# The colours of the official WCT² release's label maps (utils/io.py, change_seg).
PALETTE = ((0, 0, 0), (255, 255, 255), (0, 255, 0), (0, 0, 255), (255, 0, 0), (255, 255, 0),
           (128, 128, 128), (0, 255, 255), (255, 0, 255))


def snap_labels(path):
    """[H, W] labels of a colour-coded map, each pixel the nearest (L1) palette
    colour, as the official release reads them: anti-aliased edges and
    compression noise become the regions' own labels, not labels of their own."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"), np.int32)
    distance = np.abs(rgb[..., None, :] - np.array(PALETTE, np.int32)).sum(-1)
    return distance.argmin(-1).astype(np.int32)


def edge_ssim(content, output):
    """SSIM of the Sobel gradient magnitudes of the two images' luminance."""
    from skimage.filters import sobel
    from skimage.metrics import structural_similarity

    from tfstyle.core.color import luminance

    return float(structural_similarity(sobel(luminance(content)), sobel(luminance(output)),
                                       data_range=1.0))


class Before:
    """The transform as it was before issue 28: WCT at every place (`before`),
    no ridge, no clamp: the model's calls of `wct.transfer_features` and
    `wct.style_statistics` get ridge 0 and clamp off while it is open."""

    def __enter__(self):
        import functools

        from tfstyle.wct2 import wct

        self.saved = wct.transfer_features, wct.style_statistics
        wct.transfer_features = functools.partial(self.saved[0], ridge=0.0, clamp=False)
        wct.style_statistics = functools.partial(self.saved[1], ridge=0.0)

    def __exit__(self, *exc):
        from tfstyle.wct2 import wct

        wct.transfer_features, wct.style_statistics = self.saved


def before(render):
    def run():
        with Before():
            return render(transfer_at=("encoder", "skip", "decoder"))
    return run


@functools.lru_cache(maxsize=None)
def gram_distance():
    """One VGG19 for every Gram distance of the run."""
    from tfstyle.core.metrics import GramDistance

    return GramDistance(layers=GRAM_LAYERS)


def scorer(style):
    """(content, output) -> (edge SSIM, Gram distance to `style`, invented chroma)."""
    from tfstyle.core.metrics import invented_chroma

    distance = gram_distance()
    target = distance.grams(style, None)
    return lambda content, out: (edge_ssim(content, out), distance(out, target, None),
                                 invented_chroma(out, content, style))


def score_rows(title, content, style, renders):
    """Prints one table row per render (and the content as a reference);
    returns [(name, output)]."""
    from tfstyle.core.image import resize

    score = scorer(style)
    print(title)
    print("| output | edge SSIM | Gram distance | invented chroma | s |\n|---|---|---|---|---|")
    print("| content photo (reference) | %.4f | %.4f | %.4f | |" % score(content, content),
          flush=True)
    outputs = []
    for name, render in renders:
        start = time.perf_counter()
        out = render()
        seconds = time.perf_counter() - start
        if out.shape[:2] != content.shape[:2]:
            print(f"note: {name} is {out.shape[1]}x{out.shape[0]}, resized to the content's "
                  f"{content.shape[1]}x{content.shape[0]}")
            out = resize(out, content.shape[:2])
        outputs.append((name, out))
        print("| %s | %.4f | %.4f | %.4f | %.1f |" % (name, *score(content, out), seconds),
              flush=True)
    return outputs


METRICS_TEXT = ("edge SSIM: SSIM of the Sobel gradient magnitudes of content and output (1: the "
                "content's edges kept); Gram distance: mean over block1..4_conv1 of "
                "||G(out) - G(style)||_F / ||G(style)||_F (0: the style's statistics); invented "
                "chroma: share of output pixels whose CIELAB (a*, b*) lies outside both the "
                "content's and the style's densest bins holding 99 % of their pixels "
                "(tfstyle.core.metrics.invented_chroma)")


def photorealism(model, args, content_path, style_path, content_seg, style_seg):
    import tfstyle
    from tfstyle.core.color import match_mean_std

    size = args.size
    content = tfstyle.load_image(content_path, size)
    style = tfstyle.load_image(style_path, size)
    labelled = "tfstyle photoreal + label maps"

    def plain(**kw):
        return model.stylize(content_path, style_path, size=size, style_size=size, **kw)

    def with_labels(**kw):
        from tfstyle.core.errors import ConfigError

        try:
            return plain(content_labels=content_seg, style_labels=style_seg, **kw)
        except ConfigError as exc:
            print(f"note: {labelled}: the label map files are refused ({exc}); using them "
                  "snapped to the official release's 9-colour palette instead", flush=True)
            return plain(content_labels=snap_labels(content_seg),
                         style_labels=snap_labels(style_seg), **kw)

    renders = [("mean/std colour transfer (per RGB channel)",
                lambda: match_mean_std(content, style)),
               ("tfstyle photoreal", plain), (labelled, with_labels)]
    if args.before:
        renders += [("before issue 28", before(plain)),
                    ("before issue 28 + label maps", before(with_labels))]
    if args.adain:
        from tfstyle.adain import load_model as load_adain

        adain = load_adain(args.adain)
        renders.append(("adain", lambda: adain.stylize(content_path, style_path, size=size,
                                                       style_size=size)))
    if args.gatys_steps:
        config = tfstyle.StyleConfig(size=size, steps=args.gatys_steps, init="content", scales=())
        renders.append((f"gatys, {args.gatys_steps} L-BFGS steps from the content",
                        lambda: tfstyle.transfer(content_path, style_path, config).image))
    outputs = score_rows(f"\n## photorealism: content {PAIR[0]} x style {PAIR[1]}, output "
                         f"{content.shape[1]}x{content.shape[0]}; decoder {model.source}\n"
                         f"{METRICS_TEXT}", content, style, renders)
    if args.sheet:
        from tfstyle.core.sheet import contact_sheet

        columns = [("content", content), ("style", style)] + outputs
        tfstyle.save_image(args.sheet, contact_sheet([[img for _, img in columns]],
                                                     column_labels=[n for n, _ in columns]))
        print(f"wrote {args.sheet}: " + " | ".join(n for n, _ in columns))


def unlike_path(parser, args, name):
    """A --unlike image: 'skimage:NAME' (scikit-image's sample), an absolute
    path, or a path in the --images folder."""
    if name.startswith("skimage:"):
        from tfstyle.core.samples import skimage_data_file

        return skimage_data_file(name.split(":", 1)[1])
    if pathlib.Path(name).is_absolute():
        if not pathlib.Path(name).is_file():
            parser.error(f"--unlike: no file {name}")
        return pathlib.Path(name)
    return image_paths(parser, args, name)[0]


def split_pair(item):
    """'a.jpg:skimage:b.png' -> ('a.jpg', 'skimage:b.png'); None if not two names."""
    names, parts = [], item.split(":")
    while parts:
        part = parts.pop(0)
        names.append(f"skimage:{parts.pop(0)}" if part == "skimage" and parts else part)
    return tuple(names) if len(names) == 2 and all(names) else None


def unlike(model, args, pairs):
    """Global transfer on pairs of unlike photos: tfstyle photoreal (and, with
    --before, the transform before issue 28) against the mean/std colour
    transfer; --unlike_sheet writes content | style | outputs per pair."""
    import tfstyle
    from tfstyle.core.color import match_mean_std

    rows = []
    for content_path, style_path in pairs:
        content = tfstyle.load_image(content_path, args.size)
        style = tfstyle.load_image(style_path, args.size)

        def plain(**kw):
            return model.stylize(content_path, style_path, size=args.size,
                                 style_size=args.size, **kw)

        renders = ([("before issue 28", before(plain))] if args.before else []) + [
            ("tfstyle photoreal", plain),
            ("mean/std colour transfer", lambda: match_mean_std(content, style))]
        outputs = score_rows(f"\n## unlike pair: {content_path.name} x {style_path.name}, "
                             "global (no labels)", content, style, renders)
        rows.append([content, style] + [out for _, out in outputs])
    if args.unlike_sheet and rows:
        from tfstyle.core.image import resize
        from tfstyle.core.sheet import contact_sheet

        height = 180
        rows = [[resize(img, (height, round(img.shape[1] * height / img.shape[0])))
                 for img in row] for row in rows]
        names = ["content", "style"] + [n for n, _ in outputs]
        tfstyle.save_image(args.unlike_sheet, contact_sheet(rows, column_labels=names))
        print(f"wrote {args.unlike_sheet}: " + " | ".join(names))


def speed(model, args):
    timer = WctTimer()
    print(f"\n## speed: Photoreal.stylize on random square content and style, the default "
          f"places ({model.kind}); median of {args.repeats} after a warm-up")
    print(machine_line())
    print("network = the call minus the time inside wct.transfer_features; conv GFLOP: encoder "
          "and decoder on the content and on the style; roofline: bare tf.nn.conv2d forward "
          f"over the same conv shapes; target: network within {ROOFLINE_TARGET:g}x of it")
    print("| size | s per call | WCT s (calls) | network s | conv GFLOP | network GFLOP/s | "
          "roofline s | roofline GFLOP/s | network / roofline | |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for side in (args.size, 2 * args.size):
        content, style = random_pair(side)
        padded = side + (-side) % 8
        encoder, decoder = conv_shapes(model.kind, padded, padded)
        shapes = 2 * (encoder + decoder)  # the content's and the style's
        work = gflop(shapes)

        def call():
            model.stylize(content, style, size=None, style_size=None)

        call()  # warm up
        totals, wcts = [], []
        for _ in range(args.repeats):
            timer.reset()
            start = time.perf_counter()
            call()
            totals.append(time.perf_counter() - start)
            wcts.append(timer.seconds)
        calls = timer.calls
        total = statistics.median(totals)
        wct_s = statistics.median(wcts)
        network = statistics.median(t - w for t, w in zip(totals, wcts))
        roof = roofline_seconds(shapes, args.repeats)
        ratio = network / roof
        print(f"| {side}x{side} | {total:.3f} | {wct_s:.3f} ({calls}) | {network:.3f} | "
              f"{work:.1f} | {work / network:.0f} | {roof:.3f} | {work / roof:.0f} | "
              f"{ratio:.2f}x | {verdict(ratio <= ROOFLINE_TARGET)} |", flush=True)

    big = 4 * args.size
    print(f"\n{big}x{big} content, in a fresh process each (one call after a {args.size} px "
          f"warm-up), with the style at 512 px (the default style_size) and at {big} px:")
    total_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print("| content | style | s | WCT s | peak RSS GiB | RSS before the call GiB | "
          "machine RAM GiB |")
    print("|---|---|---|---|---|---|---|")
    for style_side in (512, big):
        proc = subprocess.run([sys.executable, __file__, f"--child_big={big}",
                               f"--child_style={style_side}", f"--warmup={args.size}",
                               f"--model={args.model}"], capture_output=True, text=True)
        if proc.returncode:
            died = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else \
                f"exit status {proc.returncode}"
            tail = proc.stderr.strip().splitlines()[-1:] or [""]
            print(f"| {big}x{big} | {style_side} px | FAILED ({died}; out of memory?) {tail[0]} |")
            continue
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {big}x{big} | {style_side} px | {row['seconds']:.1f} | "
              f"{row['wct_seconds']:.1f} | {row['peak_rss_gib']:.2f} | "
              f"{row['rss_before_gib']:.2f} | {total_gib:.1f} |", flush=True)


def child_big(args):
    """One large transfer in this (fresh) process; prints a JSON line."""
    setup_child()
    model = load_decoder(args.model)
    timer = WctTimer()
    model.stylize(*random_pair(args.warmup, seed=1), size=None, style_size=None)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    content, style = random_pair(args.child_big)
    timer.reset()
    start = time.perf_counter()
    model.stylize(content, style, size=None, style_size=args.child_style or None)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"seconds": seconds, "wct_seconds": timer.seconds,
                      "peak_rss_gib": peak / 2**20, "rss_before_gib": before / 2**20}))


# -- main ------------------------------------------------------------------------

def arguments():
    """The command line's parser."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--size", type=int, default=512,
                        help="long side of the photos; the speed section runs size^2, (2 size)^2 "
                             "and, in a fresh process, (4 size)^2")
    parser.add_argument("--model", type=pathlib.Path, default=SHIPPED,
                        help="photoreal decoder .npz (default: the shipped %(default)s)")
    parser.add_argument("--adain", default=None, metavar="MODEL",
                        help="photorealism: an AdaIN .weights.h5 for a comparison row")
    parser.add_argument("--gatys_steps", type=int, default=100,
                        help="photorealism: L-BFGS iterations of the Gatys row (0: no row)")
    parser.add_argument("--repeats", type=int, default=3, help="speed: timed calls per size")
    parser.add_argument("--sheet", default=None,
                        help="photorealism: write content | style | outputs as a PNG here")
    parser.add_argument("--before", action="store_true",
                        help="photorealism, unlike: add rows of the transform before issue 28 "
                             "(WCT at every place, no ridge, no clamp)")
    parser.add_argument("--unlike", default=UNLIKE,
                        help="unlike: content:style pairs, comma-separated (paths in --images, "
                             "absolute, or skimage:NAME)")
    parser.add_argument("--unlike_sheet", default=None,
                        help="unlike: write a row per pair, content | style | outputs")
    parser.add_argument("--child_big", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child_style", type=int, default=512, help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, default=64, help=argparse.SUPPRESS)
    add_images_argument(parser)
    return parser


def main():
    parser = arguments()
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    wrong = [s for s in only if s not in SECTIONS]
    if wrong or not only:
        parser.error(f"--only: sections are {', '.join(SECTIONS)}; got {args.only!r}")
    if args.size < 8 or args.repeats < 1 or args.gatys_steps < 0:
        parser.error("--size must be >= 8, --repeats >= 1, --gatys_steps >= 0")
    if args.adain and not pathlib.Path(args.adain).is_file():
        parser.error(f"--adain: no file {args.adain}")
    if not args.model.is_file():
        print(f"photoreal_bench: no decoder file {args.model}"
              + (" (the shipped decoder is not there yet: train one, or pass --model=PATH)"
                 if args.model == SHIPPED else ""), file=sys.stderr)
        sys.exit(2)
    if args.child_big:
        return child_big(args)

    photos = pair = None
    if "reconstruction" in only:
        visible = image_paths(parser, args, "ir/visible")[0]
        names = list(HELD_OUT) + [f"ir/visible/{p.name}" for p in sorted(visible.iterdir())
                                  if p.suffix.lower() in PHOTO_SUFFIXES] + list(PAIR)
        photos = list(zip(names, image_paths(parser, args, *names)))
    if "photorealism" in only:
        pair = image_paths(parser, args, *PAIR, *SEGMENTS)
    setup_child()
    unlike_pairs = []
    if "unlike" in only:
        for item in filter(None, args.unlike.split(",")):
            names = split_pair(item)
            if names is None:
                parser.error(f"--unlike: {item!r} is not content:style")
            content_name, style_name = names
            unlike_pairs.append((unlike_path(parser, args, content_name),
                                 unlike_path(parser, args, style_name)))
    model = load_decoder(args.model)
    if photos:
        reconstruction(model, photos, args.size)
    if pair:
        photorealism(model, args, *pair)
    if unlike_pairs:
        unlike(model, args, unlike_pairs)
    if "speed" in only:
        speed(model, args)


if __name__ == "__main__":
    main()
