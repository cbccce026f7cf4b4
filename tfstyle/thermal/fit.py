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
from typing import Any, Dict, Optional, Tuple

import numpy as np

from tfstyle.core.errors import ConfigError, ImageError
from tfstyle.thermal.config import ROUTES

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
    thermals: Tuple[np.ndarray, ...]  # uint8 [h, w]: up to KEEP_THERMALS of the examples'
    #                                   thermal images, the texture step's styles
    descriptors: np.ndarray           # [len(thermals), D]: their visible twins' `descriptor`s
    # The trained route's decoder (`tfstyle.thermal.decoder.weights_to_bytes`);
    # empty: the ridge route.
    decoder: bytes = b""

    @property
    def route(self) -> str:
        return "trained" if self.decoder else "ridge"

    def to_bytes(self) -> bytes:
        """The fit as .npz bytes (deterministic: one fit, one sha256)."""
        import json

        meta = dict(format=FORMAT, bias=self.bias, thermal_mean=self.thermal_mean,
                    thermal_std=self.thermal_std, analysis_size=self.analysis_size,
                    ridge=self.ridge, validation=self.validation,
                    examples=list(self.examples), vgg_sha256=self.vgg_sha256,
                    layers=list(self.weights))
        buffer = io.BytesIO()
        header = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), np.uint8)
        np.savez_compressed(
            buffer, meta=header, descriptors=np.asarray(self.descriptors, np.float32),
            **{f"thermal_{i:03d}": np.asarray(t, np.uint8) for i, t in enumerate(self.thermals)},
            **{f"w_{name}": np.asarray(w, np.float32) for name, w in self.weights.items()},
            **({"decoder": np.frombuffer(self.decoder, np.uint8)} if self.decoder else {}))
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
            if tuple(meta["layers"]) != (COLOUR, *LAYERS):
                raise ValueError(f"layers {meta['layers']}, expected {[COLOUR, *LAYERS]}")
            weights = {name: np.asarray(data[f"w_{name}"], np.float32) for name in meta["layers"]}
            descriptors = np.asarray(data["descriptors"], np.float32)
            thermals = tuple(np.asarray(data[f"thermal_{i:03d}"], np.uint8)
                             for i in range(len(descriptors)))
            result = Fit(weights, float(meta["bias"]), float(meta["thermal_mean"]),
                         float(meta["thermal_std"]), int(meta["analysis_size"]),
                         float(meta["ridge"]), dict(meta["validation"]),
                         tuple(meta["examples"]), str(meta["vgg_sha256"]), thermals,
                         descriptors,
                         bytes(data["decoder"]) if "decoder" in data.files else b"")
    except FileNotFoundError:
        raise ConfigError(f"no such fit file: {path}") from None
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile,
            UnicodeDecodeError) as e:
        # numpy's own words would advise loading the file unsafely: not passed on.
        why = "not an .npz archive" if isinstance(e, (zipfile.BadZipFile, OSError)) or (
            "pickle" in str(e)) else str(e)
        raise ConfigError(f"{path} is not a tfstyle infrared fit ({why}); `save_fit` "
                          "writes one") from None
    sizes = dict(zip(LAYERS, (64, 128, 256, 512, 512)), **{COLOUR: 4})
    bad = [n for n, w in result.weights.items() if w.shape != (sizes[n],)]
    if bad:
        raise ConfigError(f"{path} is not a tfstyle infrared fit: weights of {bad[0]} have "
                          f"shape {result.weights[bad[0]].shape}")
    return result


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


def standardize(thermal: np.ndarray) -> np.ndarray:
    """A thermal frame standardized (zero mean, unit spread): what carries
    over between frames of an automatic-gain camera."""
    return (thermal - thermal.mean()) / max(float(thermal.std()), 1e-3)


# Pairs beyond this many share validation folds (contiguous runs of pairs):
# the statistics kept are one set per fold, whatever the number of pairs.
FOLDS = 10


