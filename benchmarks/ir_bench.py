"""Visible -> infrared benchmark (issues 26 and 33): how close do outputs come
to the real thermal image of the photo's own scene, on scenes the method
never saw, and do they look thermal?

Every output is compared with its real thermal twin in grey at --size px:
  SSIM, Pearson's r, the earth mover's distance (EMD) of the intensity
  histograms, the Gram distance on VGG19 (conv1_1..conv5_1; texture
  statistics whatever the layout), and what looks thermal
  (`tfstyle.core.metrics.thermal_look`): the sharpness ratio (mean Sobel
  magnitude, output over real), the detail ratio (energy of image minus its
  Gaussian blur, sigma 2 px) and the hot-object contrast ratio (the real
  image's brightest 5 %: how much they stand out, output over real).
  Per sensor and row, a set-level realism figure: the kernel inception
  distance on VGG19 pooled conv5_1 features in place of Inception
  (`metrics.kernel_inception_distance`; not comparable with published KID or
  FID values), outputs against the real thermal images of the same scenes.

Protocol A (--protocol=A): leave-one-scene-out over the aligned pairs in
ir/{visible,thermal}/ of --images (same name = same scene; the sensor is the
name's prefix before "_"): each scene's photo is rendered with examples taken
only from the *other* scenes of its sensor. A sensor with one pair (M3FD
here) gets the rows that need no pairs, styled with the other sensors'
thermal images.

Protocol B (--protocol=B): the many pairs of one sensor in --many (default
ir_many/roadscene of --images), sorted by frame number and split into 5
contiguous blocks; each block is held out in turn and the routes are fitted
on the other four (and, on the folds of --subset_folds, on 6 and 30 of
them, evenly spaced).

Rows, all in one run: grey, inverted grey, (A: grey histogram-matched to the
examples' thermal pixels, Magenta's arbitrary network at interpolation weight
0.5, infrared style-only,) photoreal (WCT²) alpha 0.5 styled with another
thermal image of the sensor, and `tfstyle.infrared` fitted on the pairs by
each route (ridge; trained unless --no-trained).

Prints a table per sensor and the targets; --speed adds the folder timing,
the fit and training times and peak memory of `main.py infrared` at 256 and
1024 px (child processes). --sheet writes a side-by-side picture of
protocol A, --sheet_b of 8 of protocol B's held-out scenes (keep both out
of the repository: the pairs' terms forbid it).

    python benchmarks/ir_bench.py [--protocol=A|B|AB] [--images=DIR] [--only=TEXT]
        [--train_steps=N] [--no-trained] [--speed] [--sheet=ir.png] [--sheet_b=ir_b.png]
"""

import argparse
import pathlib
import re
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import (REPO, add_images_argument, image_paths, run_with_peak,  # noqa: E402
                    setup_child)

METRICS = ("ssim", "pearson", "intensity_distance", "gram", "sharpness", "detail", "hot")
HEADERS = ("SSIM", "r", "EMD", "Gram", "sharpness", "detail", "hot")
RIDGE, TRAINED, STYLE_ONLY = "infrared (ridge)", "infrared (trained)", "infrared (style only)"
PHOTOREAL = "photoreal alpha 0.5"
BASELINES = ("grey", "inverted grey")
SSIM_MARGIN, GRAM_MARGIN = 0.05, 0.05
SHARPNESS, DETAIL, HOT = (0.8, 1.25), (0.6, 1.6), 0.7
B_SSIM = 0.50
SECONDS_PER_IMAGE, TRAIN_SECONDS = 2.0, 15 * 60.0
MEMORY_GIB = {256: 4.0, 1024: 12.0}
BLOCKS, SUBSETS = 5, (6, 30)


def sensor_of(scene: str) -> str:
    return scene.split("_")[0]


def frame_order(name: str):
    """RoadScene's names: (prefix, frame number)."""
    numbers = re.findall(r"\d+", name)
    return re.sub(r"\d+", "", name), int(numbers[-1]) if numbers else -1


def hist_match(grey, pool):
    import numpy as np

    pool = np.sort(pool)
    ranks = np.argsort(np.argsort(grey.ravel(), kind="stable"), kind="stable")
    return pool[(ranks * (pool.size - 1) / max(grey.size - 1, 1)).astype(int)].reshape(grey.shape)


