"""Visible -> infrared benchmark (issue 26): how close do outputs come to the
real thermal image of the photo's own scene, on scenes the method never saw?

Leave-one-scene-out over the aligned pairs in ir/{visible,thermal}/ of the
--images folder (same name = same scene; the sensor is the name's prefix
before "_"): each scene's photo is rendered with examples taken only from the
*other* scenes of its sensor, and compared with its real thermal twin at
--size px in grey:
  SSIM, Pearson's r, the earth mover's distance (EMD) of the intensity
  histograms, and the Gram distance on VGG19 (conv1_1..conv5_1; texture
  statistics, whatever the layout; `tfstyle.core.metrics`).
Rows, all in one run:
  grey, inverted grey, grey histogram-matched to the examples' thermal pixels;
  photoreal (WCT², shipped decoder) alpha 0.5 and arbitrary (Magenta)
  interpolation weight 0.5, styled with another thermal image of the sensor;
  infrared (examples): `tfstyle.infrared` fitted on the other pairs;
  infrared (style only): `tfstyle.infrared` given the other thermal images.
A sensor with one pair (M3FD here) has no other pairs: it gets the rows
that need no pairs, styled with the other sensors' thermal images.
Prints a table per sensor and the issue's targets; --speed adds the folder
timing (10 photos, after fitting), a 10-pair fit's time, and peak memory of
`main.py infrared` at 256 and 1024 px (child processes). --sheet writes a
side-by-side picture (kept out of the repository: the pairs' terms forbid it).

    python benchmarks/ir_bench.py [--images=DIR] [--only=TEXT] [--speed] [--sheet=ir.png]
"""

import argparse
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import (REPO, add_images_argument, image_paths, run_with_peak,  # noqa: E402
                    setup_child)

METRICS = ("ssim", "pearson", "intensity_distance", "gram")
EXAMPLES, STYLE_ONLY = "infrared (examples)", "infrared (style only)"
BASELINES = ("grey", "inverted grey")
SSIM_MARGIN, SECONDS_PER_IMAGE, FIT_SECONDS = 0.05, 2.0, 60.0
MEMORY_GIB = {256: 4.0, 1024: 12.0}


def sensor_of(scene: str) -> str:
    return scene.split("_")[0]


def hist_match(grey, pool):
    import numpy as np

    pool = np.sort(pool)
    ranks = np.argsort(np.argsort(grey.ravel(), kind="stable"), kind="stable")
    return pool[(ranks * (pool.size - 1) / max(grey.size - 1, 1)).astype(int)].reshape(grey.shape)


class Renders:
    """name -> render(scene) -> [H, W, 3] in [0, 1], for one leave-one-out case."""

    def __init__(self, args, weights):
        import tfstyle
        from tfstyle.core import color

        self.args, self.weights, self.tfstyle, self.color = args, weights, tfstyle, color
        self.fit_seconds = []

    def case(self, scene, examples, styles):
        """The rows for `scene`, with example pairs `examples` (paths) and
        thermal `styles` (paths: the other scenes' thermal images)."""
        import numpy as np

        t, size = self.tfstyle, self.args.size
        photo = t.load_image(self.args.visible / scene, size)
        grey = self.color.luminance(photo)
        pool = np.concatenate([self.color.luminance(t.load_image(s, size)).ravel()
                               for s in styles])
        rgb = lambda y: np.repeat(np.asarray(y, np.float32)[..., None], 3, -1)  # noqa: E731
        rows = {"grey": lambda: rgb(grey), "inverted grey": lambda: rgb(1 - grey),
                "grey matched to the thermal histogram": lambda: rgb(hist_match(grey, pool)),
                "photoreal alpha 0.5": lambda: t.photoreal(photo, styles[0], alpha=0.5,
                                                           size=size, style_size=size).image,
                "arbitrary interpolation_weight 0.5": lambda: t.arbitrary(
                    photo, [styles[0]], interpolation_weight=0.5, size=size,
                    style_size=size).image,
                STYLE_ONLY: lambda: t.infrared(photo, style=styles).image}
        if examples:
            rows[EXAMPLES] = lambda: self._examples(photo, examples)
        return rows

    def _examples(self, photo, examples):
        from tfstyle.thermal.fit import fit

        start = time.perf_counter()
        learned = fit(examples, weights=self.weights)
        self.fit_seconds.append(time.perf_counter() - start)
        return self.tfstyle.infrared(photo, fit=learned, model=self.weights).image