@dataclasses.dataclass
class _Sums:
    """Sufficient statistics of one fold's samples: the normal equations in
    raw feature units, standardized later (`standardized`)."""
    count: int = 0
    x: Any = 0.0     # sum of x            [D]
    xx: Any = 0.0    # sum of x x^T        [D, D]
    xy: Any = 0.0    # sum of x y          [D]
    y: float = 0.0
    yy: float = 0.0

    def add(self, x: np.ndarray, y: np.ndarray):
        self.count += len(x)
        self.x = self.x + x.sum(0)
        self.xx = self.xx + x.T @ x
        self.xy = self.xy + x.T @ y
        self.y += float(y.sum())
        self.yy += float(y @ y)

    def _fields(self):  # not dataclasses.astuple: it deep-copies the [D, D] sums
        return [getattr(self, f.name) for f in dataclasses.fields(self)]

    def __add__(self, other: "_Sums") -> "_Sums":
        return _Sums(*(a + b for a, b in zip(self._fields(), other._fields())))

    def __sub__(self, other: "_Sums") -> "_Sums":
        return _Sums(*(a - b for a, b in zip(self._fields(), other._fields())))

    def standardized(self, mean: np.ndarray, std: np.ndarray) -> "_Sums":
        """The same sums for (x - mean) / std."""
        s = self.x - self.count * mean
        xx = self.xx - np.outer(self.x, mean) - np.outer(mean, self.x) + self.count * np.outer(
            mean, mean)
        return _Sums(self.count, s / std, xx / np.outer(std, std),
                     (self.xy - mean * self.y) / std, self.y, self.yy)


def _read_examples(net, pairs, size: int, rng, keep_pairs: Optional[list] = None):
    """(one `_Sums` per fold, the kept thermal images and descriptors, the
    thermal pixels' count, sum and sum of squares); every pair read is
    appended to `keep_pairs` when given (the trained route's data)."""
    from tfstyle.thermal.examples import read_pair

    folds = [_Sums() for _ in range(min(FOLDS, len(pairs)))]
    keep = set(np.round(np.linspace(0, len(pairs) - 1,
                                    min(KEEP_THERMALS, len(pairs)))).astype(int).tolist())
    kept, descriptors, pixels = [], [], np.zeros(3)
    for i, pair in enumerate(pairs):
        visible, thermal = read_pair(pair, size)
        if keep_pairs is not None:
            keep_pairs.append((visible, thermal))
        out = net(visible[None])
        at = rng.choice(thermal.size, min(SAMPLES_PER_PAIR, thermal.size), replace=False)
        # Contiguous folds: a dataset's neighbouring frames (near duplicates)
        # fall in one fold, so they never validate each other.
        folds[i * len(folds) // len(pairs)].add(hypercolumns(out, visible, at).astype(np.float64),
                                  standardize(thermal).ravel()[at].astype(np.float64))
        pixels += (thermal.size, float(thermal.sum()), float(np.square(thermal, dtype=np.float64)
                                                              .sum()))
        if i in keep:
            kept.append(np.round(thermal * 255).astype(np.uint8))
            descriptors.append(descriptor(out))
    return folds, (tuple(kept), np.stack(descriptors)), pixels


def _solve(train: "_Sums", strength: float) -> np.ndarray:
    return np.linalg.solve(train.xx + strength * train.count * np.eye(len(train.xx)), train.xy)


def _total(folds) -> _Sums:
    return sum(folds, _Sums())


def _choose_ridge(folds) -> Tuple[float, Dict[str, float]]:
    """The ridge strength with the least held-out squared error over the
    folds (in per-image standard deviations; 1.0 is predicting the mean),
    computed from the folds' sums alone."""
    if len(folds) < 2:
        return SINGLE_PAIR_RIDGE, {}
    total, scores = _total(folds), []
    for strength in RIDGE_GRID:
        errors, rs = [], []
        for f in folds:
            w = _solve(total - f, strength)
            pp, py, p = w @ f.xx @ w, w @ f.xy, w @ f.x  # sums of p^2, p y, p
            errors.append((f.yy - 2 * py + pp) / f.count)
            n = f.count
            cov, var_p, var_y = py / n - p * f.y / n**2, pp / n - (p / n) ** 2, f.yy / n - (
                f.y / n) ** 2
            rs.append(cov / np.sqrt(var_p * var_y) if var_p > 0 and var_y > 0 else 0.0)
        scores.append((float(np.mean(errors)), strength, float(np.mean(rs))))
    error, strength, r = min(scores)
    return strength, {"held_out_mse": round(error, 4), "held_out_r": round(r, 4)}


