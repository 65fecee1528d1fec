"""The benchmarks run end to end on a tiny input, so they cannot rot between full runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_reader_bench_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "reader.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "round trip p50" in result.stdout
    assert re.search(r"^ +2,000 +yes ", result.stdout, re.MULTILINE), result.stdout
    assert "target: key-to-commit p99" in result.stdout


def test_dedup_bench_smoke() -> None:
    pytest.importorskip("datasketch")
    result = subprocess.run(
        [sys.executable, str(BENCH / "dedup.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for method in ("datasketch", "fold"):
        assert re.search(rf"^ +300 +{method} ", result.stdout, re.MULTILINE), result.stdout
    assert "peak MB" in result.stdout


def test_segments_bench_smoke() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "segments.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "sentences/s" in result.stdout
    assert re.search(r"^long +5,000 +5 ", result.stdout, re.MULTILINE), result.stdout
    assert "long / short (p50)" in result.stdout
