"""The benchmarks run end to end on a tiny input, so they cannot rot between full runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def smoke(benchmark: str) -> str:
    """What ``bench/<benchmark> --smoke`` prints, once it has exited cleanly."""
    result = subprocess.run(
        [sys.executable, str(BENCH / benchmark), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_reader_bench_smoke() -> None:
    out = smoke("reader.py")
    assert "round trip p50" in out and "finished s" in out
    assert re.search(r"^ +2,000 +yes ", out, re.MULTILINE), out
    assert "target: key-to-commit p99" in out


def test_dedup_bench_smoke() -> None:
    pytest.importorskip("datasketch")
    out = smoke("dedup.py")
    for method in ("datasketch", "fold"):
        assert re.search(rf"^ +300 +{method} ", out, re.MULTILINE), out
    assert "peak MB" in out


def test_segments_bench_smoke() -> None:
    out = smoke("segments.py")
    assert "sentences/s" in out
    assert re.search(r"^long +5,000 +5 ", out, re.MULTILINE), out
    assert "long / short (p50)" in out


def test_suggest_bench_smoke() -> None:
    out = smoke("suggest.py")
    assert re.search(
        r"^data set +comments +replies +ranking +top-1 +top-3 +top-10 +MRR$", out, re.M
    )
    for data_set in ("quiet forum", "lively thread", "busy thread", "reddit_thread.json"):
        assert re.search(rf"^{re.escape(data_set)} +[\d,]+ +[\d,]+ +today ", out, re.M), out
    data_sets = len(re.findall(r"^\S.* today +[\d.]+% +[\d.]+% +[\d.]+% +[\d.]+$", out, re.M))
    assert data_sets >= 4
    for ranking in ("nearest", "ranked"):
        scores = re.findall(rf"^ +{ranking} +[\d.]+% +[\d.]+% +[\d.]+% +[\d.]+$", out, re.M)
        assert len(scores) == data_sets
    assert re.search(r"^target: ranked top-3 >= 40% and no measure below nearest: ", out, re.M)
    for ranking in ("today", "ranked"):
        assert re.search(rf"^ +300 +{ranking} +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$", out, re.M)


def test_export_bench_smoke() -> None:
    out = smoke("export.py")
    assert re.search(r"^format +N +seconds +vs dump +peak MB +output MB +peak growth$", out, re.M)
    for what in ("select-csv", "csv", "json"):
        assert re.search(rf"^{what} +2,000 +[\d.]+ +[\d.]+x +\d+ +[\d.]+ +[\d.]+x$", out, re.M), out
    assert re.search(r"^target: csv within 2x of select-csv: ", out, re.M)
    assert re.search(r"^target: json peak memory flat from 500 to 2,000 comments ", out, re.M)


def test_concurrency_bench_smoke() -> None:
    out = smoke("concurrency.py")
    assert re.search(
        r"^ +writers +writes/s +vs 1 +write p50 +p99 +lag p50 +p99 +locked ", out, re.M
    )
    numbers = r" +[\d,]+ +[\d.]+x +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+"
    # No "database is locked", and as many rows in the file as changes acknowledged (100 a writer).
    for writers, changes in ((r"1 \(base\)", 100), (r" +2", 200)):
        assert re.search(rf"^{writers}{numbers} +0 +{changes} +{changes} +\d+$", out, re.M), out
    assert "target: no 'database is locked' error: 0  PASS" in out
    assert "target: every acknowledged change in the database, with its journal row: PASS" in out


def test_run_all_smoke(tmp_path: Path) -> None:
    """Every benchmark reports figures to run_all at a tiny N, and the tables are printed."""
    result = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--smoke", "--json", str(tmp_path / "f.json")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "THREADMARK_BENCH_CACHE": str(tmp_path / "cache")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| benchmark | what | N | threadmark | baseline | ratio |" in result.stdout
    figures = json.loads((tmp_path / "f.json").read_text())
    benchmarks = {"importing", "dedup", "reader", "moves", "search", "export", "concurrency"}
    assert {figure["benchmark"] for figure in figures} == benchmarks
    for figure in figures:
        assert figure["n"] > 0 and figure["value"] >= 0, figure
        row = f"| {figure['benchmark']} | {figure['what']} | {figure['n']:,} |"
        assert row in result.stdout


def test_moves_bench_smoke() -> None:
    out = smoke("moves.py")
    assert re.search(
        r"^ +N +key +reader p50 ms +p90 +frames +bare p50 ms +frames +ratio$", out, re.M
    )
    for n in ("11", "2,000"):
        for key in ("j", "k", "PgDn", "G", "g", "20j"):
            cells = r" +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$"
            assert re.search(rf"^ +{n} +{key}{cells}", out, re.M), out
    assert re.search(r"^target: one frame per key at 2,000: \d+-\d+ frames ", out, re.M)
