"""Benchmark several annotators writing to one database at once while a reader refreshes.

    python bench/concurrency.py [--writers 2 4 8] [--writes 2000] [--comments 2000]
                                [--poll-ms 5] [--smoke]

For each number of writers W it copies one database holding the benchmarks' synthetic thread
(``bench/datasets.py``, imported through ``store.ingest``) and starts, each in its own process
as threadmark runs for each annotator:

- W writers, each an annotator making ``--writes`` changes through the public store API, one
  transaction each, as fast as it can: tags on whole comments (80%), links (10%) and notes
  (10%), every one new, so that each adds one row and one journal row;
- one reader refreshing as the reader app would: every ``--poll-ms`` it asks
  ``PRAGMA data_version`` whether another connection committed, and if so re-reads a window
  of 40 rows (``store.queries.ThreadView``) and the journal rows it has not seen, in one read
  snapshot.

Once every process has opened the database they start together.  Measured: throughput (all
the writers' changes over the time from the first one's start to the last one's end), each
change's latency (the store call, waiting for the write lock included), the refresh lag (from
a change's call returning in its writer to the end of the reader's refresh that first saw it),
"database is locked" errors in any process (the busy timeout should leave none), and the rows
the writers' annotators have in the database against the changes acknowledged.  The baseline,
in the same run: one writer alone, with the same reader.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from store.annotate import add_link, set_note, toggle_tag
from store.database import open_database, read_snapshot
from store.errors import ThreadmarkError
from store.queries import ThreadView

DEFAULT_WRITERS = (2, 4, 8)
BASELINE_WRITERS = 1
WINDOW_ROWS = 40
TAG_SHARE = 0.8
LINK_SHARE = 0.1  # the rest are notes
SEED = 20240620
READY_TIMEOUT_S = 60.0


def annotator(index: int) -> str:
    return f"writer-{index}"


def clock() -> float:
    """Seconds on the system-wide monotonic clock, so two processes' times compare."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def is_locked(error: Exception) -> bool:
    return "locked" in str(error)


# -- the processes ----------------------------------------------------------------------------


