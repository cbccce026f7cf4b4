"""TensorBoard logging of a run: every loss part at every step, and image snapshots.

    logger = tfstyle.summary.TensorBoardLogger("runs/tubingen", image_every=50)
    tfstyle.stylize(content, style, config, callback=logger)
    logger.close()

Then ``tensorboard --logdir runs`` (installed with tfstyle) shows the curves
under "loss/..." and the images under "image".
"""

import json
import pathlib
from typing import Mapping, Optional

import numpy as np
import tensorflow as tf

from tfstyle.core.errors import ImageError


class TensorBoardLogger:
    """A progress callback writing `tf.summary` events to `logdir`.

    Args:
      logdir: directory for the event files (created if missing).
      image_every: also log the current image every this many steps and at
        the last step; 0 logs only the last.
      settings: written once as text, so the run's settings sit beside its curves.
    """

    def __init__(self, logdir, image_every: int = 0, settings: Optional[Mapping] = None):
        path = pathlib.Path(logdir)
        if path.exists() and not path.is_dir():
            raise ImageError(f"logdir {path} is a file, not a directory")
        try:
            path.mkdir(parents=True, exist_ok=True)
            self.writer = tf.summary.create_file_writer(str(path))
        except (OSError, tf.errors.OpError) as exc:
            raise ImageError(f"cannot write TensorBoard logs to {path}: "
                             f"{getattr(exc, 'strerror', None) or getattr(exc, 'message', exc)}") from None
        self.image_every = max(0, int(image_every))
        self._last = None  # (progress, whether its image was logged)
        if settings:
            with self.writer.as_default(step=0):
                tf.summary.text("settings", "```\n" + json.dumps(settings, indent=2, sort_keys=True)
                                + "\n```")

    def __call__(self, p):
        """Receives a `tfstyle.optim.Progress`."""
        with self.writer.as_default(step=p.step):
            for name, value in p.losses.items():
                tf.summary.scalar(f"loss/{name}", value)
            tf.summary.scalar("seconds_per_step", p.elapsed / max(p.step, 1))
            logged = p.step == p.steps or bool(self.image_every and p.step % self.image_every == 0)
            if logged:
                tf.summary.image("image", np.asarray(p.image, np.float32)[None])
        self._last = (p, logged)

    def close(self):
        # An optimizer that stopped early never reached step == steps: log its last image.
        if self._last is not None and not self._last[1]:
            p = self._last[0]
            with self.writer.as_default(step=p.step):
                tf.summary.image("image", np.asarray(p.image, np.float32)[None])
        self.writer.flush()
        self.writer.close()
