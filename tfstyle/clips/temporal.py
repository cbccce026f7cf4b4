"""Temporal consistency for one-pass methods: each new stylized frame is
blended with the previous *output*, warped by the optical flow of the
*input* frames, where that warp can be trusted.

The blend weight at a pixel is temporal_weight x M x c: M is 0 where the
flow is unreliable (occlusions and motion boundaries, `core.flow.reliable`),
c = exp(-|I_t - warp(I_{t-1})|^2 / (2 s^2)) is small where the warped input
itself does not match the new input (a wrong flow, a light change), so a
moving object is never painted with what was behind it. Along a reliable
trajectory the output is an exponential moving average of the per-frame
stylizations: flicker is averaged out while the content moves with the
flow. The style statistics themselves are computed once per clip by the
recipes (a style vector, WCT statistics, encoded styles).
"""

import collections

import numpy as np

# s of the input-agreement term c, in [0, 1] intensity units (RGB norm).
AGREEMENT_SCALE = 0.1
# Finished frames remembered (input, output): Gatys' long-term term reaches
# back to t - 4 (Ruder et al.'s J = {1, 2, 4}).
HISTORY = 4


class Blend:
    """out_t = (1 - a) stylize(I_t) + a warp(out_{t-1}), a = weight M c."""

    def __init__(self, weight: float, preset: str = "medium"):
        from tfstyle.core.flow import Flow

        self.weight, self.flow = weight, Flow(preset)
        self.history = collections.deque(maxlen=HISTORY)  # (input, output), oldest first

    @property
    def previous_output(self):
        return self.history[-1][1] if self.history else None

    def start_from(self, frame: np.ndarray, output: np.ndarray):
        """Continue after a finished frame (a resumed run); call it for each
        of the last `HISTORY` finished frames, oldest first."""
        self.history.append((frame, output))

    def earlier(self, frame: np.ndarray, shape, gap: int):
        """(the output `gap` frames back warped onto `frame`'s grid at
        `shape`, the flow's reliability M), or None if there is no such frame."""
        if gap > len(self.history) or self.history[-gap][1].shape[:2] != tuple(shape):
            return None
        return self._look_back(frame, shape, gap, agreement=False)

    def previous(self, frame: np.ndarray, shape):
        """(the previous output warped onto `frame`'s grid at `shape`, the
        flow's reliability M, the warped input's agreement c), or None for
        the first frame."""
        return self._look_back(frame, shape, 1, agreement=True) if self.history else None

    def _look_back(self, frame: np.ndarray, shape, gap: int, agreement: bool):
        """(warped output, M) of the frame `gap` back, by the flows between
        its input and `frame`'s, and with `agreement` c."""
        from tfstyle.core.flow import reliable, warp

        current = at_size(frame, shape)
        before, output = self.history[-gap]
        backward, forward = self.flow(current, before), self.flow(before, current)
        looked = warp(output, backward), reliable(backward, forward)
        if not agreement:
            return looked
        agree = np.exp(-((current - warp(before, backward)) ** 2).sum(-1)
                       / (2 * AGREEMENT_SCALE ** 2))
        return (*looked, agree)

    def keep(self, frame: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Remembers `out` as the output of `frame`; returns it."""
        self.history.append((at_size(frame, out.shape[:2]), out))
        return out

    def __call__(self, frame: np.ndarray, stylized: np.ndarray) -> np.ndarray:
        out = stylized
        previous = self.previous(frame, stylized.shape[:2]) if self.weight > 0 else None
        if previous is not None:
            warped, trust, agree = previous
            a = (self.weight * trust * agree)[..., None]
            out = np.clip((1 - a) * stylized + a * warped, 0.0, 1.0).astype(np.float32)
        return self.keep(frame, out)


def at_size(frame: np.ndarray, shape) -> np.ndarray:
    """`frame` resized to `shape` (height, width), or itself if it has it."""
    from tfstyle.core.image import resize

    return frame if frame.shape[:2] == tuple(shape) else resize(frame, tuple(shape))
