"""tfstyle.core.runtime: the process's memory pools and quiet TensorFlow."""

import os
import subprocess
import sys

from conftest import REPO
from tfstyle.core import runtime

PROBE = ("import os, tfstyle; tfstyle.transfer; import tensorflow as tf; tf.zeros(()); "
         "print(os.environ.get('TF_CPU_ALLOCATOR_USE_BFC'))")


def _probe(**env):
    base = {k: v for k, v in os.environ.items() if k != "TFSTYLE_POOL_MEMORY"}
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=dict(base, PYTHONPATH=str(REPO), **env), timeout=300)


def test_import_turns_the_pools_on_and_tensorflow_stays_quiet():
    done = _probe()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "true"
    assert done.stderr.strip() == ""  # no CUDA probes, no oneDNN notice


def test_the_pools_can_be_turned_off(monkeypatch):
    done = _probe(TFSTYLE_POOL_MEMORY="0")
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr
    monkeypatch.setenv("TFSTYLE_POOL_MEMORY", "0")
    assert not runtime.pool_memory()
