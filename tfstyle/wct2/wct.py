"""Whitening and colouring transforms (Li et al. 2017), written from the
equations, with label maps (region to region).

For features F (C channels x N positions) with mean m:
    covariance  S = (F - m)(F - m)^T / (N - 1) + (eps + ridge) I = E diag(L) E^T
    whitening   W = E diag(L)^(-1/2) E^T (F_c - m_c)         (identity covariance)
    colouring   F_cs = E_s diag(L_s)^(1/2) E_s^T W + m_s     (the style's covariance)
    clamp       F_cs clipped to [min F_c, max F_c]                 (clamp)
    blend       alpha F_cs + (1 - alpha) F_c
The functions take `ridge` (and `clamp` where they colour), defaults RIDGE
and CLAMP; 0 and False give the textbook transform.
The eigendecompositions run in float64 on the host: float32 loses the small
eigenvalues that whitening divides by.
"""

import logging
from typing import Optional, Tuple

import numpy as np
import threadpoolctl

log = logging.getLogger(__name__)

EPS = 1e-5
# Added to both covariances' diagonals (the encoder's units: a feature's mean
# activation is about one). A direction whose variance is well below RIDGE
# is neither whitened nor coloured much, so weak directions (fine detail,
# noise) pass through instead of being amplified into fringes and blotches;
# strong ones are transferred as before, and WCT(F, F) stays F. The WCT²
# release adds 1 to both: that keeps more edges, but with label maps it moved
# the style less than a plain colour transfer; 0.1 beat the colour transfer
# on every pair measured (docs/photoreal.md, "What made outputs
# unphotographic"). 0: the textbook transform.
RIDGE = 0.1
# The transferred features are clamped to the content's range at each place
# (as the WCT² release does): a colouring cannot push a feature beyond what
# the photo itself has, where the decoder would invent colours.
CLAMP = True
# Eigenvalues are raised to at least this share of the largest.
RELATIVE_FLOOR = 1e-5
# A label region needs this many positions at a level for its covariance to
# mean something; smaller ones keep the content's features there.
MIN_POSITIONS = 10
# Positions per float64 chunk when summing a covariance.
CHUNK = 1 << 18


