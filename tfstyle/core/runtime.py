"""Process-wide memory settings for large images on the CPU.

A photoreal transfer at 1024 px allocates and frees hundreds of tensors and
arrays of 64-256 MB. By default TensorFlow takes each from the C allocator
and glibc serves each from a fresh `mmap`, so every one is page-faulted and
zeroed by the kernel again: on this project's 2-core VM that was half of a
1024 px `photoreal` call (44.8 s, 23.7 s with pooling; docs/photoreal.md).
`pool_memory` keeps freed memory in the process for reuse instead:

- TensorFlow's CPU tensors come from its BFC pool (`TF_CPU_ALLOCATOR_USE_BFC`,
  read when TensorFlow creates its CPU allocator, so it must be set before
  the first op);
- glibc serves blocks up to 1 GiB from its heap and keeps freed memory
  (`mallopt`), which numpy's arrays use.

The cost: the process keeps its peak memory until it exits. Set
``TFSTYLE_POOL_MEMORY=0`` to leave both allocators as they are.

`import_tensorflow` loads TensorFlow without its start-up chatter (CUDA
probes and oneDNN notices on a CPU machine, written by C++ straight to file
descriptor 2, which TF_CPP_MIN_LOG_LEVEL no longer silences).
"""

import ctypes
import ctypes.util
import os
import sys

# mallopt's parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
_done = False


def pool_memory() -> bool:
    """Applies the settings once per process; returns whether they are on."""
    global _done
    if os.environ.get("TFSTYLE_POOL_MEMORY", "1") == "0":
        return False
    if _done:
        return True
    _done = True
    os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):  # not glibc (macOS, musl): TensorFlow's pool only
        mallopt = None
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, 1 << 30)
        mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
        mallopt(_M_TOP_PAD, 1 << 28)
    return True


def import_tensorflow(verbose: bool = False):
    """Imports TensorFlow and Keras (once) with stderr sent to /dev/null while
    they load, unless `verbose` or ``TFSTYLE_VERBOSE=1``. Called by the
    command line and by tfstyle's public functions before their first network."""
    if "tensorflow" in sys.modules or verbose or os.environ.get("TFSTYLE_VERBOSE") == "1":
        import tensorflow  # noqa: F401

        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    try:
        saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no file descriptor 2 (some embedded interpreters)
        import tensorflow  # noqa: F401

        return
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
        import tensorflow

        tensorflow.zeros(())  # the devices start (and probe for CUDA) at the first op
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