def evaluate(args, scenes):
    """{row: {scene: metrics}}, the sheet's images, and the mean fit time."""
    import numpy as np

    import tfstyle
    from tfstyle.core import metrics

    weights = tfstyle.find_vgg19_weights()
    gram = metrics.GramDistance(weights)
    renders = Renders(args, weights)
    table, images = {}, {}
    for scene in scenes:
        mine = sensor_of(scene)
        same = [s for s in scenes if sensor_of(s) == mine and s != scene]
        others = same or [s for s in scenes if sensor_of(s) != mine]
        examples = [(str(args.visible / s), str(args.thermal / s)) for s in same]
        styles = [str(args.thermal / s) for s in others]
        truth = tfstyle.load_image(args.thermal / scene, args.size)
        reference = gram.grams(truth, args.size)
        for name, render in renders.case(scene, examples, styles).items():
            if args.only and args.only not in name:
                continue
            image = np.asarray(render(), np.float32)
            scores = metrics.compare(image, truth, args.size)
            scores["gram"] = gram(image, reference, args.size)
            table.setdefault(name, {})[scene] = scores
            images.setdefault(name, {})[scene] = image
        print(f"{scene}: " + "; ".join(f"{n} {table[n][scene]['ssim']:.3f}" for n in table
                                       if scene in table[n]), flush=True)
    fit_seconds = statistics.fmean(renders.fit_seconds) if renders.fit_seconds else None
    return table, images, fit_seconds


def mean(table, name, scenes, metric):
    values = [table[name][s][metric] for s in scenes if s in table.get(name, {})]
    return statistics.fmean(values) if values else float("nan")


def report(table, scenes):
    """A table per sensor, then the targets of issue 26 per sensor."""
    verdicts = []
    for sensor in dict.fromkeys(sensor_of(s) for s in scenes):
        group = [s for s in scenes if sensor_of(s) == sensor]
        print(f"\n### {sensor} ({len(group)} scene{'s' * (len(group) > 1)})\n")
        print("| method | SSIM | r | EMD | Gram distance |")
        print("|---|---|---|---|---|")
        for name in table:
            if any(s in table[name] for s in group):
                print(f"| {name} | " + " | ".join(f"{mean(table, name, group, m):.3f}"
                                                  for m in METRICS) + " |")
        if EXAMPLES not in table or not any(s in table[EXAMPLES] for s in group):
            continue
        floor = max(mean(table, b, group, "ssim") for b in BASELINES)
        ours = {m: mean(table, EXAMPLES, group, m) for m in METRICS}
        checks = [
            (f"SSIM {ours['ssim']:.3f} >= max(grey, inverted) {floor:.3f} + {SSIM_MARGIN}",
             ours["ssim"] >= floor + SSIM_MARGIN),
            (f"r {ours['pearson']:.3f} > grey's {mean(table, 'grey', group, 'pearson'):.3f}",
             ours["pearson"] > mean(table, "grey", group, "pearson")),
        ]
        photoreal = mean(table, "photoreal alpha 0.5", group, "gram")
        if photoreal == photoreal:
            checks.append((f"Gram {ours['gram']:.3f} <= photoreal alpha 0.5's {photoreal:.3f}",
                           ours["gram"] <= photoreal))
        for text, ok in checks:
            verdicts.append(ok)
            print(f"- {sensor}: {text}: {'met' if ok else 'NOT met'}")
    return verdicts