def _stats(features: np.ndarray, ridge: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean [C], eigenvalues [C], eigenvectors [C, C]) of [N, C] features'
    covariance + (eps + ridge) I, the eigenvalues raised to `RELATIVE_FLOOR` of the
    largest: directions with (almost) no variance are not divided by nearly
    zero (whitening would blow their noise up), and WCT(F, F) stays F."""
    # Sums in float64 over chunks: a 2048 px image's level-1 features (4 M x 64)
    # would take 2 GB per float64 copy.
    mean = features.mean(axis=0, dtype=np.float64)
    cov = np.zeros((features.shape[1],) * 2)
    for start in range(0, len(features), CHUNK):
        centred = features[start:start + CHUNK].astype(np.float64) - mean
        cov += centred.T @ centred
    cov /= max(len(features) - 1, 1)
    values, vectors = np.linalg.eigh(cov + (EPS + ridge) * np.eye(cov.shape[0]))
    return mean, np.maximum(values, RELATIVE_FLOOR * values.max()), vectors


def wct(content: np.ndarray, style: np.ndarray, alpha: float = 1.0, ridge: float = RIDGE,
        clamp: bool = CLAMP) -> np.ndarray:
    """[N, C] content features given the mean and covariance of [M, C] style
    features (ridge 0 and no clamp: the textbook transform)."""
    return _coloured(np.asarray(content), style_transform(style, ridge), alpha, ridge, clamp)


def _coloured(content: np.ndarray, style: Tuple[np.ndarray, np.ndarray],
              alpha: float, ridge: float, clamp: bool) -> np.ndarray:
    """[N, C] content features whitened, then coloured by `style`
    ((mean, colouring matrix), `style_transform`)."""
    mean_c, values_c, vectors_c = _stats(content, ridge)
    mean_s, colour = style
    matrix = ((vectors_c * values_c ** -0.5) @ vectors_c.T) @ colour
    # Applied in float64 chunk by chunk, kept in the features' own dtype.
    low, high = (content.min(), content.max()) if clamp and len(content) else (-np.inf, np.inf)
    out = np.empty(content.shape, np.result_type(content.dtype, np.float32))
    for start in range(0, len(content), CHUNK):
        part = content[start:start + CHUNK].astype(np.float64)
        moved = np.clip((part - mean_c) @ matrix + mean_s, low, high)
        out[start:start + CHUNK] = alpha * moved + (1 - alpha) * part
    return out


def style_statistics(style: np.ndarray, labels: Optional[np.ndarray] = None,
                     ridge: float = RIDGE) -> dict:
    """What WCT needs of [h, w, C] style features, without the features:
    label -> (positions, `style_transform`) for each label of the map at this
    level (None: the whole map, when `labels` is None). A label with fewer
    than `MIN_POSITIONS` positions gets (positions, None). A 2048 px style's
    features at every place take about 7 GB; these, a few MB."""
    flat = style.reshape(-1, style.shape[-1])
    if labels is None:
        return {None: (len(flat), style_transform(flat, ridge))}
    at = _labels_at(labels, style.shape[:2]).reshape(-1)
    out = {}
    for label in np.unique(at):
        where = at == label
        count = int(where.sum())
        out[int(label)] = (count, style_transform(flat[where], ridge) if count >= MIN_POSITIONS
                           else None)
    return out


def _labels_at(labels: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """A label map [H, W] (integers) taken to a level's grid by nearest neighbour."""
    rows = (np.arange(shape[0]) * labels.shape[0] // shape[0]).clip(0, labels.shape[0] - 1)
    cols = (np.arange(shape[1]) * labels.shape[1] // shape[1]).clip(0, labels.shape[1] - 1)
    return labels[rows][:, cols]


def transfer_features(content: np.ndarray, style, alpha: float = 1.0,
                      content_labels: Optional[np.ndarray] = None,
                      style_labels: Optional[np.ndarray] = None,
                      report: Optional[set] = None, ridge: float = RIDGE,
                      clamp: bool = CLAMP) -> np.ndarray:
    """WCT of [h, w, C] content features to [h', w', C] style features (or
    their `style_statistics`), as a whole or label by label (label maps
    [H, W] of integers at image resolution; with statistics, the style's map
    was given to `style_statistics`).

    A label present in one map only, or with fewer than `MIN_POSITIONS`
    positions at this level in either image, keeps the content's features;
    its number goes into `report` (so the caller can say so once).
    """
    # One BLAS thread: the eigendecompositions and products are small, and
    # OpenBLAS spinning on both cores beside TensorFlow's threads made a
    # 24 x 40 px transfer 40-60x slower.
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        if not isinstance(style, dict):
            style = style_statistics(style, style_labels if content_labels is not None
                                     else None, ridge=ridge)
        return _transfer_features(content, style, alpha, content_labels, report, ridge, clamp)


def _transfer_features(content, statistics, alpha, content_labels, report, ridge, clamp):
    height, width, channels = content.shape
    flat_c = content.reshape(-1, channels)
    if content_labels is None:
        if None not in statistics:
            raise ValueError("style statistics by label need a content label map")
        return _coloured(flat_c, statistics[None][1], alpha, ridge, clamp).reshape(
            content.shape).astype(np.float32, copy=False)
    at_c = _labels_at(content_labels, (height, width)).reshape(-1)
    out = np.array(flat_c, np.float32)
    for label in np.unique(at_c):
        where_c = at_c == label
        count_s, style = statistics.get(int(label), (0, None))
        if where_c.sum() < MIN_POSITIONS or style is None:
            if report is not None:
                report.add(int(label))
            continue
        out[where_c] = _coloured(flat_c[where_c], style, alpha, ridge, clamp)
    return out.reshape(content.shape)


def style_transform(style_features: np.ndarray,
                    ridge: float = RIDGE) -> Tuple[np.ndarray, np.ndarray]:
    """(mean [C], colouring matrix E diag(L)^(1/2) E^T [C, C]) of [M, C] style
    features: what `wct_tensor` needs of a style, computed once."""
    mean, values, vectors = _stats(np.asarray(style_features), ridge)
    return mean, (vectors * values ** 0.5) @ vectors.T


def wct_tensor(content, style_mean, colouring, alpha: float = 1.0, ridge: float = RIDGE,
               clamp: bool = CLAMP):
    """`wct` on tensors, traceable (for `tf.data` maps): [B, h, w, C] content
    features, the style's `style_transform`. Float64 inside, as `wct`."""
    import tensorflow as tf

    shape = tf.shape(content)
    flat = tf.cast(tf.reshape(content, [shape[0], -1, shape[3]]), tf.float64)
    mean = tf.reduce_mean(flat, axis=1, keepdims=True)
    centred = flat - mean
    count = tf.cast(tf.shape(flat)[1], tf.float64)
    cov = tf.matmul(centred, centred, transpose_a=True) / tf.maximum(count - 1.0, 1.0)
    cov += (EPS + ridge) * tf.eye(shape[3], dtype=tf.float64)
    values, vectors = tf.linalg.eigh(cov)
    values = tf.maximum(values, RELATIVE_FLOOR * tf.reduce_max(values, axis=-1, keepdims=True))
    whiten = tf.matmul(vectors * tf.math.rsqrt(values)[:, None, :], vectors, transpose_b=True)
    coloured = tf.matmul(tf.matmul(centred, whiten), tf.constant(colouring)) + tf.constant(style_mean)
    if clamp:
        coloured = tf.clip_by_value(coloured, tf.reduce_min(flat, axis=[1, 2], keepdims=True),
                                    tf.reduce_max(flat, axis=[1, 2], keepdims=True))
    out = alpha * coloured + (1.0 - alpha) * flat
    return tf.cast(tf.reshape(out, shape), content.dtype)
