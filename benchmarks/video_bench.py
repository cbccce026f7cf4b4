"""Video benchmark (issue 27): per-frame against temporal, for every method.

Clips:
  (a) made here from tfstyle's sample photo (scikit-image's astronaut) by a
      known camera move, a pan or a zoom, plus one red square moving on its
      own, so every flow is known exactly: the warping error (Lai et al.
      2018) is computed with the exact flows and their occlusions;
  (b) --clip=FILE: any clip, flows estimated on its input frames (the
      number every output's .json record holds).
Each case runs `main.py <method> --content=clip --output=frames/` in a child
process (its own peak memory), once with --notemporal and once with the
default --temporal_weight, at --size px. Reports the warping error, the style
distance (mean Gram distance of the frames to the style), frames per second
and peak memory, then the issue's targets. --length_check also runs
arbitrary on a clip four times as long: memory must stay flat.

Infrared (--methods=...,infrared) fits once on --examples (a folder of
visible/ and thermal/ pairs; default the samples' toy pairs) and reuses the
fit for every run.

    python benchmarks/video_bench.py [--methods=arbitrary,multistyle,photoreal]
        [--adain=m.weights.h5] [--examples=DIR] [--clip=FILE] [--frames=24]
        [--size=256] [--length_check]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import REPO, run_with_peak, setup_child  # noqa: E402

FPS_TARGETS = {"arbitrary": 5.0, "photoreal": 0.5}
RATIO_TARGET, STYLE_TOLERANCE = 0.5, 0.05


def run_case(method, clip, out_dir, size, temporal, extra):
    """(record, peak GiB) of `main.py method` on the clip."""
    flags = [f"--content={clip}", f"--output={out_dir}/", f"--size={size}", *extra]
    if not temporal:
        flags.append("--notemporal")
    proc, peak = run_with_peak([sys.executable, str(REPO / "main.py"), method, *flags],
                               env=dict(os.environ, PYTHONPATH=str(REPO)))
    if proc.returncode:
        raise SystemExit(f"{method} failed: {proc.stderr[-1500:]}")
    record = json.loads(pathlib.Path(f"{out_dir}.json").read_text())
    return record, peak


def exact_error(out_dir, flows):
    import cv2
    import numpy as np

    from tfstyle.core import metrics
    from tfstyle.core.image import list_images, load_image

    frames = [load_image(p) for p in list_images(out_dir)]
    h, w = frames[0].shape[:2]
    scale = np.array([w / flows[0][0].shape[1], h / flows[0][0].shape[0]], np.float32)
    # cv2, not core.image.resize: a flow holds negative values
    pairs = [tuple(cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) * scale
                   for f in pair) for pair in flows]
    return metrics.warping_error(frames, flows=pairs)


def input_floor(clip, flows, size):
    """The warping error of the input clip itself at the output's size: a
    clip that moves exactly with the flow still loses detail to bilinear
    resampling (a zoom), so no output can go below about this."""
    from tfstyle.clips.clip import frames as read_frames, probe
    from tfstyle.core.image import fit_long_side, resize, save_image

    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp)
        for i, frame in enumerate(read_frames(probe(clip))):
            save_image(out / f"{i:05d}.png", resize(frame, fit_long_side(frame.shape[:2], size)))
        return exact_error(out, flows)


def fit_examples(examples, tmp):
    """The infrared rows' fit, made once (on the samples' toy pairs by default)."""
    from tfstyle.core import samples

    if examples is None:
        examples = samples.write_samples(tmp / "samples") / "ir_pairs"
    photo = samples.default_content()
    proc = subprocess.run([sys.executable, str(REPO / "main.py"), "infrared",
                           f"--examples={examples}", f"--content={photo}",
                           f"--output={tmp / 'fit.png'}", f"--save_fit={tmp / 'fit.npz'}"],
                          capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    if proc.returncode:
        raise SystemExit(f"infrared fit failed: {proc.stderr[-1500:]}")
    return tmp / "fit.npz"


def table(clips, methods, tmp, size, extra):
    """Prints a row per clip, method and temporal setting; returns the
    issue's targets as (text, met) pairs."""
    print("| clip | method | temporal | E_warp (exact flows) | E_warp (record) | style "
          "distance | frames/s | peak GiB |")
    print("|---|---|---|---|---|---|---|---|")
    verdicts = []
    for kind, (clip, flows) in clips.items():
        for method in methods:
            rows = {}
            for temporal in (False, True):
                out = tmp / f"{kind}-{method}-{temporal}"
                record, peak = run_case(method, clip, out, size, temporal,
                                        extra.get(method, []))
                exact = exact_error(out, flows) if flows else float("nan")
                rows[temporal] = (exact if flows else record["warping_error"], record)
                print(f"| {kind} | {method} | {'yes' if temporal else 'no'} | {exact:.5f} | "
                      f"{record['warping_error']:.5f} | {record['style_distance'] or '–'} | "
                      f"{record['frames_per_second']:.2f} | {peak:.2f} |", flush=True)
            (flat, flat_record), (ours, our_record) = rows[False], rows[True]
            ratio = ours / flat
            sd0, sd1 = flat_record["style_distance"], our_record["style_distance"]
            # Lower is closer to the style: only a rise counts against the target.
            style_ok = sd0 is None or sd1 <= (1 + STYLE_TOLERANCE) * sd0
            verdicts.append((f"{kind} {method}: E_warp ratio {ratio:.2f} (<= {RATIO_TARGET})"
                             f", style distance {sd1} vs {sd0}", ratio <= RATIO_TARGET
                             and style_ok))
            if method in FPS_TARGETS:
                fps = our_record["frames_per_second"]
                verdicts.append((f"{kind} {method}: {fps:.2f} frames/s (>= "
                                 f"{FPS_TARGETS[method]})", fps >= FPS_TARGETS[method]))
    return verdicts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="arbitrary,multistyle,photoreal")
    parser.add_argument("--adain", default=None, help="an AdaIN model: adds the adain rows")
    parser.add_argument("--examples", default=None,
                        help="visible/thermal pairs for the infrared rows (default: samples')")
    parser.add_argument("--clip", default=None, help="also a clip of yours (flows estimated)")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--length_check", action="store_true")
    args = parser.parse_args()
    setup_child()
    from tfstyle.core import samples

    methods = [m for m in args.methods.split(",") if m] + (["adain"] if args.adain else [])
    extra = {"adain": [f"--model={args.adain}"]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        if "infrared" in methods:
            extra["infrared"] = [f"--fit={fit_examples(args.examples, tmp)}"]
        clips = {}
        for kind in ("pan", "zoom"):
            frames, flows = samples.camera_clip(kind, args.frames)
            samples.write_clip(tmp / f"{kind}.mp4", frames)
            clips[kind] = (tmp / f"{kind}.mp4", flows)
        if args.clip:
            clips["yours"] = (pathlib.Path(args.clip), None)
        for kind, (clip, flows) in clips.items():
            if flows:  # what resampling alone costs: the input clip's own warping error
                print(f"- {kind}: the input clip's own E_warp (exact flows, at --size): "
                      f"{input_floor(clip, flows, args.size):.5f}")
        verdicts = table(clips, methods, tmp, args.size, extra)
        for text, ok in verdicts:
            print(f"- {text}: {'met' if ok else 'NOT met'}")
        if args.length_check:
            frames, _ = samples.camera_clip("pan", args.frames * 4)
            samples.write_clip(tmp / "long.mp4", frames)
            _, short_peak = run_case("arbitrary", clips["pan"][0], tmp / "s", args.size, True, [])
            _, long_peak = run_case("arbitrary", tmp / "long.mp4", tmp / "l", args.size, True, [])
            print(f"- memory: {short_peak:.2f} GiB for {args.frames} frames, {long_peak:.2f} GiB "
                  f"for {args.frames * 4}")


if __name__ == "__main__":
    main()