def planned_changes(db: sqlite3.Connection, index: int, writes: int) -> list[tuple]:
    """``writes`` changes for writer ``index``, each adding a row no other change adds: a tag
    on a comment it has not tagged with it, a link between two comments it has not linked,
    a note on a comment it has no note on.  Tombstones are left out (they cannot be tagged)."""
    rng = random.Random(SEED + index)
    comments = [row[0] for row in db.execute("SELECT id FROM clusters WHERE NOT is_tombstone")]
    tag_ids = [row[0] for row in db.execute("SELECT id FROM tags")]
    links = round(writes * LINK_SHARE)
    notes = round(writes * (1 - TAG_SHARE - LINK_SHARE))
    tags = writes - links - notes
    if tags > len(comments) * len(tag_ids) or notes > len(comments):
        raise SystemExit(f"bench: {len(comments)} comments are too few for {writes} writes")
    tagged = rng.sample(range(len(comments) * len(tag_ids)), tags)  # (comment, tag) pairs
    changes = [
        ("tag", comments[pair // len(tag_ids)], tag_ids[pair % len(tag_ids)]) for pair in tagged
    ]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < links:
        source, target = rng.sample(comments, 2)
        pairs.add((source, target))
    changes += [("link", source, target) for source, target in sorted(pairs)]
    changes += [("note", cluster_id, None) for cluster_id in rng.sample(comments, notes)]
    rng.shuffle(changes)
    return changes


def run_writer(db_path: str, index: int, writes: int, result_path: str) -> None:
    """A writer's process: open, say ready, wait for go, make its changes, write its times."""
    db = open_database(db_path)
    name = annotator(index)
    changes = planned_changes(db, index, writes)
    print("ready", flush=True)
    sys.stdin.readline()
    returned: list[float] = []
    latency_ms: list[float] = []
    locked = 0
    start = clock()
    for kind, first, second in changes:
        began = clock()
        try:
            if kind == "tag":
                toggle_tag(db, first, second, name)
            elif kind == "link":
                add_link(db, first, second, "supports", name)
            else:
                set_note(db, first, name, f"{name} on {first}")
        except (sqlite3.OperationalError, ThreadmarkError) as error:
            if not is_locked(error):
                raise
            locked += 1
            continue
        done = clock()
        returned.append(done)
        latency_ms.append((done - began) * 1000)
    result = {"start": start, "end": clock(), "returned": returned, "latency_ms": latency_ms}
    Path(result_path).write_text(json.dumps({**result, "locked": locked}))


def run_reader(db_path: str, poll_s: float, stop_path: str, result_path: str) -> None:
    """The reader's process: refresh on every commit it sees until told to stop, then write
    when it first saw each writer's journal rows."""
    db = open_database(db_path)
    thread_id = db.execute("SELECT min(id) FROM threads").fetchone()[0]
    # Before "ready": once the writers are told to go, their first changes may come at once.
    last_event = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
    print("ready", flush=True)
    sys.stdin.readline()
    seen: dict[str, list[float]] = {}
    version = None
    refreshes = locked = 0
    while True:
        stopping = os.path.exists(stop_path)  # the writers are done: one last refresh
        try:
            current = db.execute("PRAGMA data_version").fetchone()[0]
            if current != version:
                version = current
                with read_snapshot(db):
                    ThreadView(db, thread_id, annotator(1)).window(0, WINDOW_ROWS)
                    new = db.execute(
                        "SELECT id, annotator FROM events WHERE id > ? ORDER BY id", (last_event,)
                    ).fetchall()
                at = clock()
                refreshes += 1
                for _, name in new:
                    seen.setdefault(name, []).append(at)
                if new:
                    last_event = new[-1][0]
        except sqlite3.OperationalError as error:
            if not is_locked(error):
                raise
            locked += 1
        if stopping:
            break
        time.sleep(poll_s)
    result = {"seen": seen, "refreshes": refreshes, "locked": locked}
    Path(result_path).write_text(json.dumps(result))


# -- one measurement --------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    writers: int
    acknowledged: int
    seconds: float
    latency_ms: list[float]
    lag_ms: list[float]
    locked: int
    rows: int
    journal_rows: int
    refreshes: int

    @property
    def throughput(self) -> float:
        return self.acknowledged / self.seconds


def child(*args: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, __file__, "--child", *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def measure(template: Path, writers: int, writes: int, poll_s: float, scratch: Path) -> Measurement:
    """W writers and one reader on a fresh copy of ``template`` (see the module docstring)."""
    db_path = scratch / f"concurrency-{writers}.db"
    shutil.copyfile(template, db_path)
    stop_path = scratch / f"stop-{writers}"
    writer_results = [scratch / f"writer-{writers}-{i}.json" for i in range(1, writers + 1)]
    reader_result = scratch / f"reader-{writers}.json"
    processes = [
        child("writer", db_path, index, writes, result)
        for index, result in enumerate(writer_results, start=1)
    ]
    reader = child("reader", db_path, poll_s, stop_path, reader_result)
    everyone = [*processes, reader]
    for process in everyone:
        if process.stdout.readline() != "ready\n":
            raise SystemExit(f"bench: a child failed to start (exit {process.wait()})")
    for process in everyone:
        process.stdin.write("go\n")
        process.stdin.close()
    for process in processes:
        if process.wait():
            raise SystemExit(f"bench: a writer failed (exit {process.returncode})")
    stop_path.touch()
    if reader.wait():
        raise SystemExit(f"bench: the reader failed (exit {reader.returncode})")
    return _measurement(db_path, writer_results, reader_result)


def _measurement(db_path: Path, writer_results: list[Path], reader_result: Path) -> Measurement:
    results = [json.loads(path.read_text()) for path in writer_results]
    reading = json.loads(reader_result.read_text())
    lag_ms = []
    for index, result in enumerate(results, start=1):
        seen = reading["seen"].get(annotator(index), [])
        if len(seen) != len(result["returned"]):
            raise SystemExit(f"bench: the reader saw {len(seen)} of {annotator(index)}'s changes")
        lag_ms += [(at - done) * 1000 for at, done in zip(seen, result["returned"], strict=True)]
    names = [annotator(index) for index in range(1, len(results) + 1)]
    rows, journal_rows = _rows(db_path, names)
    return Measurement(
        writers=len(results),
        acknowledged=sum(len(result["returned"]) for result in results),
        seconds=max(r["end"] for r in results) - min(r["start"] for r in results),
        latency_ms=[ms for result in results for ms in result["latency_ms"]],
        lag_ms=lag_ms,
        locked=sum(result["locked"] for result in results) + reading["locked"],
        rows=rows,
        journal_rows=journal_rows,
        refreshes=reading["refreshes"],
    )


def _rows(db_path: Path, names: list[str]) -> tuple[int, int]:
    """The tags, links and notes of the writers' annotators, and their journal rows."""
    db = open_database(db_path)
    try:
        marks = ", ".join("?" * len(names))
        (rows,) = db.execute(
            f"SELECT (SELECT count(*) FROM annotations WHERE annotator IN ({marks})) "
            f"+ (SELECT count(*) FROM links WHERE annotator IN ({marks})) "
            f"+ (SELECT count(*) FROM notes WHERE annotator IN ({marks}))",
            names * 3,
        ).fetchone()
        (journal_rows,) = db.execute(
            f"SELECT count(*) FROM events WHERE annotator IN ({marks})", names
        ).fetchone()
    finally:
        db.close()
    return rows, journal_rows


# -- the table --------------------------------------------------------------------------------

COLUMNS = (
    ("writers", 8),
    ("writes/s", 9),
    ("vs 1", 6),
    ("write p50", 10),
    ("p99", 7),
    ("lag p50", 8),
    ("p99", 7),
    ("locked", 7),
    ("rows", 7),
    ("acked", 7),
    ("refreshes", 10),
)


def print_table(results: list[Measurement]) -> None:
    from bench.reader import percentile  # see main

    baseline = next(r for r in results if r.writers == BASELINE_WRITERS)
    print(" ".join(f"{name:>{width}}" for name, width in COLUMNS))
    for result in results:
        cells = (
            f"{result.writers}" + (" (base)" if result is baseline else ""),
            f"{result.throughput:,.0f}",
            f"{result.throughput / baseline.throughput:.2f}x",
            f"{percentile(result.latency_ms, 0.5):.2f}",
            f"{percentile(result.latency_ms, 0.99):.2f}",
            f"{percentile(result.lag_ms, 0.5):.2f}",
            f"{percentile(result.lag_ms, 0.99):.2f}",
            f"{result.locked}",
            f"{result.rows:,}",
            f"{result.acknowledged:,}",
            f"{result.refreshes:,}",
        )
        print(" ".join(f"{cell:>{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True)))
    print(
        "writes/s: all writers' changes over the run; vs 1: against the one writer alone.\n"
        "write (ms): one store call, waiting for the write lock included.\n"
        "lag (ms): from a change's call returning to the end of the reader's refresh that saw "
        "it (the poll interval included).\n"
        "locked: 'database is locked' errors in any process; rows: the writers' tags, links and "
        "notes in the database; acked: the changes whose call returned."
    )


def print_targets(results: list[Measurement]) -> None:
    locked = sum(r.locked for r in results)
    print(f"target: no 'database is locked' error: {locked}  {'PASS' if not locked else 'FAIL'}")
    lost = [r.writers for r in results if not r.rows == r.journal_rows == r.acknowledged]
    verdict = "PASS" if not lost else f"FAIL at {lost} writers"
    print(f"target: every acknowledged change in the database, with its journal row: {verdict}")


# -- for bench/run_all.py ---------------------------------------------------------------------

FIGURES_WRITERS = 4
FIGURES_WRITES = 1_000


def figures(n: int) -> list:
    """Four annotators writing at once on an N-comment thread, against one writing alone."""
    from bench.datasets import GENERATOR_VERSION, build_database, store_thread
    from bench.figures import Figure, cache_dir

    template = cache_dir() / f"concurrency-v{GENERATOR_VERSION}-{n}.db"
    if not template.exists():
        build_database(template, lambda partial: store_thread(partial, n))
    writes = min(FIGURES_WRITES, n)
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-concurrency-") as scratch:
        alone, together = (
            measure(template, writers, writes, 0.005, Path(scratch))
            for writers in (BASELINE_WRITERS, FIGURES_WRITERS)
        )
    kept = together.rows == together.journal_rows == together.acknowledged
    return [
        Figure(
            "concurrency",
            f"{FIGURES_WRITERS} writers: ms per change",
            n,
            together.seconds * 1000 / together.acknowledged,
            "ms",
            "1 writer",
            alone.seconds * 1000 / alone.acknowledged,
        ),
        Figure(
            "concurrency",
            f"{FIGURES_WRITERS} writers: 'locked' errors",
            n,
            together.locked,
            "",
            target="0, every change kept",
            met=together.locked == 0 and kept,
        ),
    ]


# -- the command line -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, nargs="+", default=list(DEFAULT_WRITERS))
    parser.add_argument("--writes", type=int, default=2_000, help="changes per writer")
    parser.add_argument("--comments", type=int, default=2_000, help="comments in the thread")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="the reader's poll interval")
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        role, *rest = args.child
        if role == "writer":
            db_path, index, writes, result = rest
            run_writer(db_path, int(index), int(writes), result)
        else:
            db_path, poll_s, stop_path, result = rest
            run_reader(db_path, float(poll_s), stop_path, result)
        return
    if args.smoke:
        args.writers, args.writes, args.comments = [2], 100, 300
    # Imported here, not at the top: what an import needs (rapidfuzz, the readers) would slow
    # the start of every child this file runs.
    from bench.datasets import store_thread

    counts = sorted({BASELINE_WRITERS, *args.writers})
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"concurrency benchmark: {', '.join(map(str, counts))} writers, {args.writes:,} changes "
        f"each, on a thread of {args.comments:,} comments; the reader polls every "
        f"{args.poll_ms:g} ms"
    )
    print(f"{os.cpu_count()} cores, load average {load}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-concurrency-") as scratch:
        template = Path(scratch) / "thread.db"
        store_thread(template, args.comments)
        for writers in counts:
            result = measure(template, writers, args.writes, args.poll_ms / 1000, Path(scratch))
            print(f"  {writers} writing at once: {result.throughput:,.0f} writes/s", flush=True)
            results.append(result)
    print()
    print_table(results)
    print_targets(results)


if __name__ == "__main__":
    main()
