"""Images tfstyle can use without any file from the user.

* The default content photo and the normalization calibration set come from
  the sample data shipped inside the scikit-image wheel (a dependency), read
  as files (scikit-image itself is not imported). Their licenses, as
  scikit-image documents them: chelsea, coffee, camera, brick, grass, gravel:
  CC0; astronaut, rocket, hubble_deep_field: public domain; coins: no known
  copyright restrictions.
* The default style image is painted here, by `brushstrokes`, so it is ours
  to redistribute.
"""

import importlib.util
import math
import pathlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from tfstyle.core.errors import ImageError
from tfstyle.core.image import load_image, resize

DEFAULT_CONTENT = "chelsea.png"  # Chelsea the cat, CC0 (Stefan van der Walt)
CALIBRATION_FILES = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "camera.png",
                     "coins.png", "brick.png", "grass.png", "gravel.png", "hubble_deep_field.jpg")
CALIBRATION_NOTE = ("scikit-image sample images " + ", ".join(CALIBRATION_FILES)
                    + "; short side resized to 256 px, centre 224x224 crop")


def skimage_data_file(name: str) -> pathlib.Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise ImageError("scikit-image is not installed; `pip install scikit-image` "
                         "(tfstyle's sample images ship with it)")
    path = pathlib.Path(spec.submodule_search_locations[0]) / "data" / name
    if not path.is_file():
        raise ImageError(f"scikit-image sample {name} is missing from {path.parent}")
    return path


def default_content() -> pathlib.Path:
    return skimage_data_file(DEFAULT_CONTENT)


def calibration_images():
    """The normalization calibration set, ImageNet-style 224x224 centre crops."""
    images = []
    for name in CALIBRATION_FILES:
        image = load_image(skimage_data_file(name))
        height, width = image.shape[:2]
        scale = 256 / min(height, width)
        image = resize(image, (max(224, round(height * scale)), max(224, round(width * scale))))
        top = (image.shape[0] - 224) // 2
        left = (image.shape[1] - 224) // 2
        images.append(image[top:top + 224, left:left + 224])
    return images


# A night-sky palette: deep blues, teals, a few warm yellows and whites.
_PALETTE = np.array([
    (18, 32, 84), (28, 62, 138), (46, 98, 170), (84, 140, 196), (30, 110, 120),
    (120, 170, 200), (230, 200, 90), (245, 220, 130), (240, 240, 220), (200, 150, 50),
], np.float32)


def _flow_angle(x, y, size, centers):
    """A swirling direction field: a broad wave plus a few vortices."""
    angle = 0.6 * np.sin(2 * math.pi * y / size * 1.5) + 0.4 * np.cos(2 * math.pi * x / size)
    for cx, cy, strength in centers:
        dx, dy = x - cx, y - cy
        r2 = dx * dx + dy * dy + 1.0
        weight = strength * np.exp(-r2 / (2 * (0.18 * size) ** 2))
        angle = angle + weight * (math.pi / 2)
        angle = np.where(weight > 0.3, np.arctan2(dy, dx) + math.pi / 2, angle)
    return angle


def brushstrokes(size: int = 512, seed: int = 0) -> np.ndarray:
    """Paints a swirling brush-stroke picture, tfstyle's own default style image.

    Short curved strokes follow a vortex field in a night-sky palette, the
    kind of oriented, multi-scale texture style transfer carries well.

    Returns:
      float32 [size, size, 3] RGB in [0, 1].
    """
    if size < 8:
        raise ImageError("brushstrokes needs size >= 8")
    rng = np.random.default_rng(seed)
    canvas = Image.new("RGB", (size, size), (22, 40, 96))
    draw = ImageDraw.Draw(canvas)
    centers = [(rng.uniform(0.15, 0.85) * size, rng.uniform(0.15, 0.6) * size, rng.uniform(0.7, 1.0))
               for _ in range(3)]
    strokes = int(3.2 * size * size / 256)
    step = max(1.0, size / 170)
    for i in range(strokes):
        x, y = rng.uniform(0, size, 2)
        near_vortex = min(math.hypot(x - cx, y - cy) for cx, cy, _ in centers) < 0.12 * size
        if near_vortex or rng.random() < 0.08:
            color = _PALETTE[rng.integers(6, 10)]
        else:
            color = _PALETTE[rng.integers(0, 6)]
        color = np.clip(color + rng.normal(0, 14, 3), 0, 255).astype(int)
        width = max(1, int(round(rng.uniform(0.006, 0.016) * size)))
        points = [(x, y)]
        for _ in range(int(rng.integers(5, 12))):
            angle = float(_flow_angle(np.float64(x), np.float64(y), size, centers))
            x, y = x + step * 2 * math.cos(angle), y + step * 2 * math.sin(angle)
            points.append((x, y))
        draw.line(points, fill=tuple(color), width=width, joint="curve")
    canvas = canvas.filter(ImageFilter.SMOOTH)
    return np.asarray(canvas, np.float32) / 255.0


