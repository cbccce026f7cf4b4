"""Several seeds in one batch (`tfstyle.transfer(..., seeds=)`, `--seeds`) against one run per seed.

For each size and batch size B, in a fresh process: B white-noise starts
optimized together for `--steps` steps, timed per step after the first
(tracing), and the same work done as B single runs would cost (B x the
single-image step). Prints seconds per step, seconds per image-step, the
speed-up of the batch, convolution GFLOP/s (forward + input gradient, counted
from the layer shapes) and peak RSS. Tübingen x The Starry Night from the
--images folder (default ../shared/images). Not a test: it prints numbers.
Run nothing else meanwhile.

    python benchmarks/seeds_bench.py [--sizes=128,256,512] [--batches=1,4] [--optimizer=adam]
        [--images=DIR]
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (EARLIER_DEFAULTS, add_images_argument, conv_gflop,  # noqa: E402
                    resolve_content_style, setup_child)


def child(args):
    """One measurement in this process; prints a JSON line."""
    setup_child()
    import tfstyle
    from tfstyle.gatys.config import StyleConfig

    config = StyleConfig(size=args.size, steps=args.steps, optimizer=args.optimizer, scales=(),
                         **EARLIER_DEFAULTS)
    times = []
    callback = lambda p: times.append(time.perf_counter())  # noqa: E731
    if args.batch == 1:
        result = tfstyle.transfer(args.content, args.style, config, callback=callback)
    else:
        result = tfstyle.transfer(args.content, args.style, config,
                                  seeds=range(args.batch), callback=callback)[0]
    per_step = (times[-1] - times[0]) / (len(times) - 1)
    height, width = result.image.shape[:2]
    evals = result.evaluations / result.steps
    gflop = 2 * conv_gflop(config, height, width) * args.batch * evals
    print(json.dumps({"size": f"{width}x{height}", "batch": args.batch, "s_per_step": per_step,
                      "gflops": gflop / per_step,
                      "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_images_argument(parser, content_style=True)
    parser.add_argument("--sizes", default="128,256,512")
    parser.add_argument("--batches", default="1,4")
    parser.add_argument("--optimizer", default="adam", choices=("adam", "lbfgs"))
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = resolve_content_style(parser, parser.parse_args())
    if args.size:
        return child(args)
    import tensorflow as tf

    print(f"# {platform.machine()}, {os.cpu_count()} cores, TensorFlow {tf.__version__}; "
          f"{args.optimizer}, {args.steps} steps")
    print(f"{'size':>9} {'seeds':>5} {'s/step':>7} {'s/image-step':>12} {'vs one run each':>15} "
          f"{'GFLOP/s':>8} {'peak RSS':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        single = None
        for batch in (int(b) for b in args.batches.split(",")):
            out = subprocess.run(
                [sys.executable, __file__, f"--size={size}", f"--batch={batch}",
                 f"--steps={args.steps}", f"--optimizer={args.optimizer}",
                 f"--content={args.content}", f"--style={args.style}"],
                capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"size {size}, {batch} seeds failed:\n{out.stderr[-2000:]}")
            row = json.loads(out.stdout.strip().splitlines()[-1])
            per_image = row["s_per_step"] / batch
            single = per_image if batch == 1 else single
            gain = f"{single / per_image:.2f}x" if single else "-"
            print(f"{row['size']:>9} {batch:5d} {row['s_per_step']:7.3f} {per_image:12.3f} "
                  f"{gain:>15} {row['gflops']:8.1f} {row['peak_rss_gib']:5.2f} GiB", flush=True)


if __name__ == "__main__":
    main()
