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

    python benchmarks/video_bench.py [--methods=arbitrary,multistyle,photoreal]
        [--adain=m.weights.h5] [--clip=FILE] [--frames=24] [--size=256] [--length_check]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import REPO, setup_child  # noqa: E402

FPS_TARGETS = {"arbitrary": 5.0, "photoreal": 0.5}
RATIO_TARGET, STYLE_TOLERANCE = 0.5, 0.05
LAUNCHER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:], "
            "stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode; "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def synthetic(kind: str, frames: int, side: int = 320):
    """(frames [H, W, 3], exact (forward, backward) flows per pair) of a pan
    or a zoom over the sample photo, with a square moving 6 px a frame."""
    import numpy as np

    from tfstyle.core import samples
    from tfstyle.core.image import load_image, resize

    photo = resize(load_image(samples.skimage_data_file("astronaut.png")), (512, 512))
    h, w = side * 3 // 4, side
    ys, xs = np.mgrid[:h, :w].astype(np.float32)
    out, mapping = [], []
    for t in range(frames):
        if kind == "pan":
            sx, sy, scale = 40 + 3 * t, 60, 1.0
        else:
            sx, sy, scale = 40, 60, 1.0 + 0.01 * t
        # Output pixel (x, y) shows photo pixel (cx + (x - w/2) / scale, cy + ...).
        cx, cy = sx + w / 2, sy + h / 2
        px, py = cx + (xs - w / 2) / scale, cy + (ys - h / 2) / scale
        frame = _sample(photo, px, py)
        ox = 20 + 6 * t
        inside = (xs >= ox) & (xs < ox + 30) & (ys >= 80) & (ys < 110)
        frame[inside] = (0.95, 0.1, 0.1)
        out.append(frame.astype(np.float32))
        mapping.append((cx, cy, scale, ox))
    flows = [_exact_flows(mapping[t], mapping[t + 1], w, h) for t in range(frames - 1)]
    return out, flows


def _sample(image, px, py):
    import numpy as np

    x0 = np.clip(px.astype(int), 0, image.shape[1] - 2)
    y0 = np.clip(py.astype(int), 0, image.shape[0] - 2)
    fx, fy = (px - x0)[..., None], (py - y0)[..., None]
    return ((1 - fx) * (1 - fy) * image[y0, x0] + fx * (1 - fy) * image[y0, x0 + 1]
            + (1 - fx) * fy * image[y0 + 1, x0] + fx * fy * image[y0 + 1, x0 + 1])


def _exact_flows(a, b, w, h):
    """Forward flow(a->b) and backward flow(b->a) of the camera move, the
    square's own motion inside it."""
    import numpy as np

    ys, xs = np.mgrid[:h, :w].astype(np.float32)

    def camera(src, dst):
        (cx0, cy0, s0, _), (cx1, cy1, s1, _) = src, dst
        px, py = cx0 + (xs - w / 2) / s0, cy0 + (ys - h / 2) / s0
        return np.stack([w / 2 + (px - cx1) * s1 - xs, h / 2 + (py - cy1) * s1 - ys], -1)

    forward, backward = camera(a, b), camera(b, a)
    for flow, src, dst in ((forward, a, b), (backward, b, a)):
        inside = (xs >= src[3]) & (xs < src[3] + 30) & (ys >= 80) & (ys < 110)
        flow[inside] = (dst[3] - src[3], 0.0)
    return forward.astype(np.float32), backward.astype(np.float32)


def write_clip(path, frames, fps=12):
    import imageio_ffmpeg
    import numpy as np

    h, w = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=fps, macro_block_size=1,
                                         quality=9, ffmpeg_log_level="error")
    writer.send(None)
    for frame in frames:
        writer.send((frame * 255).round().astype(np.uint8).tobytes())
    writer.close()