class Scorer:
    """Every measure of an output against its real twin, and the pooled
    features for the set-level KID; the networks are built once."""

    def __init__(self, weights, size):
        from tfstyle.core import metrics

        self.metrics, self.size = metrics, size
        self.gram = metrics.GramDistance(weights)
        self.features = metrics.PooledFeatures(weights)

    def truth(self, thermal_path):
        import tfstyle

        image = tfstyle.load_image(thermal_path, self.size)
        return image, self.gram.grams(image, self.size), self.features(image, self.size)

    def __call__(self, image, truth):
        reference, grams, _ = truth
        m = self.metrics
        scores = m.compare(image, reference, self.size)
        scores["gram"] = self.gram(image, grams, self.size)
        scores.update(m.thermal_look(m.gray(image, self.size), m.gray(reference, self.size)))
        return scores


class Table:
    """{row: {scene: scores}}, the rows' pooled features, and the images."""

    def __init__(self):
        self.scores, self.features, self.images, self.truth_features = {}, {}, {}, {}

    def add(self, name, scene, scores, features, image):
        self.scores.setdefault(name, {})[scene] = scores
        self.features.setdefault(name, {})[scene] = features
        self.images.setdefault(name, {})[scene] = image

    def mean(self, name, scenes, metric):
        values = [self.scores[name][s][metric] for s in scenes if s in self.scores.get(name, {})]
        return statistics.fmean(values) if values else float("nan")

    def kid(self, name, scenes):
        import numpy as np

        from tfstyle.core.metrics import kernel_inception_distance

        mine = [self.features[name][s] for s in scenes if s in self.features.get(name, {})]
        real = [self.truth_features[s] for s in scenes if s in self.truth_features]
        if len(mine) < 2 or len(real) < 2:
            return float("nan")
        return kernel_inception_distance(np.stack(mine), np.stack(real))


def render_rows(args, weights, photo, styles, fits, protocol):
    """name -> render() -> [H, W, 3] in [0, 1] for one photo: the baselines
    of `protocol` ("A" or "B") and one row per ready fit of `fits`
    ({row name: Fit})."""
    import numpy as np

    import tfstyle
    from tfstyle.core import color

    size = args.size
    grey = color.luminance(photo)
    rgb = lambda y: np.repeat(np.asarray(y, np.float32)[..., None], 3, -1)  # noqa: E731
    rows = {"grey": lambda: rgb(grey), "inverted grey": lambda: rgb(1 - grey),
            PHOTOREAL: lambda: tfstyle.photoreal(photo, styles[0], alpha=0.5, size=size,
                                                 style_size=size).image}
    if protocol == "A":
        pool = np.concatenate([color.luminance(tfstyle.load_image(s, size)).ravel()
                               for s in styles])
        rows["grey matched to the thermal histogram"] = lambda: rgb(hist_match(grey, pool))
        rows["arbitrary interpolation_weight 0.5"] = lambda: tfstyle.arbitrary(
            photo, [styles[0]], interpolation_weight=0.5, size=size, style_size=size).image
        rows[STYLE_ONLY] = lambda: tfstyle.infrared(photo, style=styles).image
    for name, fit in fits.items():
        rows[name] = (lambda f: lambda: tfstyle.infrared(photo, fit=f, vgg_weights=weights).image)(fit)
    return rows


class Fits:
    """The routes' fits, made once per training set and timed."""

    def __init__(self, args, weights):
        self.args, self.weights, self.seconds = args, weights, {}

    def __call__(self, examples, label=""):
        from tfstyle.thermal.fit import fit

        routes = {RIDGE + label: "ridge"}
        if self.args.trained:
            routes[TRAINED + label] = "trained"
        fits = {}
        for name, route in routes.items():
            if self.args.only and self.args.only not in name:
                continue
            start = time.perf_counter()
            fits[name] = fit(examples, weights=self.weights, route=route,
                             train_steps=self.args.train_steps)
            seconds = time.perf_counter() - start
            self.seconds.setdefault((route, len(examples)), []).append(seconds)
            print(f"  fitted {name} on {len(examples)} pairs in {seconds:.0f} s", flush=True)
        return fits


