"""Benchmark ``threadmark import`` of a JSON Lines thread into a new database, end to end.

    python bench/importing.py [--n 100000 1000000] [--smoke]

For each N, bench/datasets.py's synthetic thread is written as JSON Lines (once, cached in
``cache_dir()``), and each of these runs in a fresh process, measured from outside: wall
seconds, the most resident memory the process and its helpers (the shingling child, the
search-index builder) held at once (``bench.figures.HelpersPeak``), and the cores it kept busy
(CPU time / wall):

- ``plain load``: the baseline that always exists: Python reading the same lines with
  ``json.loads`` and loading them with one ``executemany`` into a bare table, one transaction;
- ``threadmark``: ``threadmark import FILE --db NEW.db`` (read, fold, write, FTS, links), and
  its folding scored against the generator's truth (pagination repeats and one author's
  exact repeats; near duplicates are bench/dedup.py's business): pairwise precision and recall;
- ``datasketch``: MinHashLSH deduplicating the same texts (bench/dedup.py's baseline), up to
  DATASKETCH_LIMIT comments; above it, it does not fit (6.5 GB at 200k).

Issue #11's target: at 1M comments, <= 30 s wall, <= 1 GB peak, P/R >= 0.99.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.figures import Figure, HelpersPeak, cache_dir

ROOT = Path(__file__).resolve().parent.parent
DATASKETCH_LIMIT = 200_000
TARGET_N = 1_000_000
TARGET_SECONDS = 30.0
TARGET_MB = 1024.0
TARGET_SCORE = 0.99
PLAIN = "plain load"


@dataclass(frozen=True)
class Run:
    what: str
    n: int
    seconds: float | None  # None: did not run (does not fit)
    peak_mb: float | None = None
    cores: float | None = None
    precision: float | None = None
    recall: float | None = None


def thread_file(n: int) -> Path:
    """The N-comment thread as JSON Lines, built once (under a temporary name) and cached."""
    from bench.datasets import GENERATOR_VERSION, write_jsonl  # here: it loads the store

    path = cache_dir() / f"import-g{GENERATOR_VERSION}-{n}.jsonl"
    if not path.exists():
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        try:
            write_jsonl(partial, n)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return path


def measured(what: str, n: int, source: Path, *rest: str) -> Run:
    """Run one ``--child`` in a fresh process: its wall time, own peak memory and cores used.

    The child reports its peak with its helpers' (VmHWM, which starts again at exec): the
    rusage of a child would count the memory of this process, which forked it.
    """
    command = [sys.executable, __file__, "--child", what, str(source), *rest]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, cwd=ROOT)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise RuntimeError(f"{what} failed: {errors.read().decode(errors='replace')}")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(what, n, seconds, float(output.split()[-1]), cpu / seconds)


def measure(n: int, scratch: Path) -> list[Run]:
    """The plain load, threadmark's import and (where it fits) datasketch, at N comments."""
    source = thread_file(n)
    runs = [measured(PLAIN, n, source)]
    db = scratch / f"import-{n}.db"
    threadmark = measured("threadmark", n, source, str(db))
    precision, recall = fold_scores(source, db)
    runs.append(Run(**{**threadmark.__dict__, "precision": precision, "recall": recall}))
    fits = n <= DATASKETCH_LIMIT
    runs.append(measured("datasketch", n, source) if fits else Run("datasketch", n, None))
    return runs


def fold_scores(source: Path, db_path: Path) -> tuple[float, float]:
    """Pairwise precision and recall of the imported clusters against the generator's truth:
    a repeat of an id is that comment; the same text by the same author folds (not tombstones).
    """
    from bench.dedup import pairwise_scores

    truth, first = [], {}
    with source.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            row = json.loads(line)
            own = first.setdefault(("id", row["id"]), index)
            if own == index and row["text"] != "[deleted]":
                own = first.setdefault(("text", row["author"], row["text"]), index)
            truth.append(own)
    with sqlite3.connect(db_path) as db:
        clusters = [c for (c,) in db.execute("SELECT cluster_id FROM comments ORDER BY position")]
    return pairwise_scores(clusters, truth)


