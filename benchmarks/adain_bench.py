"""AdaIN speed benchmark (issue 5): seconds per image against a conv2d roofline.

Measures, in one process on this machine:
  * a 512 x 512 content with a 512 x 512 style, style encoding included
    (`AdaIN.stylize` on in-memory images);
  * the same with the style's statistics cached (`StyleStats`);
  * 256 x 256 images in batches (`AdaIN.stylize_tensor`), images per second;
and for each the time bare `tf.nn.conv2d` forward passes over the same conv
shapes take (the roofline: convolutions alone, nothing else), so the ratio
shows what the rest costs. Content and style: Tübingen x The Starry Night from
the --images folder (default ../shared/images). Decoder weights do not change
the speed; a random decoder is used unless --model is given. Run nothing else
meanwhile.

    python benchmarks/adain_bench.py [--repeats=5] [--batch=8] [--model=m.weights.h5] [--images=DIR]
"""

import argparse
import pathlib
import platform
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import (CONTENT, STYLE, add_images_argument, image_paths,  # noqa: E402
                    median_seconds, setup_child)


def conv_shapes(height, width, what):
    """(h, w, c_in, c_out) of the 3x3 convs of the encoder or the decoder,
    for an image (encoder) or an output (decoder) of height x width."""
    from tfstyle.adain.model import DECODER_CONVS, ENCODER_CONVS

    shapes = []
    if what == "encoder":
        h, w, block = height, width, "block1"
        for name, cin, cout in ENCODER_CONVS:
            if not name.startswith(block + "_"):
                h, w, block = -(-h // 2), -(-w // 2), name.split("_")[0]
            shapes.append((h, w, cin, cout))
    else:
        h, w = height // 8, width // 8
        for item in DECODER_CONVS:
            if item == "up":
                h, w = 2 * h, 2 * w
            else:
                shapes.append((h, w, item[1], item[2]))
    return shapes


def gflop(shapes, batch=1):
    return sum(2 * 9 * h * w * cin * cout for h, w, cin, cout in shapes) * batch / 1e9


def roofline_seconds(shapes, batch, repeats):
    """Median time of bare forward `tf.nn.conv2d` over `shapes`."""
    import tensorflow as tf

    inputs = [tf.random.uniform((batch, h, w, cin)) for h, w, cin, _ in shapes]
    kernels = [tf.random.uniform((3, 3, cin, cout), -0.05, 0.05) for _, _, cin, cout in shapes]

    @tf.function
    def run():
        return tf.add_n([tf.reduce_sum(tf.nn.conv2d(x, k, 1, "SAME")[:, :1, :1])
                         for x, k in zip(inputs, kernels)])

    return median_seconds(lambda: run().numpy(), repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--model", default=None, help="a .weights.h5 AdaIN model (default: random decoder)")
    add_images_argument(parser)
    args = parser.parse_args()
    content_path, style_path = image_paths(parser, args, CONTENT, STYLE)
    setup_child()
    import numpy as np
    import tensorflow as tf

    import tfstyle
    from tfstyle import adain
    from tfstyle.core import vgg
    from tfstyle.core.image import resize

    if args.model:
        model = adain.load_model(args.model)
    else:
        weights = tfstyle.find_vgg19_weights()
        model = adain.AdaIN(adain.imagenet_encoder_weights(
            weights, vgg.normalization_factors(weights, "max")))
    content = resize(tfstyle.load_image(content_path), (512, 512))
    style = resize(tfstyle.load_image(style_path), (512, 512))
    enc, dec = conv_shapes(512, 512, "encoder"), conv_shapes(512, 512, "decoder")
    stats = model.style_stats(style, None)

    rows = []
    seconds = median_seconds(lambda: model.stylize(content, style, size=None, style_size=None),
                             args.repeats)
    roof = roofline_seconds(enc + enc + dec, 1, args.repeats)
    rows.append(("512 px, style encoded", seconds, roof, gflop(enc + enc + dec), 1))
    seconds = median_seconds(lambda: model.stylize(content, stats, size=None), args.repeats)
    roof = roofline_seconds(enc + dec, 1, args.repeats)
    rows.append(("512 px, style cached", seconds, roof, gflop(enc + dec), 1))
    small = tf.constant(np.stack([resize(content, (256, 256))] * args.batch))
    run = tf.function(lambda x: model.stylize_tensor(x, stats))
    seconds = median_seconds(lambda: run(small).numpy(), args.repeats)
    enc2, dec2 = conv_shapes(256, 256, "encoder"), conv_shapes(256, 256, "decoder")
    roof = roofline_seconds(enc2 + dec2, args.batch, args.repeats)
    rows.append((f"256 px, batches of {args.batch}, style cached", seconds, roof,
                 gflop(enc2 + dec2, args.batch), args.batch))

    print(f"machine: {platform.processor() or platform.machine()}, "
          f"{len(__import__('os').sched_getaffinity(0))} cores; TF {tf.__version__}; "
          f"median of {args.repeats}")
    print("| case | conv GFLOP | s per call | images/s | roofline s | x roofline | GFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for name, seconds, roof, work, count in rows:
        print(f"| {name} | {work:.0f} | {seconds:.3f} | {count / seconds:.2f} | {roof:.3f} | "
              f"{seconds / roof:.2f} | {work / seconds:.0f} |")


if __name__ == "__main__":
    main()