def score_rows(args, table, scorer, scene, photo, truth, rows):
    import numpy as np

    table.truth_features[scene] = truth[2]
    for name, render in rows.items():
        if args.only and args.only not in name and name not in BASELINES:
            continue
        image = np.asarray(render(), np.float32)
        table.add(name, scene, scorer(image, truth), scorer.features(image, args.size), image)


def protocol_a(args, weights, scorer, fits):
    import tfstyle

    scenes = sorted(p.name for p in args.visible.iterdir())
    table = Table()
    for scene in scenes:
        mine = sensor_of(scene)
        same = [s for s in scenes if sensor_of(s) == mine and s != scene]
        others = same or [s for s in scenes if sensor_of(s) != mine]
        examples = [(str(args.visible / s), str(args.thermal / s)) for s in same]
        styles = [str(args.thermal / s) for s in others]
        photo = tfstyle.load_image(args.visible / scene, args.size)
        rows = render_rows(args, weights, photo, styles, fits(examples) if examples else {}, "A")
        score_rows(args, table, scorer, scene, photo, scorer.truth(args.thermal / scene), rows)
        print(f"{scene}: " + "; ".join(f"{n} {table.scores[n][scene]['ssim']:.3f}"
                                       for n in table.scores if scene in table.scores[n]),
              flush=True)
    groups = {}
    for scene in scenes:
        groups.setdefault(sensor_of(scene), []).append(scene)
    return table, groups


