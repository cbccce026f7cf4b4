"""Image optimization: an Adam step on a ``tf.Variable`` and a scipy L-BFGS-B bridge.

Both minimize an objective ``f(image [B, H, W, 3]) -> dict of scalar loss
parts`` whose ``"total"`` entry is minimized; pixels stay in [0, 1]. The start
is one [H, W, 3] image (B = 1), or a [B, H, W, 3] batch optimized together.
"""

import collections
import dataclasses
import logging
import time
from typing import Dict, Mapping

import numpy as np
import tensorflow as tf
import threadpoolctl

from tfstyle.core.progress import Callback, Progress  # noqa: F401 (optim.Progress)



log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class OptimResult:
    image: np.ndarray              # float32 [H, W, 3] in [0, 1], or [B, H, W, 3] as started
    losses: Mapping[str, float]    # loss parts of `image` (summed over a batch)
    steps: int                     # iterations done
    evaluations: int               # loss-and-gradient evaluations (L-BFGS line searches add some)


def _floats(parts) -> Dict[str, float]:
    return {name: float(value) for name, value in parts.items()}


def _as_batch(init: np.ndarray) -> np.ndarray:
    """[B, H, W, 3] view of a start given as one image or as a batch."""
    return init if init.ndim == 4 else init[None]


def _like(batch: np.ndarray, init: np.ndarray) -> np.ndarray:
    """`batch` in the form the start came in (one image, or the batch)."""
    return batch if init.ndim == 4 else batch[0]


def run_adam(objective, init: np.ndarray, steps: int, learning_rate: float,
             callback: Callback = None):
    """Adam on the pixels, clipped to [0, 1] after every step. Returns an `OptimResult`.

    Adam's update is per pixel, so each image of a batch follows the path it
    would follow alone.
    """
    import keras

    image = tf.Variable(_as_batch(init), dtype=tf.float32)
    # beta_1=0.99 and a large epsilon damp the noisy early steps on raw pixels
    # (the TF style-transfer tutorial's settings).
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=0.99, epsilon=0.1)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            parts = objective(image)
        grad = tape.gradient(parts["total"], image)
        optimizer.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return parts

    start = time.perf_counter()
    parts = {}
    for i in range(steps):
        parts = step()
        if callback:
            callback(Progress(i + 1, steps, _floats(parts), time.perf_counter() - start,
                              _like(image.numpy(), init)))
    # The parts above describe the image before the last update; report the final image's.
    final = _floats(objective(tf.convert_to_tensor(image)))
    return OptimResult(_like(image.numpy(), init), final, steps, steps)


# Curvature pairs scipy's L-BFGS-B keeps (its maxcor). Its bookkeeping grows
# with their square times the pixel count (320 ms per iteration at 512x384 px
# with 20, 138 with 10), but 10 pairs reach 1-4 % higher losses after 200 and
# 500 iterations (docs/benchmarks.md, peer_bench --quality), so 20 it stays.
HISTORY = 20


def run_lbfgs(objective, init: np.ndarray, steps: int, callback: Callback = None,
              history: int = None):
    """scipy's L-BFGS-B with [0, 1] pixel bounds; one tf.function gives loss and gradient.

    Returns an `OptimResult`. It may hold fewer than `steps` iterations when
    the line search can make no further progress (a warning is logged). A
    batch is one problem of all its pixels: the summed loss, one line search.
    `history`: curvature pairs kept (default `HISTORY`).
    """
    from scipy import optimize

    history = HISTORY if history is None else history
    if not (isinstance(history, int) and history >= 1):
        raise ValueError(f"history must be a positive integer, got {history!r}")
    value_and_grad = _value_and_grad(objective, init)
    # The last few evaluations, so each iteration's callback gets every loss
    # part of the accepted point (usually the last line-search trial, not always).
    evaluated = collections.deque(maxlen=4)

    def fun(x):
        parts, grad = value_and_grad(tf.constant(x, tf.float32))
        evaluated.append((np.array(x, copy=True), parts))
        # scipy's core wants float64.
        return float(parts["total"]), grad.numpy().astype(np.float64)

    # One BLAS thread for L-BFGS-B's vector work: OpenBLAS's idle workers
    # spin for ~0.1 s after each threaded call, and here they spun through the
    # next evaluation, taking a core from TensorFlow (a 256x192 evaluation
    # took 0.259 s instead of 0.213; docs/benchmarks.md).
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        result = optimize.minimize(
            fun, init.astype(np.float64).ravel(), jac=True, method="L-BFGS-B",
            bounds=optimize.Bounds(0.0, 1.0),
            callback=_iteration_reporter(callback, steps, init.shape, evaluated),
            # ftol=gtol=0: run the requested number of iterations, as the paper
            # reports results after a fixed budget; maxfun caps line searches.
            options={"maxiter": steps, "maxfun": 2 * steps + 20, "ftol": 0.0, "gtol": 0.0,
                     "maxcor": history})
    if result.nit < steps:
        log.warning("L-BFGS stopped after %d of %d iterations: %s", result.nit, steps,
                    result.message)
    final_image = result.x.reshape(init.shape).astype(np.float32)
    parts, _ = value_and_grad(tf.constant(result.x, tf.float32))
    return OptimResult(final_image, _floats(parts), int(result.nit), int(result.nfev))


def _value_and_grad(objective, init: np.ndarray):
    """A tf.function from the flat pixels of an image shaped as `init` to
    (`objective`'s loss parts, the flat gradient of their total)."""
    @tf.function(input_signature=[tf.TensorSpec([int(np.prod(init.shape))], tf.float32)])
    def value_and_grad(flat):
        image = tf.reshape(flat, _as_batch(init).shape)
        with tf.GradientTape() as tape:
            tape.watch(image)
            parts = objective(image)
        return parts, tf.reshape(tape.gradient(parts["total"], image), [-1])

    return value_and_grad


def _iteration_reporter(callback: Callback, steps: int, shape, evaluated):
    """scipy's per-iteration callback: counts iterations and reports each to
    `callback` with the loss parts of its point, found among the `evaluated`
    (x, parts) pairs (only the total when the point is no longer among them)."""
    start = time.perf_counter()
    count = [0]

    def on_iteration(intermediate_result):
        count[0] += 1
        if callback:
            x = intermediate_result.x
            parts = next((_floats(p) for seen, p in reversed(evaluated)
                          if np.array_equal(seen, x)), {"total": float(intermediate_result.fun)})
            callback(Progress(count[0], steps, parts, time.perf_counter() - start,
                              x.reshape(shape).astype(np.float32)))

    return on_iteration
