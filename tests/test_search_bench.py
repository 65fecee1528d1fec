"""bench/search.py runs end to end on a tiny thread, so it cannot rot between full runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "search.py"


def test_search_bench_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--smoke"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for what in (
        "filter untagged, cold: key to first page",
        "search “copyright”, warm: key to count",
    ):
        assert re.search(rf"^ +2,000 {re.escape(what)} +[\d.]+ ", out, re.M), out
    assert re.search(r"^ +500 filter menu, cold: f to counts +[\d.]+", out, re.M), out
