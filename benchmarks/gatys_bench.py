"""Gatys benchmark: seconds per step, GFLOP/s, peak memory and losses.

Prints one table row per (optimizer, size): seconds per step (steady state,
after tracing), loss-and-gradient evaluations per step (L-BFGS line searches
add some), convolution GFLOP/s over those evaluations (forward + input
gradient, counted from the layer shapes), peak RSS of a fresh process, and the
total loss after each checkpoint step. Content and style default to Tübingen
x Starry Night in the --images folder (default ../shared/images). Not a test:
it prints numbers. Run nothing else meanwhile.

    python benchmarks/gatys_bench.py [--sizes=256,512] [--checkpoints=100,300] [--images=DIR]
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import (EARLIER_DEFAULTS, add_images_argument, conv_gflop,  # noqa: E402
                    resolve_content_style, setup_child)


def child(args):
    """One measurement in this process; prints a JSON line."""
    setup_child()
    import tfstyle
    from tfstyle.gatys.config import StyleConfig

    checkpoints = sorted(int(c) for c in args.checkpoints.split(","))
    config = StyleConfig(size=args.size, steps=checkpoints[-1], optimizer=args.optimizer,
                         scales=(), **EARLIER_DEFAULTS)  # single pass: per-step numbers
    marks = {}

    def callback(p):
        marks.setdefault("first", time.perf_counter())
        if p.step in checkpoints:
            marks[p.step] = (p.losses["total"], time.perf_counter())

    result = tfstyle.transfer(args.content, args.style, config, callback=callback)
    last = max(c for c in checkpoints if c in marks)  # L-BFGS may stop early
    steady = (marks[last][1] - marks["first"]) / max(last - 1, 1)
    height, width = result.image.shape[:2]
    gflop = 2 * conv_gflop(config, height, width)  # forward + input gradient
    evals_per_step = result.evaluations / result.steps
    print(json.dumps({
        "optimizer": args.optimizer, "size": f"{width}x{height}", "s_per_step": steady,
        "evals_per_step": evals_per_step, "gflops": gflop * evals_per_step / steady,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "losses": {str(c): marks[c][0] for c in checkpoints if c in marks},
        "total_s": result.seconds}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_images_argument(parser, content_style=True)
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--optimizers", default="adam,lbfgs")
    parser.add_argument("--checkpoints", default="100,300")
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--optimizer", help=argparse.SUPPRESS)
    args = resolve_content_style(parser, parser.parse_args())
    if args.size:
        return child(args)
    print(f"# {os.cpu_count()} cores; content {args.content}; style {args.style}")
    header = (f"{'optimizer':9} {'size':>8} {'s/step':>7} {'evals':>5} {'GFLOP/s':>8} "
              f"{'peak RSS':>9}  total loss at steps")
    print(header)
    for size in args.sizes.split(","):
        for optimizer in args.optimizers.split(","):
            out = subprocess.run(
                [sys.executable, __file__, f"--size={size}", f"--optimizer={optimizer}",
                 f"--content={args.content}", f"--style={args.style}",
                 f"--checkpoints={args.checkpoints}"], capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            losses = ", ".join(f"{k}: {v:.4g}" for k, v in row["losses"].items())
            print(f"{row['optimizer']:9} {row['size']:>8} {row['s_per_step']:7.3f} "
                  f"{row['evals_per_step']:5.2f} {row['gflops']:8.1f} "
                  f"{row['peak_rss_gib']:7.2f} GiB  {losses}", flush=True)


if __name__ == "__main__":
    main()
