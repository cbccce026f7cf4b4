"""What is learned from the example pairs: a ridge regression from VGG19
hypercolumns to relative thermal intensity.

A hypercolumn is the stack of a pixel's responses at several VGG19 layers
(Hariharan et al. 2015), each layer upsampled to the image: conv1_1 sees
edges and colour, conv5_1 sees what the thing is (a person, a car, sky). The
thermal target is each example's intensity standardized per image, because
thermal cameras rescale every frame (automatic gain): what carries over
between frames is which things are warmer than their surroundings, not the
raw level. The ridge strength is chosen by leave-one-pair-out validation on
the examples themselves, so nothing is tuned to any benchmark.

A fit is small (one weight per feature channel) and is saved as .npz; its
sha256 identifies it in every output's record.
"""

import dataclasses
import hashlib
import io
import logging
import time
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from tfstyle.core.errors import ConfigError, ImageError

log = logging.getLogger(__name__)

LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
# What a scene shows, to find the example most like a photo: deep layers.
DESCRIPTOR_LAYERS = ("block4_conv1", "block5_conv1")
# The thermal images a fit keeps for the texture step (the file stays small).
KEEP_THERMALS = 16
# Per-pixel colour inputs beside the layers: R, G, B and luminance.
COLOUR = "colour"
FORMAT = "tfstyle-infrared-fit/1"
# Pixels drawn from each example for the normal equations (all of a 256 px
# image would cost memory and add little: neighbouring pixels share features).
SAMPLES_PER_PAIR = 12000
# Ridge strengths tried, per unit of sample count (features are standardized).
RIDGE_GRID = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)
# With a single pair nothing can be held out: the middle of the grid.
SINGLE_PAIR_RIDGE = 1.0


@dataclasses.dataclass(frozen=True)
class Fit:
    """A learned visible -> thermal mapping: z = sum over layers of
    upsample(features_l . weights_l) + colour . weights_colour + bias, then
    intensity = thermal_mean + thermal_std * z."""
    weights: Dict[str, np.ndarray]  # layer name (and COLOUR) -> [C] float32
    bias: float
    thermal_mean: float              # the examples' pooled thermal intensity, in [0, 1]
    thermal_std: float
    analysis_size: int               # long side the features were taken at
    ridge: float                     # the chosen ridge strength
    validation: Dict[str, float]     # held-out scores of the chosen strength
    examples: Tuple[str, ...]        # the pairs' names
    vgg_sha256: str                  # the VGG19 weights the features came from
    thermals: Tuple[np.ndarray, ...]  # uint8 [h, w] each: the examples' thermal images (up to
                                      # KEEP_THERMALS), the texture step's styles
    descriptors: np.ndarray           # [len(thermals), D]: their visible twins' `descriptor`s

    def to_bytes(self) -> bytes:
        """The fit as .npz bytes (deterministic: one fit, one sha256)."""
        import json

        meta = dict(format=FORMAT, bias=self.bias, thermal_mean=self.thermal_mean,
                    thermal_std=self.thermal_std, analysis_size=self.analysis_size,
                    ridge=self.ridge, validation=self.validation,
                    examples=list(self.examples), vgg_sha256=self.vgg_sha256,
                    layers=list(self.weights))
        buffer = io.BytesIO()
        np.savez_compressed(buffer, meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8),
                 descriptors=np.asarray(self.descriptors, np.float32),
                 **{f"thermal_{i:03d}": np.asarray(t, np.uint8)
                    for i, t in enumerate(self.thermals)},
                 **{f"w_{name}": np.asarray(w, np.float32) for name, w in self.weights.items()})
        return buffer.getvalue()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    def save(self, path):
        """Writes the fit to `path` (.npz) whole or not at all."""
        from tfstyle.core.fileio import atomic_write

        with atomic_write(path) as f:
            f.write(self.to_bytes())