def toy_thermal_scene(seed: int, hot: str = "red", size: int = 96):
    """A toy aligned pair of a made-up sensor: (visible [H, W, 3], thermal
    [H, W], masks {red, blue, paint, ground}). Red discs are hot and blue
    squares cold in the thermal twin (the other way round with hot="blue");
    white paint stripes exist in the visible image only, as road paint does.
    The infrared command's samples and tests."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    visible = np.empty((size, size, 3), np.float32)
    visible[:] = (0.35, 0.42, 0.30)
    visible += rng.normal(0, 0.03, (size, size, 1))
    thermal = np.full((size, size), 0.45, np.float32)
    paint = np.zeros((size, size), bool)
    for _ in range(2):
        y = rng.integers(5, size - 10)
        paint |= (yy >= y) & (yy < y + max(2, size // 24)) & ((xx + y) % (size // 6) < size // 10)
    visible[paint] = 0.95
    red, blue = np.zeros_like(paint), np.zeros_like(paint)
    for _ in range(3):
        cy, cx = rng.integers(size // 8, size - size // 8, 2)
        red |= (yy - cy) ** 2 + (xx - cx) ** 2 < (rng.integers(6, 10) * size / 96) ** 2
        by, bx = rng.integers(size // 24, size - size // 6, 2)
        side = rng.integers(9, 14) * size // 96
        blue |= (yy >= by) & (yy < by + side) & (xx >= bx) & (xx < bx + side)
    blue &= ~red
    visible[red] = (0.8, 0.12, 0.1)
    visible[blue] = (0.1, 0.2, 0.8)
    thermal[red] = 0.9 if hot == "red" else 0.1
    thermal[blue] = 0.1 if hot == "red" else 0.9
    visible = np.clip(visible + rng.normal(0, 0.02, visible.shape), 0, 1).astype(np.float32)
    return visible, thermal, {"red": red, "blue": blue, "paint": paint,
                              "ground": ~(red | blue | paint)}


def camera_clip(kind: str = "pan", frames: int = 24, side: int = 320):
    """A clip made from scikit-image's astronaut by a known camera move, a
    pan or a zoom, with a red square moving 6 px a frame on its own: (frames
    [H, W, 3], the exact (forward, backward) flows of each frame pair). The
    README's clip and the video benchmark."""
    from tfstyle.core.image import resize

    photo = resize(load_image(skimage_data_file("astronaut.png")), (512, 512))
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
    x0 = np.clip(px.astype(int), 0, image.shape[1] - 2)
    y0 = np.clip(py.astype(int), 0, image.shape[0] - 2)
    fx, fy = (px - x0)[..., None], (py - y0)[..., None]
    return ((1 - fx) * (1 - fy) * image[y0, x0] + fx * (1 - fy) * image[y0, x0 + 1]
            + (1 - fx) * fy * image[y0 + 1, x0] + fx * fy * image[y0 + 1, x0 + 1])


def _exact_flows(a, b, w, h):
    """Forward flow(a->b) and backward flow(b->a) of the camera move, the
    square's own motion inside it."""
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


def write_clip(path, frames, fps: float = 12):
    """Frames ([H, W, 3] in [0, 1]) as an H.264 clip (imageio-ffmpeg's ffmpeg)."""
    import imageio_ffmpeg

    h, w = frames[0].shape[:2]
    writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=fps, macro_block_size=1,
                                         quality=9, ffmpeg_log_level="error")
    writer.send(None)
    for frame in frames:
        writer.send((np.asarray(frame) * 255).round().astype(np.uint8).tobytes())
    writer.close()


