"""Writing files so they appear complete or not at all."""

import contextlib
import errno
import os
import pathlib
import secrets


@contextlib.contextmanager
def atomic_write(path):
    """Yields a binary file; on success it is synced and renamed to `path`.

    The temporary file lives in the destination directory so the final rename
    is atomic, and it is created with mode 0o666 so the umask applies exactly
    as for a plain ``open(path, "wb")``. On any error it is removed.
    """
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def append_line(path, line: str):
    """Appends one line (a record of a log such as a manifest) in a single
    write, flushed to disk, so a crash leaves whole lines only."""
    existed = os.path.exists(path)
    with open(path, "ab") as f:
        size = f.tell()
        try:
            f.write((line.rstrip("\n") + "\n").encode())
            f.flush()
            os.fsync(f.fileno())
        except OSError:
            # No partial line (and no empty file this call created) is left.
            with contextlib.suppress(OSError):
                f.truncate(size)
            if not existed and size == 0:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            raise


def out_of_space(exc: BaseException) -> bool:
    """Whether `exc` is a full disk or an exhausted quota."""
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
