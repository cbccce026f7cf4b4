"""Writing files so they appear complete or not at all."""

import contextlib
import os
import pathlib
import tempfile


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path):
    """Yields a binary file; on success it is renamed to `path`, else removed.

    The temporary file lives in the destination directory so the final rename
    is atomic, and gets the permissions a plain ``open(path, "wb")`` would.
    """
    path = pathlib.Path(path)
    parent = path.parent if str(path.parent) else pathlib.Path(".")
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
