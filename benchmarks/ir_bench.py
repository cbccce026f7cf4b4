"""Visible -> infrared benchmark (issue 6): how close do outputs come to real thermal images?

On the aligned pairs in ir/{visible,thermal}/ of the --images folder (default
../shared/images; same name = same scene), each scene's visible image is
stylized with the *other* scene's thermal image as the style, and the result
is compared with the real thermal image of the same scene: grayscale SSIM
and Pearson's r at 256 px (`tfstyle.core.metrics`), and the earth mover's distance
between the two intensity histograms (EMD: does the output take thermal
statistics?). Baselines: the visible image's luminance and its inverse.
AdaIN rows (`main.py adain`) need --adain. Arbitrary rows: Magenta's pretrained
network (`main.py arbitrary`, weights from `python -m tfstyle.fetch`), at each
--alphas value as its --interpolation_weight. Photoreal rows (WCT²,
`main.py photoreal`) use the shipped decoder, or --photoreal (left out, with a
note, when the shipped decoder is not there): global, and with label maps (sky,
ground, person, vehicle, vegetation, building), drawn by hand as boxes over each
scene's visible image (ir_labels.json; the pairs are aligned, so a style scene's
map is its visible twin's). A user supplies the same: a map of the photo and one
of the thermal style image, same label = same kind of region.
Prints a table; with --sheet writes a side-by-side picture (kept out of the
repository: the pairs' terms forbid committing them or copies).

    python benchmarks/ir_bench.py [--only=TEXT] [--adain=m.weights.h5] [--sheet=ir.png]
        [--photoreal=decoder.npz] [--images=DIR]
"""

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import REPO, add_images_argument, image_paths, setup_child  # noqa: E402

PRESET = REPO / "presets" / "infrared.cfg"
# Hand-drawn boxes of the two scenes' regions (sky, ground, people, vehicles...).
LABELS = pathlib.Path(__file__).parent / "ir_labels.json"
SHIPPED_PHOTOREAL = REPO / "tfstyle" / "wct2" / "data" / "wct2_decoder_cat5.npz"


