"""The benchmarks' own figures: memory (bench.figures.HelpersPeak), where helpers that run at
the same time are added together and helpers that run one after the other are not; and the
first paint (bench.reader.time_to_paint), where the screen is finished at its last change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELD_MB = 200
# A helper that holds HELD_MB of memory (every page written) for several samples.
HOLD = f"import time; held = b'x' * ({HELD_MB} * 2**20); time.sleep(0.8)"
MEASURE = f"""
import subprocess, sys
sys.path.insert(0, {str(ROOT)!r})
from bench.figures import HelpersPeak, own_peak_mb

def peak(together):
    with HelpersPeak() as helpers:
        children = [subprocess.Popen([sys.executable, "-c", {HOLD!r}])]
        if not together:
            children[0].wait()
        children.append(subprocess.Popen([sys.executable, "-c", {HOLD!r}]))
        for child in children:
            assert child.wait() == 0
    return helpers.mb

print(own_peak_mb(), peak(together=False), peak(together=True))
"""


def test_helpers_alive_together_are_added_and_helpers_one_after_the_other_are_not() -> None:
    result = subprocess.run(
        [sys.executable, "-c", MEASURE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    own, one_after_the_other, together = map(float, result.stdout.split())
    assert own + HELD_MB <= one_after_the_other < own + 1.5 * HELD_MB
    assert together >= own + 2 * HELD_MB


# Draws its text, then a line more, then the same line again: the screen last changes with
# the second write.
DRAWS_IN_THREE_WRITES = """
import sys, time
def write(text):
    sys.stdout.write(text)
    sys.stdout.flush()
write("\\x1b[2J\\x1b[1;1Hthe first text")
time.sleep(0.3)
write("\\x1b[2;1Hthe rest")
time.sleep(0.5)
write("\\x1b[2;1Hthe rest")
time.sleep(30)
"""


def test_the_first_screen_is_finished_at_its_last_change_not_its_last_write():
    sys.path.insert(0, str(ROOT))
    from bench.reader import FINISHED_QUIET_S, time_to_paint

    paint = time_to_paint(
        [sys.executable, "-c", DRAWS_IN_THREE_WRITES], "the first text", {"TERM": "xterm"}
    )
    assert 0.25 <= paint.finished_s - paint.text_s < 0.3 + FINISHED_QUIET_S / 2
