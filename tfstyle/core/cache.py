"""Where tfstyle keeps what it downloads and converts: Keras' cache root and
tfstyle's folder in it. A module of its own so that the weights routes
(`weights`) and the wheel table (`wheels`) both find the folder without
importing each other."""

import os
import pathlib


def keras_home() -> pathlib.Path:
    """Keras' cache root (``$KERAS_HOME`` or ``~/.keras``), as Keras resolves it."""
    return pathlib.Path(os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras")))


def cache_dir() -> pathlib.Path:
    """Where tfstyle keeps converted weights, computed factors and the fetched wheels."""
    return keras_home() / "tfstyle"
