"""Shared by the benchmarks: paths, the --images folder, child-process set-up,
convolution FLOP counts of a run and a plain `tf.nn.conv2d` roofline to compare with."""

import os
import pathlib
import statistics
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
# The default of --images: the shared folder beside the repository (its
# photos and paintings may not be committed).
SHARED = REPO.parent / "shared" / "images"

# The start and beta the docs' tables were measured with (the defaults before
# --init=auto and --size_independent): white noise, eq. 7's beta as given.
EARLIER_DEFAULTS = dict(init="noise", size_independent=False, style_weight=4e6)
CONTENT, STYLE = "tubingen.jpg", "starry_night.jpg"  # --content / --style defaults, in --images


def add_images_argument(parser, content_style=False):
    """Adds --images (the folder every image is read from) and, with
    `content_style`, --content / --style defaulting to files in that folder."""
    parser.add_argument("--images", type=pathlib.Path, default=SHARED, metavar="DIR",
                        help="folder the images are read from (default: ../shared/images "
                             "beside the repository, %(default)s)")
    if content_style:
        parser.add_argument("--content", default=None,
                            help=f"content image (default: {CONTENT} in the --images folder)")
        parser.add_argument("--style", default=None,
                            help=f"style image (default: {STYLE} in the --images folder)")


def image_paths(parser, args, *names):
    """The paths of `names` (relative to args.images); exits with a one-line
    usage error naming the folder and --images when the folder or a file is missing."""
    folder = args.images
    if not folder.is_dir():
        parser.error(f"--images: no folder {folder}")
    paths = [folder / name for name in names]
    for name, path in zip(names, paths):
        if not path.exists():
            parser.error(f"--images: {folder} has no {name}")
    return paths


def resolve_content_style(parser, args):
    """Fills args.content / args.style (strings) when not given: tubingen.jpg and
    starry_night.jpg in the --images folder. Given ones must exist."""
    for flag, name in (("content", CONTENT), ("style", STYLE)):
        value = getattr(args, flag)
        if value is None:
            value = str(image_paths(parser, args, name)[0])
        elif not pathlib.Path(value).is_file():
            parser.error(f"--{flag}: no file {value}")
        setattr(args, flag, value)
    return args


def median_seconds(fn, repeats):
    """Median wall time of `repeats` calls of `fn`, after one untimed call
    (tracing, warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# Runs its arguments as a child and prints the child's peak RSS (KiB): a
# child forked from a benchmark would count the benchmark's memory as its own.
_PEAK_LAUNCHER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:], "
                  "stdout=subprocess.DEVNULL).returncode; "
                  "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def run_with_peak(command, env=None):
    """(the finished process, its peak memory in GiB) of `command` run in a
    fresh process; its stderr is the process's."""
    import subprocess

    proc = subprocess.run([sys.executable, "-c", _PEAK_LAUNCHER, *command],
                          capture_output=True, text=True, env=env)
    words = proc.stdout.split()
    return proc, int(words[-1]) / 2**20 if words else float("nan")


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


def time_lbfgs_evaluations(size=None):
    """Records the seconds of every loss-and-gradient evaluation scipy's L-BFGS-B
    asks for from now on (only on problems of `size` variables, e.g. a run's
    full-size pass, when given); returns the list it appends to."""
    from scipy import optimize

    seconds, minimize = [], optimize.minimize

    def timed_minimize(fun, x0, **kwargs):
        if size is not None and x0.size != size:
            return minimize(fun, x0, **kwargs)

        def timed(x):
            begin = time.perf_counter()
            out = fun(x)
            seconds.append(time.perf_counter() - begin)
            return out

        return minimize(timed, x0, **kwargs)

    optimize.minimize = timed_minimize
    return seconds