def speed(args, scenes):
    """Folder timing after fitting, a 10-pair fit, peak memory at 256 and 1024 px."""
    import os
    import shutil
    import subprocess
    import tempfile

    import tfstyle
    from tfstyle.thermal.fit import fit

    pairs = [(str(args.visible / s), str(args.thermal / s)) for s in scenes[:10]]
    start = time.perf_counter()
    learned = fit(pairs)
    print(f"\nfit on {len(pairs)} pairs: {time.perf_counter() - start:.1f} s (target <= "
          f"{FIT_SECONDS:g} s)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        learned.save(tmp / "fit.npz")
        (tmp / "photos").mkdir()
        for i in range(10):
            shutil.copy(args.visible / scenes[i % len(scenes)],
                        tmp / "photos" / f"{i:02d}{pathlib.Path(scenes[i % len(scenes)]).suffix}")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        main = [sys.executable, str(REPO / "main.py"), "infrared", f"--fit={tmp / 'fit.npz'}"]
        for size in (256, 1024):
            proc, peak = run_with_peak([*main, f"--content={args.visible / scenes[0]}",
                                        f"--output={tmp / f'one{size}.png'}", f"--size={size}"],
                                       env=env)
            if proc.returncode:
                raise SystemExit(f"main.py infrared at {size} px failed: {proc.stderr[-1500:]}")
            print(f"peak memory of `main.py infrared --fit` at {size} px: {peak:.2f} GiB (target < "
                  f"{MEMORY_GIB[size]:g} GiB)")
        start = time.perf_counter()
        proc = subprocess.run([*main, f"--content_dir={tmp / 'photos'}",
                               f"--output_dir={tmp / 'out'}", "--size=256"],
                              capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(proc.stderr)
        import json

        lines = (tmp / "out" / "manifest.jsonl").read_text().splitlines()
        per = [json.loads(line).get("seconds", 0) for line in lines]
        print(f"folder of 10 photos at 256 px with --fit: {wall:.1f} s wall in all (start-up "
              f"included), {statistics.fmean(per):.2f} s per image (target <= "
              f"{SECONDS_PER_IMAGE:g} s)")
    del tfstyle


def write_sheet(path, args, scenes, images):
    import numpy as np

    import tfstyle
    from tfstyle.core.image import resize

    columns = [("visible", {s: tfstyle.load_image(args.visible / s, args.size) for s in scenes}),
               ("thermal (truth)", {s: tfstyle.load_image(args.thermal / s, args.size)
                                    for s in scenes}), *images.items()]
    strips = []
    for s in scenes:
        cells = [col[s] if s in col else np.zeros_like(columns[0][1][s]) for _, col in columns]
        strips.append(np.concatenate([resize(c, (96, round(c.shape[1] * 96 / c.shape[0])))
                                      for c in cells], 1))
    width = max(s.shape[1] for s in strips)
    tfstyle.save_image(path, np.concatenate([np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0)))
                                             for s in strips], 0))
    print("sheet columns:", ", ".join(name for name, _ in columns))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--only", default=None, help="the rows whose name contains this")
    parser.add_argument("--speed", action="store_true", help="also time and measure memory")
    parser.add_argument("--sheet", default=None, help="write a side-by-side PNG here")
    add_images_argument(parser)
    args = parser.parse_args()
    args.visible, args.thermal = image_paths(parser, args, "ir/visible", "ir/thermal")
    scenes = sorted(p.name for p in args.visible.iterdir())
    if not scenes:
        parser.error(f"--images: {args.visible} is empty")
    image_paths(parser, args, *(f"ir/thermal/{s}" for s in scenes))
    setup_child()
    table, images, fit_seconds = evaluate(args, scenes)
    verdicts = report(table, scenes)
    if fit_seconds is not None:
        print(f"\nmean fit time (leave-one-out folds): {fit_seconds:.1f} s")
    if verdicts:
        print(f"quality targets met: {sum(verdicts)} of {len(verdicts)}")
    if args.speed:
        speed(args, scenes)
    if args.sheet:
        write_sheet(args.sheet, args, scenes, images)


if __name__ == "__main__":
    main()
