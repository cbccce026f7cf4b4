"""Gatys schedules side by side: today's defaults against faster candidates.

For Tübingen x each painting (the --images folder, default ../shared/images)
at --size (512), every schedule runs from the same start and prints its
seconds of stylizing and its final content, style and total loss, and the
ratio of each to the defaults'. Every schedule ends with a pass at --size
with the same config, so their losses are one objective (the paper's eq. 7
at the output's size). The defaults' run also prints how many iterations of
its final pass it needed before content and style were each within 5 % of
where it ended: the budget any faster schedule has to beat. --sheet writes the
outputs side by side per painting. Not a test: it prints numbers. Run nothing
else meanwhile.

    python benchmarks/schedule_bench.py [--size=512] [--paintings=starry_night.jpg,...]
        [--candidates=c256:256:100:150,one:-:0:60] [--sheet=DIR]

A candidate is NAME:SCALES:COARSE_STEPS:STEPS, SCALES the coarse passes'
long sides joined by '+' ('-': none), e.g. 128+256:200:500 is today's.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import add_images_argument, image_paths, setup_child  # noqa: E402

PAINTINGS = ("starry_night.jpg", "the_scream.jpg", "woman-with-hat-matisse.jpg")
DEFAULTS = "defaults"
# Within this share of the defaults' final losses counts as "the same losses".
WITHIN = 1.05


def parse_schedule(text: str):
    """'c256:256:100:150' -> ('c256', dict(scales=(256,), coarse_steps=100, steps=150))."""
    name, scales, coarse, steps = text.split(":")
    sides = () if scales == "-" else tuple(int(s) for s in scales.split("+"))
    return name, dict(scales=sides, coarse_steps=int(coarse), steps=int(steps))


def child(args):
    """One schedule on one painting in this process; prints a JSON line."""
    setup_child()
    import tfstyle
    from tfstyle.core.image import as_image
    from tfstyle.gatys.passes import total_steps

    overrides = {} if args.schedule == DEFAULTS else parse_schedule(args.schedule)[1]
    config = tfstyle.StyleConfig(size=args.size, **overrides)
    # The final pass's steps are the last `steps` of the run's planned ones.
    first_final = total_steps(as_image(args.content).shape[:2], config) - config.steps
    final_pass = []

    def callback(p):
        if p.step > first_final:
            final_pass.append((p.step, p.losses.get("content"), p.losses.get("style")))

    start = time.perf_counter()
    result = tfstyle.transfer(args.content, args.style, config, callback=callback)
    seconds = time.perf_counter() - start
    if args.save:
        tfstyle.save_image(args.save, result.image)
    print(json.dumps({"seconds": seconds, "losses": result.losses, "final_pass": final_pass}))


def needed(final_pass, losses):
    """The first iteration of the final pass with content and style each
    within WITHIN of `losses` (the run's own end)."""
    for i, (_, content, style) in enumerate(final_pass, 1):
        if content <= WITHIN * losses["content"] and style <= WITHIN * losses["style"]:
            return i
    return None


def sheet(paths, names, out):
    """The outputs side by side, each under its schedule's name."""
    import tfstyle
    from tfstyle.core.sheet import contact_sheet

    images = [tfstyle.load_image(p) for p in paths]
    tfstyle.save_image(out, contact_sheet([images], column_labels=names))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_images_argument(parser)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--paintings", default=",".join(PAINTINGS))
    parser.add_argument("--candidates", default="c256:256:100:150")
    parser.add_argument("--sheet", help="a folder for the side-by-side sheets")
    parser.add_argument("--schedule", help=argparse.SUPPRESS)
    parser.add_argument("--save", help=argparse.SUPPRESS)
    parser.add_argument("--content", help=argparse.SUPPRESS)
    parser.add_argument("--style", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.schedule:
        return child(args)
    content, = image_paths(parser, args, "tubingen.jpg")
    schedules = [DEFAULTS] + args.candidates.split(",")
    from tfstyle import StyleConfig, TfstyleError

    for text in schedules[1:]:  # a malformed candidate fails before any run
        try:
            StyleConfig(size=args.size, **parse_schedule(text)[1])
        except (ValueError, TfstyleError) as exc:
            parser.error(f"--candidates: {text}: {exc}")
    print(f"# {os.cpu_count()} cores; content {content}; size {args.size}; every schedule "
          "ends with the same pass at that size")
    print(f"{'painting':28} {'schedule':10} {'seconds':>8} {'content':>10} {'style':>8} "
          f"{'total':>10} {'c/def':>6} {'s/def':>6} {'t/def':>6}")
    for painting in args.paintings.split(","):
        style, = image_paths(parser, args, painting)
        base, outputs = None, []
        for schedule in schedules:
            command = [sys.executable, __file__, f"--schedule={schedule}", f"--size={args.size}",
                       f"--content={content}", f"--style={style}"]
            if args.sheet:
                os.makedirs(args.sheet, exist_ok=True)
                outputs.append(os.path.join(args.sheet, f"{pathlib.Path(painting).stem}_"
                                                        f"{schedule.split(':')[0]}.png"))
                command.append(f"--save={outputs[-1]}")
            out = subprocess.run(command, capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            losses = row["losses"]
            base = base or losses
            ratio = {k: losses[k] / base[k] for k in ("content", "style", "total")}
            print(f"{painting:28} {schedule.split(':')[0]:10} {row['seconds']:8.1f} "
                  f"{losses['content']:10.4g} {losses['style']:8.4g} {losses['total']:10.4g} "
                  f"{ratio['content']:6.3f} {ratio['style']:6.3f} {ratio['total']:6.3f}",
                  flush=True)
            if schedule == DEFAULTS:
                print(f"#   the defaults' final pass was within {WITHIN:g}x of its end after "
                      f"{needed(row['final_pass'], losses)} of "
                      f"{len(row['final_pass'])} iterations", flush=True)
        if args.sheet:
            sheet(outputs, [s.split(":")[0] for s in schedules],
                  os.path.join(args.sheet, f"{pathlib.Path(painting).stem}.png"))


if __name__ == "__main__":
    main()
