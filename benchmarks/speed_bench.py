"""Speed benchmark (issue 4): the paper's single-pass L-BFGS against tfstyle's defaults.

Runs, each in a fresh process, on Tübingen x The Starry Night (the --images folder,
default ../shared/images):
  * baseline: one pass at full size, L-BFGS, `--baseline_steps` iterations (1000);
  * defaults: tfstyle's default settings (coarse to fine) at the same size;
  * adam: `--adam_steps` Adam steps at full size, for the step's speed without scipy;
  * roofline: bare tf.nn.conv2d forward + input gradient on the same layer shapes.
and prints one table: seconds, final loss (the same loss definition, at full
resolution), seconds each run needs to reach the other's final loss, GFLOP/s of
a full-size iteration and of its loss-and-gradient evaluation alone against
the roofline, the rest of an iteration (scipy's L-BFGS-B), and peak RSS. Not a test: it prints
numbers. Run nothing else meanwhile.

    python benchmarks/speed_bench.py [--size=512] [--baseline_steps=1000] [--adam_steps=30]
        [--images=DIR]
"""

import argparse
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

from common import (EARLIER_DEFAULTS, add_images_argument, conv_gflop,  # noqa: E402
                    resolve_content_style, roofline_gflops, setup_child,
                    time_lbfgs_evaluations)


def child(args):
    """One run in this process; prints a JSON line."""
    setup_child()
    import tfstyle
    from tfstyle.gatys.config import StyleConfig

    if args.run == "baseline":
        config = StyleConfig(size=args.size, steps=args.baseline_steps, scales=(),
                             **EARLIER_DEFAULTS)
    elif args.run == "adam":
        # Adam's step runs on TensorFlow alone (no scipy round trip): the
        # per-step efficiency without L-BFGS-B's bookkeeping.
        config = StyleConfig(size=args.size, steps=args.adam_steps, scales=(), optimizer="adam",
                             **EARLIER_DEFAULTS)
    else:
        config = StyleConfig(size=args.size, **EARLIER_DEFAULTS)
    if args.run == "roofline":
        content = tfstyle.load_image(args.content, args.size)
        height, width = content.shape[:2]
        print(json.dumps({"gflops": roofline_gflops(config, height, width)}))
        return
    trajectory = []  # (seconds since the call, total loss) of full-size steps
    full_steps = []
    start = time.perf_counter()
    final = tfstyle.load_image(args.content, args.size)
    final_side = max(final.shape[:2])
    evaluation_seconds = time_lbfgs_evaluations(final.size)

    def callback(p):
        if max(p.image.shape[:2]) == final_side:
            now = time.perf_counter() - start
            trajectory.append((now, p.losses["total"]))
            full_steps.append(now)

    result = tfstyle.transfer(args.content, args.style, config, callback=callback)
    height, width = result.image.shape[:2]
    # Steady-state seconds per full-size iteration (the first one includes tracing).
    per_step = (full_steps[-1] - full_steps[0]) / max(len(full_steps) - 1, 1)
    evals = result.evaluations / result.steps
    # The evaluation alone (one tf.function: loss and gradient), the first two left
    # out (tracing); the rest of an iteration is scipy's L-BFGS-B bookkeeping.
    evaluation = statistics.median(evaluation_seconds[2:]) if evaluation_seconds else per_step
    print(json.dumps({
        "run": args.run, "size": f"{width}x{height}",
        "passes": ",".join(str(s) for s in config.scale_plan(max(height, width))),
        "steps": result.steps, "seconds": result.seconds, "loss": result.losses["total"],
        "trajectory": trajectory, "gflops": 2 * conv_gflop(config, height, width) * evals / per_step,
        "eval_gflops": 2 * conv_gflop(config, height, width) / evaluation,
        "optimizer_ms": 1000 * (per_step - evals * evaluation),
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))


def _row(name, row, roof, reach):
    print(f"{name:18} {row['passes']:>12} {row['steps']:5d} {row['seconds']:8.1f} "
          f"{row['loss']:11.4g} {reach!s:>10} "
          f"{row['gflops']:8.1f} {row['gflops'] / roof:7.0%} {row['eval_gflops']:12.1f} "
          f"{row['eval_gflops'] / roof:7.0%} {row['optimizer_ms']:9.0f} {row['peak_rss_gib']:5.2f} GiB")


def seconds_to(trajectory, loss):
    """When a run's full-size loss first reached `loss` (None: never)."""
    return next((t for t, value in trajectory if value <= loss), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_images_argument(parser, content_style=True)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--baseline_steps", type=int, default=1000)
    parser.add_argument("--adam_steps", type=int, default=30)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = resolve_content_style(parser, parser.parse_args())
    if args.run:
        return child(args)
    rows = {}
    for run in ("roofline", "adam", "baseline", "defaults"):
        out = subprocess.run([sys.executable, __file__, f"--run={run}", f"--size={args.size}",
                              f"--baseline_steps={args.baseline_steps}",
                              f"--adam_steps={args.adam_steps}", f"--content={args.content}",
                              f"--style={args.style}"], capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{run} failed:\n{out.stderr[-2000:]}")
        rows[run] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"# {run} done", file=sys.stderr, flush=True)
    roof = rows["roofline"]["gflops"]
    base, default, adam = rows["baseline"], rows["defaults"], rows["adam"]
    import tensorflow as tf

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"TensorFlow {tf.__version__}; {pathlib.Path(args.content).name} x "
          f"{pathlib.Path(args.style).name}; conv2d roofline {roof:.0f} GFLOP/s")
    print(f"{'run':18} {'passes':>12} {'steps':>5} {'seconds':>8} {'final loss':>11} "
          f"{'s to other':>10} {'GFLOP/s':>8} {'of roof':>7} {'eval GFLOP/s':>12} {'of roof':>7} "
          f"{'L-BFGS ms':>9} {'peak RSS':>9}")
    for name, row, other in (("baseline (1 pass)", base, default),
                             ("tfstyle defaults", default, base)):
        reach = seconds_to(row["trajectory"], other["loss"])
        _row(name, row, roof, reach if reach is None else round(reach, 1))
    _row("adam (per step)", adam, roof, "-")
    reach = seconds_to(default["trajectory"], base["loss"])
    if reach is None:
        print(f"defaults did not reach the baseline's final loss {base['loss']:.4g} "
              f"(ended at {default['loss']:.4g})")
    else:
        print(f"defaults reach the baseline's final loss in {reach:.1f} s = "
              f"{reach / base['seconds']:.0%} of the baseline's {base['seconds']:.1f} s")


if __name__ == "__main__":
    main()