def protocol_b(args, weights, scorer, fits):
    import numpy as np

    import tfstyle

    root = args.many
    names = sorted((p.name for p in (root / "visible").iterdir()), key=frame_order)
    blocks = np.array_split(np.arange(len(names)), BLOCKS)
    table, groups = Table(), {}
    for b, block in enumerate(blocks):
        held = [names[i] for i in block]
        train = [names[i] for i in range(len(names)) if i not in set(block)]
        print(f"fold {b}: {len(train)} training pairs, {len(held)} held out "
              f"({held[0]} ... {held[-1]})", flush=True)
        pairs = [(str(root / "visible" / n), str(root / "thermal" / n)) for n in train]
        ready = fits(pairs)
        if b in args.subset_folds:
            for count in SUBSETS:
                chosen = np.round(np.linspace(0, len(pairs) - 1, count)).astype(int)
                ready.update(fits([pairs[i] for i in chosen], f", {count} pairs"))
        styles = [str(root / "thermal" / train[len(train) // 2])]
        for n in held:
            photo = tfstyle.load_image(root / "visible" / n, args.size)
            rows = render_rows(args, weights, photo, styles, ready, "B")
            score_rows(args, table, scorer, n, photo, scorer.truth(root / "thermal" / n), rows)
        groups[f"fold {b}"] = held
        print("  " + "; ".join(f"{name} {table.mean(name, held, 'ssim'):.3f}"
                               for name in table.scores), flush=True)
    groups["RoadScene, all folds"] = names
    return table, groups


def print_table(table, groups):
    for group, scenes in groups.items():
        print(f"\n### {group} ({len(scenes)} scene{'s' * (len(scenes) > 1)})\n")
        print("| method | " + " | ".join(HEADERS) + " | KID |")
        print("|---|" + "---|" * (len(HEADERS) + 1))
        for name in table.scores:
            if any(s in table.scores[name] for s in scenes):
                print(f"| {name} | " + " | ".join(f"{table.mean(name, scenes, m):.3f}"
                                                  for m in METRICS)
                      + f" | {table.kid(name, scenes):.3f} |")


def targets(table, groups, route, protocol_b_all=None):
    """The issue-33 targets of `route`'s row on each group; returns the verdicts."""
    verdicts = []
    for group, scenes in groups.items():
        if route not in table.scores or not any(s in table.scores[route] for s in scenes):
            continue
        m = {k: table.mean(route, scenes, k) for k in METRICS}
        floor = max(table.mean(b, scenes, "ssim") for b in BASELINES)
        grams = [table.mean(b, scenes, "gram") for b in ("grey", PHOTOREAL)]
        gram_floor = min(g for g in grams if g == g)
        checks = [
            (f"SSIM {m['ssim']:.3f} >= max(grey, inverted) {floor:.3f} + {SSIM_MARGIN}",
             m["ssim"] >= floor + SSIM_MARGIN),
            (f"r {m['pearson']:.3f} > grey's {table.mean('grey', scenes, 'pearson'):.3f}",
             m["pearson"] > table.mean("grey", scenes, "pearson")),
            (f"sharpness {m['sharpness']:.2f} in {SHARPNESS}",
             SHARPNESS[0] <= m["sharpness"] <= SHARPNESS[1]),
            (f"detail {m['detail']:.2f} in {DETAIL}", DETAIL[0] <= m["detail"] <= DETAIL[1]),
            (f"hot {m['hot']:.2f} >= {HOT}", m["hot"] >= HOT),
            (f"Gram {m['gram']:.3f} <= min(grey, photoreal) {gram_floor:.3f} - {GRAM_MARGIN}",
             m["gram"] <= gram_floor - GRAM_MARGIN)]
        if protocol_b_all and group == protocol_b_all:
            checks.append((f"SSIM {m['ssim']:.3f} >= {B_SSIM} with all the pairs",
                           m["ssim"] >= B_SSIM))
        for text, ok in checks:
            verdicts.append(ok)
            print(f"- {route}, {group}: {text}: {'met' if ok else 'NOT met'}")
    return verdicts


def rising(table, scenes, route):
    """SSIM with 6, 30 and all the pairs on the folds that have all three."""
    names = [f"{route}, {c} pairs" for c in SUBSETS] + [route]
    have = [s for s in scenes if all(s in table.scores.get(n, {}) for n in names)]
    if not have:
        return None
    values = [table.mean(n, have, "ssim") for n in names]
    ok = all(a < b for a, b in zip(values, values[1:]))
    print(f"- {route}: SSIM with 6 / 30 / all pairs on {len(have)} held-out scenes: "
          + " / ".join(f"{v:.3f}" for v in values) + f": {'met' if ok else 'NOT met'} (rising)")
    return ok


def speed(args, weights, fits):
    """Folder timing after fitting, peak memory at 256 and 1024 px, training time."""
    import json
    import os
    import shutil
    import subprocess
    import tempfile

    from tfstyle.thermal.fit import fit

    root = args.many
    names = sorted((p.name for p in (root / "visible").iterdir()), key=frame_order)
    pairs = [(str(root / "visible" / n), str(root / "thermal" / n)) for n in names]
    for (route, count), seconds in sorted(fits.seconds.items()):
        print(f"\nfit, {route} route, {count} pairs: {statistics.fmean(seconds):.0f} s "
              f"(mean of {len(seconds)})")
    start = time.perf_counter()
    learned = fit(pairs, weights=weights, route="trained" if args.trained else "ridge",
                  train_steps=args.train_steps)
    seconds = time.perf_counter() - start
    print(f"fit on all {len(pairs)} pairs ({learned.route}): {seconds:.0f} s (target <= "
          f"{TRAIN_SECONDS:g} s)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        learned.save(tmp / "fit.npz")
        (tmp / "photos").mkdir()
        for i in range(10):
            shutil.copy(root / "visible" / names[i * 13 % len(names)], tmp / "photos" / f"{i:02d}.jpg")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        main = [sys.executable, str(REPO / "main.py"), "infrared", f"--fit={tmp / 'fit.npz'}"]
        for size in (256, 1024):
            proc, peak = run_with_peak([*main, f"--content={tmp / 'photos' / '00.jpg'}",
                                        f"--output={tmp / f'one{size}.png'}", f"--size={size}"],
                                       env=env)
            if proc.returncode:
                raise SystemExit(f"main.py infrared at {size} px failed: {proc.stderr[-1500:]}")
            print(f"peak memory of `main.py infrared --fit` at {size} px: {peak:.2f} GiB "
                  f"(target < {MEMORY_GIB[size]:g} GiB)")
        start = time.perf_counter()
        proc = subprocess.run([*main, f"--content_dir={tmp / 'photos'}",
                               f"--output_dir={tmp / 'out'}", "--size=256"],
                              capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if proc.returncode:
            raise SystemExit(proc.stderr)
        lines = (tmp / "out" / "manifest.jsonl").read_text().splitlines()
        per = [json.loads(line).get("seconds", 0) for line in lines]
        print(f"folder of 10 photos at 256 px with --fit: {wall:.1f} s wall in all (start-up "
              f"included), {statistics.fmean(per):.2f} s per image (target <= "
              f"{SECONDS_PER_IMAGE:g} s)")


def write_sheet(path, table, scenes, visible, thermal, size):
    import numpy as np

    import tfstyle
    from tfstyle.core.image import resize

    columns = [("visible", {s: tfstyle.load_image(visible / s, size) for s in scenes}),
               ("thermal (truth)", {s: tfstyle.load_image(thermal / s, size) for s in scenes}),
               *((n, table.images[n]) for n in table.images if not n.endswith("pairs"))]
    strips = []
    for s in scenes:
        cells = [col[s] if s in col else np.zeros_like(columns[0][1][s]) for _, col in columns]
        strips.append(np.concatenate([resize(c, (128, round(c.shape[1] * 128 / c.shape[0])))
                                      for c in cells], 1))
    width = max(s.shape[1] for s in strips)
    tfstyle.save_image(path, np.concatenate([np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0)))
                                             for s in strips], 0))
    print(f"{path}: columns " + ", ".join(name for name, _ in columns))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", default="AB", choices=("A", "B", "AB"))
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--only", default=None, help="the rows whose name contains this "
                        "(and the grey baselines)")
    parser.add_argument("--trained", action=argparse.BooleanOptionalAction, default=True,
                        help="also fit the trained route (minutes a fit)")
    parser.add_argument("--train_steps", type=int, default=None,
                        help="the trained route's steps (default: InfraredConfig's)")
    parser.add_argument("--subset_folds", default="2", help="protocol B folds also fitted on "
                        "6 and 30 pairs (comma-separated, or 'all')")
    parser.add_argument("--many", type=pathlib.Path, default=None,
                        help="protocol B's pairs (default: ir_many/roadscene in --images)")
    parser.add_argument("--speed", action="store_true", help="also time and measure memory")
    parser.add_argument("--sheet", default=None, help="protocol A's side-by-side PNG")
    parser.add_argument("--sheet_b", default=None, help="8 of protocol B's scenes side by side")
    add_images_argument(parser)
    args = parser.parse_args()
    args.subset_folds = set(range(BLOCKS)) if args.subset_folds == "all" else {
        int(f) for f in args.subset_folds.split(",") if f}
    args.visible, args.thermal = image_paths(parser, args, "ir/visible", "ir/thermal")
    args.many = args.many or image_paths(parser, args, "ir_many/roadscene")[0]
    if args.train_steps is None:
        from tfstyle.thermal.config import InfraredConfig

        args.train_steps = InfraredConfig().train_steps
    setup_child()
    import tfstyle

    weights = tfstyle.find_vgg19_weights()
    scorer = Scorer(weights, args.size)
    fits = Fits(args, weights)
    verdicts = []
    routes = [RIDGE] + [TRAINED] * args.trained
    if "A" in args.protocol:
        print("## Protocol A: leave one scene out of ir/", flush=True)
        table, groups = protocol_a(args, weights, scorer, fits)
        print_table(table, groups)
        for route in routes:
            verdicts += targets(table, {g: s for g, s in groups.items() if g != "m3fd"}, route)
        if args.sheet:
            write_sheet(args.sheet, table, sorted(table.truth_features), args.visible,
                        args.thermal, args.size)
    if "B" in args.protocol:
        print("\n## Protocol B: 5 contiguous blocks of ir_many/roadscene", flush=True)
        table, groups = protocol_b(args, weights, scorer, fits)
        print_table(table, groups)
        everything = "RoadScene, all folds"
        for route in routes:
            verdicts += targets(table, {everything: groups[everything]}, route, everything)
            ok = rising(table, groups[everything], route)
            if ok is not None:
                verdicts.append(ok)
        if args.sheet_b:
            chosen = groups[everything][::max(1, len(groups[everything]) // 8)][:8]
            write_sheet(args.sheet_b, table, chosen, args.many / "visible",
                        args.many / "thermal", args.size)
    if verdicts:
        print(f"\nquality targets met: {sum(verdicts)} of {len(verdicts)}")
    if args.speed:
        speed(args, weights, fits)


if __name__ == "__main__":
    main()