def plain_load(source: Path) -> None:
    """The baseline: the JSON Lines rows into a bare table, one executemany, one transaction."""
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-plain-") as scratch:
        db = sqlite3.connect(Path(scratch) / "plain.db", isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("CREATE TABLE comments (id, parent, author, created, text)")
        db.execute("BEGIN")
        with source.open("rb") as lines:
            db.executemany(
                "INSERT INTO comments VALUES (:id, :parent, :author, :created, :text)",
                map(json.loads, lines),
            )
        db.execute("COMMIT")
        db.close()


def threadmark_import(source: Path, db: str) -> None:
    """``threadmark import FILE --db NEW.db``, as the command runs it."""
    from tui.cli import main

    if main(["import", str(source), "--db", db]) != 0:
        raise SystemExit("threadmark import failed")


def datasketch_dedup(source: Path) -> None:
    from bench.dedup import datasketch_clusters

    with source.open(encoding="utf-8") as lines:
        datasketch_clusters([json.loads(line)["text"] for line in lines])


CHILDREN = {PLAIN: plain_load, "threadmark": threadmark_import, "datasketch": datasketch_dedup}


def figures(n: int) -> list[Figure]:
    """threadmark's import at N against the plain load (and datasketch where it fits)."""
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-import-") as scratch:
        runs = {run.what: run for run in measure(n, Path(scratch))}
    plain, ours, sketch = runs[PLAIN], runs["threadmark"], runs["datasketch"]
    at_target = n >= TARGET_N
    met = ours.seconds <= TARGET_SECONDS and ours.peak_mb <= TARGET_MB and scores_met(ours)
    found = [
        Figure(
            "importing",
            "import + fold of a JSON Lines file",
            n,
            ours.seconds,
            "s",
            PLAIN,
            plain.seconds,
            ours.peak_mb,
            f"<= {TARGET_SECONDS:g} s, <= {TARGET_MB:g} MB, P/R >= {TARGET_SCORE} at 1M",
            met if at_target else None,
        )
    ]
    if sketch.seconds is not None:
        found.append(
            Figure(
                "importing",
                "import + fold against datasketch's dedup alone",
                n,
                ours.seconds,
                "s",
                "datasketch MinHashLSH",
                sketch.seconds,
                ours.peak_mb,
            )
        )
    return found


def scores_met(run: Run) -> bool:
    return min(run.precision, run.recall) >= TARGET_SCORE


def report(runs: list[Run]) -> None:
    header = f"{'what':<12} {'N':>9} {'seconds':>8} {'vs plain':>8} {'peak MB':>8} "
    print(header + f"{'cores':>5} {'precision':>9} {'recall':>6}")
    plain = next(run for run in runs if run.what == PLAIN)
    for run in runs:
        if run.seconds is None:
            print(f"{run.what:<12} {run.n:>9,} does not fit (above {DATASKETCH_LIMIT:,})")
            continue
        scores = f"{run.precision:>9.3f} {run.recall:>6.3f}" if run.precision is not None else ""
        print(
            f"{run.what:<12} {run.n:>9,} {run.seconds:>8.2f} {run.seconds / plain.seconds:>7.1f}x "
            f"{run.peak_mb:>8,.0f} {run.cores:>5.2f} {scores}".rstrip(),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100_000])
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    parser.add_argument("--child", nargs="+", metavar="WHAT FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, source, *rest = args.child
        with HelpersPeak() as helpers:
            CHILDREN[what](Path(source), *rest)
        print(helpers.mb)
        return
    for n in [500] if args.smoke else args.n:
        with tempfile.TemporaryDirectory(prefix="threadmark-bench-import-") as scratch:
            runs = measure(n, Path(scratch))
        report(runs)
        ours = next(run for run in runs if run.what == "threadmark")
        verdict = "PASS" if ours.seconds <= TARGET_SECONDS and ours.peak_mb <= TARGET_MB else "FAIL"
        verdict = verdict if scores_met(ours) else "FAIL"
        print(
            f"target: import of {n:,} in <= {TARGET_SECONDS:g} s, <= {TARGET_MB:g} MB, "
            f"P/R >= {TARGET_SCORE} (set at {TARGET_N:,}): {ours.seconds:.1f} s, "
            f"{ours.peak_mb:,.0f} MB  {verdict if n >= TARGET_N else '(below the target N)'}"
        )


if __name__ == "__main__":
    main()
