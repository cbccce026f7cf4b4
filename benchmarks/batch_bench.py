"""Folder throughput benchmark (issue 6): images per hour for each method and size,
in one process and on Beam's DirectRunner with two worker processes.

Each case runs `main.py` on a fresh folder of copies of the photos in the
--images folder (default ../shared/images; resized to the case's size),
exactly as a user would, and counts wall time from start to exit: model
loading and Beam's start-up included. Gatys runs with GATYS_FLAGS (the
former infrared preset: 150 iterations from the photo, a low style weight,
coarse-to-fine above 256 px), the dataset recipe; AdaIN with the model given by --model (decoder weights do not
change the speed). Run nothing else meanwhile.

    python benchmarks/batch_bench.py --model=m.weights.h5 [--cases=adain:256:16,...]
        [--images=DIR]
"""

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import REPO, add_images_argument, image_paths, setup_child  # noqa: E402

PHOTOS = ("tubingen.jpg", "golden_gate.jpg", "ir/visible/llvip_190004.jpg",
          "ir/visible/m3fd_00471.png")  # in --images
STYLE = "ir/thermal/m3fd_00471.png"  # in --images
# Gatys' dataset recipe (the infrared preset's flags before `tfstyle infrared`).
GATYS_FLAGS = ("--init=content", "--style_weight=1.5e6", "--steps=150")
BEAM = ("--beam_runner=DirectRunner",
        "--beam_options=--direct_num_workers=2 --direct_running_mode=multi_processing")


def make_folder(root: pathlib.Path, count: int, size: int, images: pathlib.Path):
    import tfstyle

    root.mkdir(parents=True)
    for i in range(count):
        image = tfstyle.load_image(images / PHOTOS[i % len(PHOTOS)], size)
        tfstyle.save_image(root / f"{i:03d}.png", image)


def run_case(method: str, size: int, count: int, beam: bool, args) -> float:
    """Seconds of wall time for `count` images."""
    with tempfile.TemporaryDirectory() as tmp:
        photos = pathlib.Path(tmp) / "photos"
        make_folder(photos, count, size, args.images)
        flags = [f"--content_dir={photos}", f"--output_dir={pathlib.Path(tmp) / 'out'}",
                 f"--style={args.images / STYLE}", f"--size={size}",
                 "--output_channels=1"]
        if method == "adain":
            if not args.model:
                raise SystemExit("adain cases need --model")
            command = ["adain", f"--model={args.model}"]
        elif method in ("arbitrary", "photoreal"):
            command = [method]
        else:
            command = ["transfer"]
            flags += list(GATYS_FLAGS)
        if beam:
            flags += list(BEAM)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(REPO / "main.py"), *command, *flags],
                              capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
        seconds = time.perf_counter() - start
        if proc.returncode or f"{count} stylized" not in proc.stderr:
            raise SystemExit(f"{method} {size} failed: {proc.stderr[-2000:]}")
        return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None,
                        help="the AdaIN model (.weights.h5) of the adain cases")
    parser.add_argument("--cases", default="adain:256:32,adain:512:16,gatys:256:2,gatys:512:2",
                        help="method:size:images, comma-separated")
    parser.add_argument("--runners", default="process,beam",
                        help="process (one process), beam (DirectRunner, 2 workers), or both")
    add_images_argument(parser)
    args = parser.parse_args()
    image_paths(parser, args, *PHOTOS, STYLE)
    setup_child()
    import platform

    rows = []
    for case in args.cases.split(","):
        method, size, count = case.split(":")
        for beam in [r == "beam" for r in args.runners.split(",")]:
            seconds = run_case(method, int(size), int(count), beam, args)
            rows.append((method, int(size), int(count), beam, seconds))
            print(f"{method} {size} px x{count} {'beam' if beam else 'one process'}: "
                  f"{seconds:.1f} s", flush=True)
    print(f"\nmachine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores")
    print("| method | size | images | runner | wall s | s per image | images/hour |")
    print("|---|---|---|---|---|---|---|")
    for method, size, count, beam, seconds in rows:
        runner = "Beam DirectRunner, 2 workers" if beam else "one process"
        print(f"| {method} | {size} | {count} | {runner} | {seconds:.0f} | {seconds / count:.1f} | "
              f"{3600 * count / seconds:.0f} |")


if __name__ == "__main__":
    main()