def run_case(method, clip, out_dir, size, temporal, extra):
    """(record, peak GiB) of `main.py method` on the clip."""
    flags = [f"--content={clip}", f"--output={out_dir}/", f"--size={size}", *extra]
    if not temporal:
        flags.append("--notemporal")
    proc = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable,
                           str(REPO / "main.py"), method, *flags], capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    if proc.returncode:
        raise SystemExit(f"{method} failed: {proc.stderr[-1500:]}")
    record = json.loads(pathlib.Path(f"{out_dir}.json").read_text())
    return record, int(proc.stdout.split()[-1]) / 2**20


def exact_error(out_dir, flows):
    from tfstyle.core import metrics
    from tfstyle.core.image import list_images, load_image, resize

    frames = [load_image(p) for p in list_images(out_dir)]
    h, w = frames[0].shape[:2]
    scale = w / flows[0][0].shape[1]
    pairs = [(resize(f, (h, w)) * scale, resize(b, (h, w)) * scale) for f, b in flows]
    return metrics.warping_error(frames, flows=pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="arbitrary,multistyle,photoreal")
    parser.add_argument("--adain", default=None, help="an AdaIN model: adds the adain rows")
    parser.add_argument("--clip", default=None, help="also a clip of yours (flows estimated)")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--length_check", action="store_true")
    args = parser.parse_args()
    setup_child()
    methods = [m for m in args.methods.split(",") if m] + (["adain"] if args.adain else [])
    extra = {"adain": [f"--model={args.adain}"]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        clips = {}
        for kind in ("pan", "zoom"):
            frames, flows = synthetic(kind, args.frames)
            write_clip(tmp / f"{kind}.mp4", frames)
            clips[kind] = (tmp / f"{kind}.mp4", flows)
        if args.clip:
            clips["yours"] = (pathlib.Path(args.clip), None)
        print("| clip | method | temporal | E_warp (exact flows) | E_warp (record) | style "
              "distance | frames/s | peak GiB |")
        print("|---|---|---|---|---|---|---|---|")
        verdicts = []
        for kind, (clip, flows) in clips.items():
            for method in methods:
                rows = {}
                for temporal in (False, True):
                    out = tmp / f"{kind}-{method}-{temporal}"
                    record, peak = run_case(method, clip, out, args.size, temporal,
                                            extra.get(method, []))
                    exact = exact_error(out, flows) if flows else float("nan")
                    rows[temporal] = (exact if flows else record["warping_error"], record)
                    print(f"| {kind} | {method} | {'yes' if temporal else 'no'} | {exact:.5f} | "
                          f"{record['warping_error']:.5f} | {record['style_distance']} | "
                          f"{record['frames_per_second']:.2f} | {peak:.2f} |", flush=True)
                (flat, flat_record), (ours, our_record) = rows[False], rows[True]
                ratio = ours / flat
                sd0, sd1 = flat_record["style_distance"], our_record["style_distance"]
                style_ok = sd0 is None or abs(sd1 - sd0) <= STYLE_TOLERANCE * sd0
                verdicts.append((f"{kind} {method}: E_warp ratio {ratio:.2f} (<= {RATIO_TARGET})"
                                 f", style distance {sd1} vs {sd0}", ratio <= RATIO_TARGET
                                 and style_ok))
                if method in FPS_TARGETS:
                    fps = our_record["frames_per_second"]
                    verdicts.append((f"{kind} {method}: {fps:.2f} frames/s (>= "
                                     f"{FPS_TARGETS[method]})", fps >= FPS_TARGETS[method]))
        for text, ok in verdicts:
            print(f"- {text}: {'met' if ok else 'NOT met'}")
        if args.length_check:
            frames, _ = synthetic("pan", args.frames * 4)
            write_clip(tmp / "long.mp4", frames)
            _, short_peak = run_case("arbitrary", clips["pan"][0], tmp / "s", args.size, True, [])
            _, long_peak = run_case("arbitrary", tmp / "long.mp4", tmp / "l", args.size, True, [])
            print(f"- memory: {short_peak:.2f} GiB for {args.frames} frames, {long_peak:.2f} GiB "
                  f"for {args.frames * 4}")


if __name__ == "__main__":
    main()
