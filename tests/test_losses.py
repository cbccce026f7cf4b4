"""Losses against numpy, and the tape's gradients against the paper's eqs. 2 and 6."""

import numpy as np
import pytest
import tensorflow as tf

from tfstyle.core import losses

RNG = np.random.default_rng(0)


def _np_gram(f):
    # Paper notation: F is N x M (filters x positions), G = F F^T.
    F = f[0].reshape(-1, f.shape[-1]).T
    return F @ F.T


def test_content_loss_matches_numpy():
    f, p = RNG.normal(size=(2, 1, 5, 4, 3)).astype(np.float32)
    expected = 0.5 * np.sum((f.astype(np.float64) - p) ** 2)
    np.testing.assert_allclose(losses.content_loss(f, p).numpy(), expected, rtol=1e-6)


def test_gram_matches_numpy():
    f = RNG.normal(size=(1, 6, 7, 5)).astype(np.float32)
    np.testing.assert_allclose(losses.gram_matrix(f).numpy()[0], _np_gram(f), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("masked", [False, True])
def test_gram_gradient_matches_plain_autodiff(masked):
    # The one-matmul gradient against autodiff of the plain product, for an
    # upstream gradient that is not symmetric, a batch of two and a soft mask.
    f = tf.constant(RNG.normal(size=(2, 3, 4, 5)).astype(np.float32))
    c = tf.constant(RNG.normal(size=(2, 5, 5)).astype(np.float32))
    mask = RNG.uniform(size=(2, 3, 4, 1)).astype(np.float32) if masked else None
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(f)
        got = tf.reduce_sum(losses.gram_matrix(f, mask) * c)
        flat = tf.reshape(f, [2, 12, 5])
        weighted = flat if mask is None else flat * mask.reshape(2, 12, 1)
        expected = tf.reduce_sum(tf.matmul(weighted, flat, transpose_a=True) * c)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(got, f).numpy(), tape.gradient(expected, f).numpy(),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 4, 4, 3), (1, 8, 5, 16)])
def test_layer_style_loss_is_eq4(shape):
    f = np.abs(RNG.normal(size=shape)).astype(np.float32)
    s = np.abs(RNG.normal(size=shape)).astype(np.float32)
    n, m = shape[-1], shape[1] * shape[2]
    g, a = _np_gram(f), _np_gram(s)
    expected = np.sum((g - a) ** 2) / (4 * n ** 2 * m ** 2)
    got = losses.layer_style_loss(losses.gram_matrix(f), _np_gram(s)[None] / m, float(n), float(m))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5)


def test_style_target_of_other_size_compares_per_position():
    # A style image twice as large with the same statistics has loss 0.
    f = np.abs(RNG.normal(size=(1, 4, 4, 3))).astype(np.float32)
    big = np.tile(f, (1, 2, 2, 1))
    target = losses.gram_matrix(big) / losses.num_positions(big)
    got = losses.layer_style_loss(losses.gram_matrix(f), target, 3.0, losses.num_positions(f))
    assert abs(got.numpy()) < 1e-9


def test_style_and_total_loss_combine_with_weights():
    assert losses.style_loss([tf.constant(2.0), tf.constant(3.0)], [0.5, 0.25]).numpy() == 1.75
    assert losses.total_loss(tf.constant(10.0), tf.constant(2.0), 1e-3, 1.0).numpy() == pytest.approx(2.01)


def _pre_and_post(shape):
    x = tf.constant(RNG.normal(size=shape).astype(np.float32))
    return x, tf.nn.relu(x)


def test_content_gradient_is_eq2():
    # dL/dF_ij = (F - P)_ij if F_ij > 0 else 0, taken through the ReLU.
    x, _ = _pre_and_post((1, 5, 6, 4))
    p = np.abs(RNG.normal(size=(1, 5, 6, 4))).astype(np.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        f = tf.nn.relu(x)
        loss = losses.content_loss(f, p)
    grad = tape.gradient(loss, x).numpy()
    f = f.numpy()
    expected = np.where(f > 0, f - p, 0.0)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)


def test_style_gradient_is_eq6():
    # dE/dF_ij = 1/(N^2 M^2) ((F^T (G - A))^T)_ij if F_ij > 0 else 0.
    shape = (1, 4, 5, 6)
    x, _ = _pre_and_post(shape)
    s = np.abs(RNG.normal(size=shape)).astype(np.float32)
    n, m = shape[-1], shape[1] * shape[2]
    a = _np_gram(s)
    with tf.GradientTape() as tape:
        tape.watch(x)
        f = tf.nn.relu(x)
        loss = losses.layer_style_loss(losses.gram_matrix(f), a[None] / m, float(n), float(m))
    grad = tape.gradient(loss, x).numpy()[0].reshape(-1, n).T  # N x M like the paper
    F = f.numpy()[0].reshape(-1, n).T
    G = F @ F.T
    expected = np.where(F > 0, (F.T @ (G - a)).T / (n ** 2 * m ** 2), 0.0)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-9)


def test_total_variation_matches_numpy():
    x = RNG.uniform(size=(1, 5, 7, 3)).astype(np.float32)
    expected = np.sum(np.diff(x, axis=1) ** 2) + np.sum(np.diff(x, axis=2) ** 2)
    np.testing.assert_allclose(losses.total_variation_loss(x).numpy(), expected, rtol=1e-5)
    assert losses.total_variation_loss(np.ones((1, 4, 4, 3), np.float32)).numpy() == 0.0
