"""The one progress type every long run reports through its callback:
optimizations (Gatys' passes, tiles, grid cells, seed batches) and trainings."""

import dataclasses
from typing import Callable, Mapping, Optional, Tuple

import numpy as np


@dataclasses.dataclass(frozen=True)
class Progress:
    """What a progress callback receives after each step."""
    step: int                      # steps done so far (1-based; a resumed training counts its earlier ones)
    steps: int                     # steps planned in all
    losses: Mapping[str, float]    # loss parts at this step ("total", "content", "style", ...)
    elapsed: float                 # seconds since this run started
    image: Optional[np.ndarray] = None  # current image, float32 [H, W, 3] in [0, 1] (a batch: [B, H, W, 3])
    first_step: int = 0            # the step this run started from (0 unless resumed)
    # Work (pixels x steps) done and planned, when steps differ in cost
    # (coarse-to-fine passes); 0: every step costs the same.
    work_done: float = 0.0
    work_total: float = 0.0

    @property
    def seconds_per_step(self) -> float:
        return self.elapsed / max(self.step - self.first_step, 1)

    @property
    def work(self) -> Tuple[float, float]:
        """(done, planned): pixel-steps when the steps' work is known, else steps."""
        if self.work_done > 0 and self.work_total > 0:
            return self.work_done, self.work_total
        return float(self.step), float(self.steps)

    @property
    def eta(self) -> float:
        """Seconds left: at the measured cost per unit of work (pixel-step)
        when the steps' work is known, else at the mean pace so far."""
        if self.work_done > 0 and self.work_total > 0:
            return self.elapsed / self.work_done * max(self.work_total - self.work_done, 0.0)
        return self.seconds_per_step * (self.steps - self.step)


Callback = Optional[Callable[[Progress], None]]
