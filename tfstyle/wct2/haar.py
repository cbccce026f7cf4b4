"""Haar wavelet pooling and unpooling (Yoo et al., ICCV 2019, sec. 3.1).

Pooling splits every 2x2 block of a [B, H, W, C] map into four orthonormal
components: LL (a smoothed copy, the one the encoder goes on with) and LH,
HL, HH (horizontal, vertical and diagonal detail, which skip to the decoder).
Unpooling is the exact inverse, so a decoder given the encoder's own detail
components loses none of it. With a, b / c, d the block's top and bottom rows:

    LL = ( a + b + c + d) / 2     LH = (-a + b - c + d) / 2
    HL = (-a - b + c + d) / 2     HH = ( a - b - c + d) / 2

(the filters L^T L, L^T H, H^T L, H^T H of L = [1, 1]/sqrt 2, H = [-1, 1]/sqrt 2,
as the official release's fixed convolutions). Sides must be even.
"""

import keras
import tensorflow as tf


def haar_pool(x):
    """[B, H, W, C] -> (LL, LH, HL, HH), each [B, H/2, W/2, C]."""
    a, b = x[:, 0::2, 0::2], x[:, 0::2, 1::2]
    c, d = x[:, 1::2, 0::2], x[:, 1::2, 1::2]
    return ((a + b + c + d) * 0.5, (-a + b - c + d) * 0.5,
            (-a - b + c + d) * 0.5, (a - b - c + d) * 0.5)


def haar_unpool(ll, lh, hl, hh):
    """The inverse of `haar_pool`: four [B, h, w, C] maps -> [B, 2h, 2w, C]."""
    a = (ll - lh - hl + hh) * 0.5
    b = (ll + lh - hl - hh) * 0.5
    c = (ll - lh + hl - hh) * 0.5
    d = (ll + lh + hl + hh) * 0.5
    # depth_to_space lays channel groups (a, b, c, d) out as each 2x2 block.
    return tf.nn.depth_to_space(tf.concat([a, b, c, d], axis=-1), 2)


class HaarPool(keras.layers.Layer):
    """Fixed (weightless) Haar pooling: x -> [LL, LH, HL, HH]."""

    def call(self, x):
        return list(haar_pool(x))


class HaarUnpool(keras.layers.Layer):
    """Fixed Haar unpooling for the decoder.

    'sum': the four components put back together, ``haar_unpool`` (the same
    number of channels). 'cat5': each component unpooled on its own (the
    others zero) and concatenated with the encoder's pre-pool feature map,
    five times the channels, for a conv to combine.
    """

    def __init__(self, mode: str = "sum", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("sum", "cat5"):
            raise ValueError(f"mode must be 'sum' or 'cat5', got {mode!r}")
        self.mode = mode

    def call(self, ll, lh, hl, hh, original=None):
        if self.mode == "sum":
            return haar_unpool(ll, lh, hl, hh)
        return tf.concat(self.parts(ll, lh, hl, hh, original), axis=-1)

    @staticmethod
    def parts(ll, lh, hl, hh, original):
        """'cat5''s five channel groups, in the concatenation's order, not
        concatenated. A component unpooled alone is itself, halved, with a
        sign per position of each 2x2 block (read off `haar_unpool`'s a, b, c,
        d): one broadcast product, with no zeros to add."""
        def alone(component, signs):
            pattern = tf.constant(signs, component.dtype, shape=(1, 1, 2, 1, 2, 1)) * 0.5
            shape = tf.shape(component)
            return tf.reshape(component[:, :, None, :, None, :] * pattern,
                              [shape[0], 2 * shape[1], 2 * shape[2], component.shape[-1]])

        return [alone(ll, (1, 1, 1, 1)), alone(lh, (-1, 1, -1, 1)), alone(hl, (-1, -1, 1, 1)),
                alone(hh, (1, -1, -1, 1)), original]

    def get_config(self):
        return dict(super().get_config(), mode=self.mode)
