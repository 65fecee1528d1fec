"""Benchmark what checking a database's integrity costs an open: is quick_check affordable?

    python bench/integrity.py [--sizes 2000 10000 100000 1000000] [--repeats 7]

For each N it builds (once; cached in the temp directory by N and schema version) a database
holding the benchmarks' synthetic thread of N comments (``bench/datasets.py``), imported through
the public store API (``store.ingest`` of a JSON Lines file, folded at every size), then times:

- open: ``open_database`` as the reader calls it, with the at-open quick_check turned off;
- quick_check: ``store.database.check_integrity`` (``PRAGMA quick_check``) on that connection;
- both again "cold", with the file's pages dropped from the page cache first (as after a
  reboot), by ``posix_fadvise(DONTNEED)`` on this one file;
- as shipped: ``open_database`` with its own rule (quick_check up to QUICK_CHECK_MAX_BYTES).

Times are medians of ``--repeats`` (cold ones of at most 3).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.datasets import GENERATOR_VERSION, build_database, store_thread
from store import database
from store.database import SCHEMA_VERSION, check_integrity, expected_schema, open_database

CACHE_DIR = Path(tempfile.gettempdir()) / "threadmark-bench-integrity"
COLD_REPEATS = 3


def database_for(n: int) -> Path:
    """The database with the N-comment thread, built unless an earlier run left it cached."""
    path = CACHE_DIR / f"integrity-s{SCHEMA_VERSION}-g{GENERATOR_VERSION}-{n}.db"
    if not path.exists():
        seconds = build_database(  # folded at every size, as any import is
            path, lambda partial: store_thread(partial, n, fold_limit=math.inf)
        )
        print(f"built {path} in {seconds:.0f} s", file=sys.stderr)
    return path


def drop_from_page_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def median_ms(action: Callable[[], None], repeats: int, *, cold_path: Path | None = None) -> float:
    """Median wall time of ``action`` in ms; with ``cold_path``, that file is evicted first."""
    times = []
    for _ in range(repeats):
        if cold_path is not None:
            drop_from_page_cache(cold_path)
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def plain_open(path: Path):
    with mock.patch.object(database, "QUICK_CHECK_MAX_BYTES", -1):
        return open_database(path)


def measure(path: Path, repeats: int) -> dict[str, float]:
    def open_and_close(opener: Callable[[Path], object]) -> Callable[[], None]:
        return lambda: opener(path).close()

    db = plain_open(path)
    try:
        check = median_ms(lambda: check_integrity(db, path), repeats)
    finally:
        db.close()
    cold_check_times = []
    for _ in range(min(repeats, COLD_REPEATS)):
        db = plain_open(path)
        try:
            cold_check_times.append(
                median_ms(lambda db=db: check_integrity(db, path), 1, cold_path=path)
            )
        finally:
            db.close()
    return {
        "mb": path.stat().st_size / 2**20,
        "open": median_ms(open_and_close(plain_open), repeats),
        "check": check,
        "cold_open": median_ms(
            open_and_close(plain_open), min(repeats, COLD_REPEATS), cold_path=path
        ),
        "cold_check": statistics.median(cold_check_times),
        "shipped": median_ms(open_and_close(open_database), repeats),
    }


def print_table(results: dict[int, dict[str, float]]) -> None:
    print(
        f"{'N':>10} {'db MB':>8} {'open ms':>8} {'check ms':>9} {'ratio':>7} "
        f"{'cold open':>10} {'cold check':>11} {'MB/s cold':>10} {'shipped ms':>11} checked"
    )
    for n, row in results.items():
        ratio = (row["open"] + row["check"]) / row["open"]
        checked = "yes" if row["mb"] * 2**20 <= database.QUICK_CHECK_MAX_BYTES else "no"
        print(
            f"{n:>10,} {row['mb']:>8.1f} {row['open']:>8.2f} {row['check']:>9.1f} "
            f"{ratio:>6.0f}x {row['cold_open']:>10.1f} {row['cold_check']:>11.0f} "
            f"{row['mb'] / row['cold_check'] * 1000:>10.0f} {row['shipped']:>11.2f} {checked}"
        )
    print(
        "ratio: (open + quick_check) / open, warm.  shipped: open_database as it is, "
        f"quick_check up to {database.QUICK_CHECK_MAX_BYTES / 2**20:g} MB."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    start = time.perf_counter()
    expected_schema(SCHEMA_VERSION)
    schema_ms = (time.perf_counter() - start) * 1000
    results = {n: measure(database_for(n), args.repeats) for n in args.sizes}
    print_table(results)
    print(f"deriving the expected schema (once a process): {schema_ms:.1f} ms")


if __name__ == "__main__":
    main()