# ROUTES: "ridge" (the linear map of hypercolumns), "trained" (a decoder
# trained on the pairs, `tfstyle.thermal.decoder`), "auto": trained from
# TRAINED_FROM pairs on (measured in docs/infrared.md).
TRAINED_FROM = 20


def choose_route(route: str, pairs: int) -> str:
    if route not in ROUTES:
        raise ConfigError(f"`route` must be one of {', '.join(ROUTES)}, got {route!r}")
    if route == "auto":
        return "trained" if pairs >= TRAINED_FROM else "ridge"
    return route


def route_of(data: bytes) -> str:
    """The route of a fit's .npz bytes, from its listing alone (no weights
    are decompressed)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return "trained" if "decoder" in npz.files else "ridge"


def fit(examples, *, analysis_size: int = 256, weights=None, net=None, route: str = "auto",
        train_steps: Optional[int] = None, training=None, callback=None,
        checkpoint=None) -> Fit:
    """Learns the visible -> thermal mapping from aligned pairs.

    Args:
      examples: a folder with visible/ and thermal/ (matching names), or a
        list of (visible, thermal) paths or arrays.
      analysis_size: long side the pairs are read at.
      weights: VGG19 weights (`find_vgg19_weights()` when None).
      net: `extractor(weights)`, when the caller has built it already.
      route: "ridge", "trained" or "auto" (`choose_route`: by the number of
        pairs).
      train_steps: the trained route's steps (default
        `decoder.TrainConfig.steps`).
      training: the trained route's whole `decoder.TrainConfig` (its steps
        replaced by `train_steps` when that is given).
      callback: the trained route's progress (`tfstyle.core.progress.Progress`).
      checkpoint: the trained route's checkpoint file (.npz): written every
        100 steps and on Ctrl-C, resumed from when it matches these pairs
        and settings, removed when the training ends.
    """
    from tfstyle.core.weights import find_vgg19_weights
    from tfstyle.thermal.examples import check_pairs, find_pairs

    start = time.perf_counter()
    pairs = find_pairs(examples)
    check_pairs(pairs)
    weights = weights or find_vgg19_weights()
    net = net or extractor(weights)
    route = choose_route(route, len(pairs))
    rng = np.random.default_rng(0)
    read = [] if route == "trained" else None
    folds, (thermals, descriptors), (count, total, squares) = _read_examples(
        net, pairs, analysis_size, rng, read)
    raw = _total(folds)
    mean = raw.x / raw.count
    std = np.sqrt(np.maximum(np.diag(raw.xx) / raw.count - mean**2, 0))
    # A near-constant channel would get a huge raw-unit weight, unstable on
    # new photos: its spread is floored at a hundredth of the typical one.
    std = np.maximum(std, 0.01 * float(np.median(std)) + 1e-12)
    folds = [f.standardized(mean, std) for f in folds]
    strength, validation = _choose_ridge(folds)
    w = _solve(_total(folds), strength) / std
    bias = -float(mean @ w)
    sizes = [4] + [int(net.output[name].shape[-1]) for name in LAYERS]
    parts = np.split(w.astype(np.float32), np.cumsum(sizes)[:-1])
    thermal_mean = total / count
    thermal_std = float(np.sqrt(max(squares / count - thermal_mean**2, 0.0)))
    if not thermal_std > 1e-4:
        raise ImageError("examples: the thermal images are all one flat value")
    names = tuple(p.name for p in pairs)
    result = Fit({COLOUR: parts[0], **dict(zip(LAYERS, parts[1:]))}, bias,
                 float(thermal_mean), thermal_std, analysis_size, strength,
                 validation, names, weights.sha256, thermals, descriptors)
    if route == "trained":
        from tfstyle.thermal import decoder

        training = training or decoder.TrainConfig()
        if train_steps is not None:
            training = dataclasses.replace(training, steps=train_steps)
        result = dataclasses.replace(result, decoder=decoder.train_on(
            read, weights, names, training, callback, checkpoint))
    log.info("fitted on %d pairs in %.1f s (%s route; ridge %g%s)", len(pairs),
             time.perf_counter() - start, route, strength,
             "".join(f", {k} {v}" for k, v in validation.items()))
    return result
