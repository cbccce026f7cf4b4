"""The loss functions of Gatys et al., "Image Style Transfer Using
Convolutional Neural Networks" (CVPR 2016), as pure functions.

Notation: a layer's response F is stored NHWC, i.e. [B, h, w, N] with N
filters and M = h*w positions; the paper's N x M matrix F^l is its transpose.
"""

import tensorflow as tf


def content_loss(features, target):
    """Eq. 1: L_content = 1/2 * sum_ij (F_ij - P_ij)^2."""
    return 0.5 * tf.reduce_sum(tf.square(features - target))


def gram_matrix(features, mask=None):
    """Eq. 3: G_ij = sum_k F_ik F_jk, the filters' inner products ([B, N, N]).

    Unnormalized, as in the paper; `layer_style_loss` does the 1/(N M) scaling.
    With `mask` ([B, h, w, 1] weights in [0, 1]) each position k counts with
    its weight: the guided Gram matrix of Gatys et al. 2017 ("Controlling
    Perceptual Factors", spatial control), restricted to one region.
    """
    shape = tf.shape(features)
    flat = tf.reshape(features, [shape[0], shape[1] * shape[2], shape[3]])
    if mask is not None:
        # sum_k w_k F_ik F_jk is the plain Gram matrix of sqrt(w) * F.
        weights = tf.reshape(tf.cast(mask, features.dtype), [-1, shape[1] * shape[2], 1])
        flat = flat * tf.sqrt(weights)
    return _symmetric_gram(flat)


@tf.custom_gradient
def _symmetric_gram(flat):
    """F^T F of [B, M, N] `flat`, with a gradient of one matmul instead of two.

    Autodiff of matmul(F, F, transpose_a=True) computes F dG^T and F dG as
    two products of M x N x N; since both factors are F, their sum is
    F (dG + dG^T), one product. At 512 px this saves ~7 GFLOP per step,
    about 2 % of the step's work.
    """
    def grad(upstream):
        return tf.matmul(flat, upstream + tf.linalg.matrix_transpose(upstream))

    return tf.matmul(flat, flat, transpose_a=True), grad


def num_positions(features, mask=None):
    """M_l = h * w, as a float tensor; with a [1, h, w, 1] `mask`, the region's
    size (the sum of its weights)."""
    if mask is not None:
        return tf.reduce_sum(tf.cast(mask, features.dtype))
    shape = tf.shape(features)
    return tf.cast(shape[1] * shape[2], features.dtype)


def layer_style_loss(gram, target_per_position, num_filters, positions):
    """Eq. 4: E_l = 1/(4 N_l^2 M_l^2) * sum_ij (G_ij - A_ij)^2.

    Args:
      gram: G of the generated image, [B, N, N].
      target_per_position: A / M_a, the style image's Gram divided by its own
        number of positions. Scaled back by M_l here, this is exactly the
        paper's A when both images have the same size (the paper's setting),
        and stays comparable when they do not.
      num_filters: N_l.
      positions: M_l of the generated image.
    """
    # Divide before squaring: G and A reach ~1e5 at 512 px and their squares
    # summed over N^2 entries would lose precision in float32.
    diff = (gram - positions * target_per_position) / (2.0 * num_filters * positions)
    return tf.reduce_sum(tf.square(diff))


def style_loss(layer_losses, layer_weights):
    """Eq. 5: L_style = sum_l w_l E_l."""
    return tf.add_n([w * e for w, e in zip(layer_weights, layer_losses)])


def total_loss(content, style, content_weight, style_weight):
    """Eq. 7: L_total = alpha * L_content + beta * L_style."""
    return content_weight * content + style_weight * style


def total_variation_loss(image):
    """Sum of squared differences between neighbouring pixels (Mahendran &
    Vedaldi 2015, beta = 2): a smoothness prior against the high-frequency
    noise that the paper notes in its results."""
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return tf.reduce_sum(tf.square(dy)) + tf.reduce_sum(tf.square(dx))