def main_py(command, *flags):
    """Runs `main.py COMMAND FLAGS` as a user does (the preset through --flagfile);
    returns the output image."""
    import os
    import subprocess
    import tempfile

    import tfstyle

    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "out.png"
        proc = subprocess.run([sys.executable, str(REPO / "main.py"), command, *flags,
                               f"--output={out}"],
                              capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
        if proc.returncode:
            raise SystemExit(f"main.py {command} {' '.join(flags)} failed: "
                             f"{proc.stderr.strip()}")
        return tfstyle.load_image(out)


def methods(args):
    """name -> render(visible_path, thermal_style_path) -> [H, W, 3] or [H, W]."""
    import numpy as np

    import tfstyle
    from tfstyle.core import color

    def lum(path):
        return color.luminance(tfstyle.load_image(path, args.size))

    def hist_match(visible, style):
        source, target = lum(visible), lum(style)
        ranks = np.argsort(np.argsort(source.ravel()))
        quantiles = np.sort(target.ravel())[
            (ranks * (target.size - 1) / max(source.size - 1, 1)).astype(int)]
        return quantiles.reshape(source.shape)

    table = {
        "visible luminance (baseline)": lambda v, s: lum(v),
        "inverted luminance (baseline)": lambda v, s: 1.0 - lum(v),
        "luminance histogram of the style": hist_match,
    }
    def run(command, *flags):
        return lambda v, s: main_py(command, f"--content={v}", f"--style={s}",
                                    f"--size={args.size}", *flags)

    table["gatys, presets/infrared.cfg"] = run("transfer", f"--flagfile={PRESET}")
    for beta in args.style_weights:
        table[f"gatys, infrared.cfg with style_weight={beta:g}"] = run(
            "transfer", f"--flagfile={PRESET}", f"--style_weight={beta:g}")
    if args.adain:
        for alpha in args.alphas:
            table[f"adain, alpha={alpha:g}"] = run("adain", f"--model={args.adain}",
                                                   f"--alpha={alpha:g}", "--output_channels=1")
    for weight in args.alphas:
        table[f"arbitrary (Magenta), interpolation_weight={weight:g}"] = run(
            "arbitrary", f"--interpolation_weight={weight:g}", "--output_channels=1")
    if args.photoreal:
        photoreal = ("photoreal", f"--model={args.photoreal}", "--output_channels=1")
        for alpha in args.alphas:
            table[f"photoreal (WCT2), alpha={alpha:g}"] = run(*photoreal, f"--alpha={alpha:g}")
        for alpha in args.alphas:
            table[f"photoreal (WCT2) + label maps, alpha={alpha:g}"] = labelled(
                run, args.label_dir, *photoreal, f"--alpha={alpha:g}")
    return table


def labelled(run, label_dir, *flags):
    """A render that adds --content_labels and --style_labels: the maps of
    the two scenes, written by `write_label_maps`."""
    def render(visible, style):
        maps = (f"--content_labels={label_dir / (visible.stem + '.png')}",
                f"--style_labels={label_dir / (style.stem + '.png')}")
        return run(*flags, *maps)(visible, style)

    return render


def write_label_maps(visible_dir, scenes, folder: pathlib.Path):
    """One-channel index PNGs (labels.md's format) of LABELS' boxes, at each
    visible image's size, into `folder`; returns the scenes without boxes."""
    import json

    import numpy as np
    from PIL import Image

    boxes = json.loads(LABELS.read_text())["scenes"]
    missing = []
    for scene in scenes:
        stem = pathlib.Path(scene).stem
        if stem not in boxes:
            missing.append(scene)
            continue
        width, height = Image.open(visible_dir / scene).size
        labels = np.zeros((height, width), np.uint8)
        for label, x0, y0, x1, y1 in boxes[stem]:
            labels[round(y0 * height / 100):round(y1 * height / 100),
                   round(x0 * width / 100):round(x1 * width / 100)] = label
        Image.fromarray(labels).save(folder / f"{stem}.png")
    return missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--style_weights", type=float, nargs="*", default=[],
                        help="extra Gatys rows: the preset with these style weights")
    parser.add_argument("--adain", default=None, metavar="MODEL",
                        help="AdaIN model (.weights.h5) of the adain rows (default: no rows)")
    parser.add_argument("--alphas", type=float, nargs="*", default=[0.5, 1.0],
                        help="the alphas of the adain and photoreal rows, and the "
                             "interpolation weights of the arbitrary rows")
    parser.add_argument("--photoreal", default=None, metavar="MODEL",
                        help="photoreal decoder .npz (default: the shipped one, if there)")
    parser.add_argument("--only", default=None, help="run the methods whose name contains this")
    parser.add_argument("--sheet", default=None, help="write a side-by-side PNG here")
    add_images_argument(parser)
    args = parser.parse_args()
    visible_dir, thermal_dir = image_paths(parser, args, "ir/visible", "ir/thermal")
    scenes = sorted(p.name for p in visible_dir.iterdir())
    if not scenes:
        parser.error(f"--images: {visible_dir} is empty")
    image_paths(parser, args, *(f"ir/thermal/{s}" for s in scenes))
    if args.photoreal is not None and not pathlib.Path(args.photoreal).is_file():
        parser.error(f"--photoreal: no file {args.photoreal}")
    if args.photoreal is None:
        if SHIPPED_PHOTOREAL.is_file():
            args.photoreal = str(SHIPPED_PHOTOREAL)
        elif not args.only or any(args.only in f"photoreal (WCT2), alpha={a:g}"
                                  for a in args.alphas):
            print(f"note: no photoreal rows: no shipped decoder {SHIPPED_PHOTOREAL} "
                  "(pass --photoreal=PATH)", flush=True)
    setup_child()
    import numpy as np

    import tfstyle
    from tfstyle.core import metrics

    import tempfile

    label_tmp = tempfile.TemporaryDirectory()
    args.label_dir = pathlib.Path(label_tmp.name)
    unlabelled = write_label_maps(visible_dir, scenes, args.label_dir)
    rows, sheet_rows = [], []
    for name, render in methods(args).items():
        if "label maps" in name and unlabelled:
            print(f"note: no row {name!r}: no boxes in {LABELS.name} for {unlabelled}")
            continue
        if args.only and args.only not in name:
            continue
        scores, seconds, images = [], 0.0, []
        for i, scene in enumerate(scenes):
            other = scenes[(i + 1) % len(scenes)]
            start = time.perf_counter()
            result = np.asarray(render(visible_dir / scene, thermal_dir / other), np.float32)
            seconds += time.perf_counter() - start
            if result.ndim == 2:
                result = np.repeat(result[..., None], 3, -1)
            scores.append(metrics.compare(result, thermal_dir / scene, args.size))
            images.append(result)
        rows.append((name, scores, seconds / len(scenes)))
        sheet_rows.append((name, images))
        print(f"{name}: " + "; ".join(
            f"{s}: SSIM {v['ssim']:.3f}, r {v['pearson']:.3f}, EMD {v['intensity_distance']:.3f}"
            for s, v in zip(scenes, scores)), flush=True)
    print("\n| method | " + " | ".join(f"{s} SSIM / r / EMD" for s in scenes)
          + " | mean SSIM | mean r | mean EMD | s per image |")
    print("|---|" + "---|" * (len(scenes) + 4))
    for name, scores, seconds in rows:
        cells = " | ".join(f"{v['ssim']:.3f} / {v['pearson']:.3f} / {v['intensity_distance']:.3f}"
                           for v in scores)
        mean = {k: np.mean([v[k] for v in scores]) for k in scores[0]}
        print(f"| {name} | {cells} | {mean['ssim']:.3f} | {mean['pearson']:.3f} | "
              f"{mean['intensity_distance']:.3f} | {seconds:.1f} |")
    ssim = {name: float(np.mean([v["ssim"] for v in scores])) for name, scores, _ in rows}
    visible, inverted = (ssim.get(f"{b} luminance (baseline)") for b in ("visible", "inverted"))
    if visible is not None and inverted is not None:
        for name in (n for n in ssim if n.startswith("photoreal")):
            above = [b for b, v in (("visible", visible), ("inverted", inverted)) if ssim[name] > v]
            print(f"{name}: mean SSIM {ssim[name]:.3f} against the baselines' {visible:.3f} "
                  f"(visible luminance) and {inverted:.3f} (inverted): above "
                  + (" and ".join(above) if above else "neither"))
    if args.sheet:
        from tfstyle.core.image import resize

        refs = [("visible", [tfstyle.load_image(visible_dir / s, args.size) for s in scenes]),
                ("thermal (truth)", [tfstyle.load_image(thermal_dir / s, args.size)
                                     for s in scenes])]
        columns = refs + sheet_rows
        height = max(img.shape[0] for _, imgs in columns for img in imgs)
        strips = []
        for i in range(len(scenes)):
            strips.append(np.concatenate([resize(imgs[i], (height, round(imgs[i].shape[1] * height
                                                                         / imgs[i].shape[0])))
                                          for _, imgs in columns], axis=1))
        width = min(s.shape[1] for s in strips)
        tfstyle.save_image(args.sheet, np.concatenate([s[:, :width] for s in strips], axis=0))
        print("sheet columns:", ", ".join(name for name, _ in columns))


if __name__ == "__main__":
    main()