def load_fit(source) -> Fit:
    """A fit saved by `Fit.save` (`--save_fit`): a path, or its bytes."""
    import json
    import zipfile

    path = "the fit" if isinstance(source, bytes) else source
    try:
        with np.load(io.BytesIO(source) if isinstance(source, bytes) else source,
                     allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("format") != FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {FORMAT!r}")
            weights = {name: np.asarray(data[f"w_{name}"], np.float32) for name in meta["layers"]}
            descriptors = np.asarray(data["descriptors"], np.float32)
            thermals = tuple(np.asarray(data[f"thermal_{i:03d}"], np.uint8)
                             for i in range(len(descriptors)))
    except FileNotFoundError:
        raise ConfigError(f"no such fit file: {path}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not a tfstyle infrared fit (--save_fit writes one): "
                          f"{e}") from None
    return Fit(weights, float(meta["bias"]), float(meta["thermal_mean"]),
               float(meta["thermal_std"]), int(meta["analysis_size"]), float(meta["ridge"]),
               dict(meta["validation"]), tuple(meta["examples"]), meta["vgg_sha256"], thermals, descriptors)


def extractor(weights):
    """The normalized VGG19 (average pooling) giving LAYERS."""
    from tfstyle.core import vgg

    return vgg.build_extractor(weights, list(LAYERS), pooling="avg", normalize=True)


def descriptor(out) -> np.ndarray:
    """What an image shows, for finding the example most like a photo: the
    mean response of DESCRIPTOR_LAYERS (the network's `out`), each scaled to
    unit length."""
    parts = [np.asarray(out[name][0], np.float64).mean((0, 1)) for name in DESCRIPTOR_LAYERS]
    return np.concatenate([p / max(np.linalg.norm(p), 1e-12) for p in parts]).astype(np.float32)


def hypercolumns(out, image: np.ndarray, at: Optional[np.ndarray] = None) -> np.ndarray:
    """[N, D] features of `image` ([h, w, 3]; `out` the network's responses
    to it) at the flat pixel indices `at` (all pixels when None): the colour
    inputs, then each layer bilinearly upsampled to the image."""
    import tensorflow as tf

    from tfstyle.core.color import luminance

    h, w = image.shape[:2]

    columns = [np.concatenate([image, luminance(image)[..., None]], -1).reshape(h * w, -1)]
    for name in LAYERS:
        up = tf.image.resize(out[name], (h, w), method="bilinear")[0].numpy().reshape(h * w, -1)
        columns.append(up if at is None else up[at])
    if at is not None:
        columns[0] = columns[0][at]
    return np.concatenate(columns, -1)


def _standardized(thermal: np.ndarray) -> np.ndarray:
    return (thermal - thermal.mean()) / max(float(thermal.std()), 1e-3)


def _normal_equations(net, pairs, size: int, rng) -> Tuple[list, list, list, list]:
    """Per pair: the sampled features [n, D], their targets, the thermal
    image and the visible image's descriptor."""
    from tfstyle.thermal.examples import read_pair

    xs, ys, thermals, descriptors = [], [], [], []
    for pair in pairs:
        visible, thermal = read_pair(pair, size)
        out = net(visible[None])
        n = thermal.size
        at = rng.choice(n, min(SAMPLES_PER_PAIR, n), replace=False)
        xs.append(hypercolumns(out, visible, at).astype(np.float64))
        ys.append(_standardized(thermal).ravel()[at].astype(np.float64))
        thermals.append(thermal)
        descriptors.append(descriptor(out))
    return xs, ys, thermals, descriptors


def _kept(thermals, descriptors):
    """Up to KEEP_THERMALS of the examples (evenly chosen), as uint8 images
    and an array of descriptors."""
    chosen = np.unique(np.round(np.linspace(0, len(thermals) - 1,
                                            min(KEEP_THERMALS, len(thermals)))).astype(int))
    return (tuple(np.round(thermals[i] * 255).astype(np.uint8) for i in chosen),
            np.stack([descriptors[i] for i in chosen]))


def _solve(gram, moment, strength, count):
    return np.linalg.solve(gram + strength * count * np.eye(len(gram)), moment)


def _choose_ridge(grams, moments, xs, ys) -> Tuple[float, Dict[str, float]]:
    """The ridge strength with the least leave-one-pair-out squared error
    (in per-image standard deviations; 1.0 is predicting the mean)."""
    if len(xs) < 2:
        return SINGLE_PAIR_RIDGE, {}
    total_g, total_m = sum(grams), sum(moments)
    scores = []
    for strength in RIDGE_GRID:
        errors, rs = [], []
        for i in range(len(xs)):
            count = sum(len(x) for j, x in enumerate(xs) if j != i)
            w = _solve(total_g - grams[i], total_m - moments[i], strength, count)
            prediction = xs[i] @ w
            errors.append(float(np.mean((prediction - ys[i]) ** 2)))
            rs.append(float(np.corrcoef(prediction, ys[i])[0, 1]) if prediction.std() > 0 else 0)
        scores.append((float(np.mean(errors)), strength, float(np.mean(rs))))
    error, strength, r = min(scores)
    return strength, {"held_out_mse": round(error, 4), "held_out_r": round(r, 4)}


def fit(examples, *, analysis_size: int = 256, weights=None,
        callback: Optional[Callable[[str], None]] = None) -> Fit:
    """Learns the visible -> thermal mapping from aligned pairs.

    Args:
      examples: a folder with visible/ and thermal/ (matching names), or a
        list of (visible, thermal) paths or arrays.
      analysis_size: long side the pairs are read at.
      weights: VGG19 weights (`find_vgg19_weights()` when None).
      callback: gets a line of progress per pair.
    """
    from tfstyle.core.weights import find_vgg19_weights
    from tfstyle.thermal.examples import find_pairs

    start = time.perf_counter()
    pairs = find_pairs(examples)
    weights = weights or find_vgg19_weights()
    net = extractor(weights)
    rng = np.random.default_rng(0)
    xs, ys, thermals, descriptors = _normal_equations(net, pairs, analysis_size, rng)
    everything = np.concatenate(xs)
    mean, std = everything.mean(0), everything.std(0) + 1e-6
    xs = [(x - mean) / std for x in xs]
    grams = [x.T @ x for x in xs]
    moments = [x.T @ y for x, y in zip(xs, ys)]
    strength, validation = _choose_ridge(grams, moments, xs, ys)
    w = _solve(sum(grams), sum(moments), strength, sum(len(x) for x in xs)) / std
    bias = -float(mean @ w)
    sizes = [4] + [int(net.output[name].shape[-1]) for name in LAYERS]
    parts = np.split(w.astype(np.float32), np.cumsum(sizes)[:-1])
    pooled = np.concatenate([t.ravel() for t in thermals])
    if not float(pooled.std()) > 0:
        raise ImageError("examples: the thermal images are all one flat value")
    result = Fit({COLOUR: parts[0], **dict(zip(LAYERS, parts[1:]))}, bias,
                 float(pooled.mean()), float(pooled.std()), analysis_size, strength,
                 validation, tuple(p.name for p in pairs), weights.sha256,
                 *_kept(thermals, descriptors))
    log.info("fitted on %d pairs in %.1f s (ridge %g%s)", len(pairs),
             time.perf_counter() - start, strength,
             "".join(f", {k} {v}" for k, v in validation.items()))
    return result