# What `write_samples` writes: name -> what it is (for the README's commands).
SAMPLE_FILES = {
    "photo.png": "Chelsea the cat (scikit-image, CC0)",
    "photo2.png": "a cup of coffee (scikit-image, CC0)",
    "painting.png": "tfstyle's brush strokes, seed 0",
    "painting2.png": "tfstyle's brush strokes, seed 1",
    "thermal.png": "a thermal-looking image made from the coffee photo (inverted luminance)",
    "left.png": "a mask: the left half of photo.png",
    "right.png": "a mask: the right half of photo.png",
    "photo_labels.png": "label map of photo.png (two regions: top 0, bottom 1)",
    "photo2_labels.png": "label map of photo2.png (two regions: top 0, bottom 1)",
    "photos/": "three photos (astronaut, rocket, chelsea; public domain and CC0) for folder runs",
    "paintings/": "three brush-stroke paintings (seeds 0, 1, 2) for training runs",
    "ir_pairs/": "toy aligned visible/thermal pairs of a made-up sensor (red discs hot, blue "
                 "squares cold, paint in the visible only), for the infrared command",
    "ir_photo.png": "a new toy scene (not in ir_pairs) to turn into thermal",
    "clip.mp4": "a 2 s clip at 12 fps: a pan over the astronaut photo, a red square moving",
}


def write_samples(folder="samples") -> pathlib.Path:
    """Writes the README's example inputs into `folder` (kept if already
    there): every README command runs as pasted after `tfstyle samples`."""
    from tfstyle.core.color import luminance, gray_rgb
    from tfstyle.core.image import save_image

    folder = pathlib.Path(folder)
    (folder / "photos").mkdir(parents=True, exist_ok=True)
    (folder / "paintings").mkdir(exist_ok=True)
    photo = load_image(skimage_data_file("chelsea.png"))
    coffee = load_image(skimage_data_file("coffee.png"))
    h, w = photo.shape[:2]
    left = np.zeros((h, w, 3), np.float32)
    left[:, : w // 2] = 1.0

    def halves(shape):
        labels = np.zeros(shape[:2], np.uint8)
        labels[shape[0] // 2:] = 1
        return labels

    files = {
        "photo.png": photo, "photo2.png": coffee,
        "painting.png": brushstrokes(512, seed=0), "painting2.png": brushstrokes(512, seed=1),
        "thermal.png": gray_rgb(1.0 - luminance(coffee)),
        "left.png": left, "right.png": 1.0 - left,
        "photos/astronaut.png": load_image(skimage_data_file("astronaut.png")),
        "photos/rocket.png": load_image(skimage_data_file("rocket.jpg")),
        "photos/cat.png": photo,
    }
    files.update({f"paintings/strokes{seed}.png": brushstrokes(256, seed=seed)
                  for seed in range(3)})
    for seed in range(1, 5):
        visible, thermal, _ = toy_thermal_scene(seed, size=192)
        files[f"ir_pairs/visible/scene{seed}.png"] = visible
        files[f"ir_pairs/thermal/scene{seed}.png"] = gray_rgb(thermal)
    files["ir_photo.png"] = toy_thermal_scene(7, size=192)[0]
    for name, image in files.items():
        if not (folder / name).exists():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            save_image(folder / name, image)
    if not (folder / "clip.mp4").exists():
        write_clip(folder / "clip.mp4", camera_clip("pan", 24, side=256)[0])
    for name, shape in (("photo_labels.png", photo.shape), ("photo2_labels.png", coffee.shape)):
        if not (folder / name).exists():
            Image.fromarray(halves(shape)).save(folder / name)
    return folder


def main(argv=None) -> int:
    """`python -m tfstyle.core.samples [FOLDER]` / `tfstyle samples [FOLDER]`."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    folder = write_samples(argv[0] if argv else "samples")
    for name, what in SAMPLE_FILES.items():
        print(f"{folder / name}: {what}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
