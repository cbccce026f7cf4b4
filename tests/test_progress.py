"""The progress line's time left: the whole run's, at the pace after the
first (tracing) step."""

import io

from tfstyle.cli.output import ProgressPrinter
from tfstyle.core.progress import Progress


def _line(printer, step, elapsed, work_done=0.0, work_total=0.0, steps=100):
    return printer.line(Progress(step=step, steps=steps, losses={"total": 1.0},
                                 elapsed=elapsed, work_done=work_done, work_total=work_total))


def test_the_first_step_does_not_set_the_estimate(tmp_path):
    printer = ProgressPrinter(io.StringIO(), tmp_path / "out.png", 100)
    # Step 1 took 60 s (tracing); every later step 1 s.
    assert "estimating time left" in _line(printer, 1, 60.0)
    line = _line(printer, 11, 70.0)
    # 89 steps at 1 s, not at the 6.4 s mean so far
    assert "1.00 s/step, 1m29s left" in line


def test_the_estimate_spans_every_pass_by_their_work(tmp_path):
    printer = ProgressPrinter(io.StringIO(), tmp_path / "out.png", 300)
    # Three passes of 100 steps; the last costs 16 times a first-pass step.
    total = 100 * (1 + 4 + 16)
    _line(printer, 1, 30.0, work_done=1, work_total=total, steps=300)
    line = _line(printer, 101, 40.0, work_done=100, work_total=total, steps=300)
    # 99 units of work in 10 s; 2000 left.
    assert f"{round(2000 * 10 / 99) // 60}m" in line and "left" in line
