"""Shared by the benchmarks: paths, child-process set-up, convolution FLOP
counts of a run and a plain `tf.nn.conv2d` roofline to compare with."""

import os
import pathlib
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "images"


def setup_child():
    """A measuring child process: quiet TensorFlow, this checkout's tfstyle."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(REPO))


def conv_shapes(config, height, width):
    """(h, w, c_in, c_out) of every VGG19 conv layer up to the deepest one `config` uses."""
    from tfstyle.core.vgg import LAYER_NAMES
    from tfstyle.core.weights import CONV_LAYERS

    last = max(LAYER_NAMES.index(n) for n in config.layers)
    shapes, h, w, block = [], height, width, "block1"
    for name, cin, cout in CONV_LAYERS[: last + 1]:
        if not name.startswith(block + "_"):
            h, w, block = h // 2, w // 2, name.split("_")[0]
        shapes.append((h, w, cin, cout))
    return shapes


def conv_gflop(config, height, width):
    """Forward conv FLOPs (multiply + add) up to the deepest layer the run uses."""
    return sum(2 * h * w * 9 * cin * cout for h, w, cin, cout in conv_shapes(config, height, width)) / 1e9


def roofline_gflops(config, height, width, repeats=5):
    """GFLOP/s of bare `tf.nn.conv2d` forward + input gradient on the run's layer shapes:
    what the convolutions alone reach on this machine, with nothing else in the step."""
    import tensorflow as tf

    shapes = conv_shapes(config, height, width)
    inputs = [tf.random.uniform((1, h, w, cin)) for h, w, cin, _ in shapes]
    kernels = [tf.random.uniform((3, 3, cin, cout), -0.05, 0.05) for _, _, cin, cout in shapes]

    @tf.function
    def step():
        total = 0.0
        for x, k in zip(inputs, kernels):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.nn.conv2d(x, k, 1, "SAME")
            # The output itself as the upstream gradient, so the forward conv must run.
            total += tf.reduce_sum(tape.gradient(y, x, output_gradients=y)[:, :1, :1])
        return total

    step().numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        step().numpy()
    seconds = (time.perf_counter() - start) / repeats
    return 2 * conv_gflop(config, height, width) / seconds
