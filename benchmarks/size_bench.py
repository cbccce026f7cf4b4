"""Size benchmark (issue 4): peak memory and time of `tfstyle.transfer` by output size.

Each size runs in a fresh process with tfstyle's defaults (coarse to fine,
tiles chosen automatically when a pass would not fit in memory) on
Tübingen x The Starry Night (the --images folder, default ../shared/images),
with few iterations per pass: peak memory does not depend on the iteration
count. Prints one table: passes, how each pass ran (whole, or tiles),
seconds per final-pass iteration, peak RSS, and the memory the tile planner
assumed. Not a test: it prints numbers. Run nothing else meanwhile.

    python benchmarks/size_bench.py [--sizes=512,1024,2048,4096] [--steps=3] [--images=DIR]
"""

import argparse
import json
import os
import pathlib
import platform
import resource
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import (EARLIER_DEFAULTS, add_images_argument, resolve_content_style,  # noqa: E402
                    setup_child)


def child(args):
    setup_child()
    import tfstyle
    from tfstyle.gatys import passes as gpasses
    from tfstyle.gatys import tiles
    from tfstyle.gatys.config import StyleConfig

    config = StyleConfig(size=args.size, steps=args.steps, coarse_steps=args.steps,
                         **EARLIER_DEFAULTS)
    content = tfstyle.load_image(args.content, args.size)
    passes = gpasses.plan_passes(config, content, [tfstyle.load_image(args.style)], None, None)
    final = passes[-1]
    final_steps = []  # seconds since the call of each final-pass iteration
    start = time.perf_counter()
    total_before_final = sum(p.steps for p in passes[:-1])

    def callback(p):
        if p.step > total_before_final:
            final_steps.append(time.perf_counter() - start)

    result = tfstyle.transfer(args.content, args.style, config, callback=callback)
    height, width = result.image.shape[:2]
    if args.save:
        tfstyle.save_image(args.save, result.image)
    per_step = ((final_steps[-1] - final_steps[0]) / (len(final_steps) - 1)
                if len(final_steps) > 1 else float("nan"))
    print(json.dumps({
        "size": f"{width}x{height}",
        "passes": ",".join(
            f"{max(p.content.shape[:2])}" + (f"[{len(p.grid)} tiles of {p.tile_size}]"
                                             if p.grid else "") for p in passes),
        "seconds": result.seconds, "final_step_seconds": per_step, "loss": result.losses["total"],
        "planned_gib": tiles.step_bytes(
            tiles.window(final.grid[0], final.content.shape[:2]).shape if final.grid
            else final.content.shape[:2]) / 2**30,
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_images_argument(parser, content_style=True)
    parser.add_argument("--sizes", default="512,1024,2048,4096")
    parser.add_argument("--steps", type=int, default=3, help="iterations of every pass")
    parser.add_argument("--save", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = resolve_content_style(parser, parser.parse_args())
    if args.run:
        return child(args)
    import tensorflow as tf

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, "
          f"TensorFlow {tf.__version__}; {args.steps} iterations per pass", flush=True)
    print(f"{'size':>10} {'passes (long side)':>44} {'s/final step':>12} {'seconds':>8} "
          f"{'planned':>8} {'peak RSS':>9}", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, "--run", f"--size={size}",
                              f"--steps={args.steps}", f"--content={args.content}",
                              f"--style={args.style}"], capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"{size} px failed:\n{out.stderr[-2000:]}")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{row['size']:>10} {row['passes']:>44} {row['final_step_seconds']:12.1f} "
              f"{row['seconds']:8.0f} {row['planned_gib']:5.1f} GiB {row['peak_rss_gib']:5.1f} GiB",
              flush=True)


if __name__ == "__main__":
    main()
