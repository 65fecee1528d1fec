"""Several annotators, each in their own process, on one database file (ARCHITECTURE.md, "The
database": WAL, a busy timeout and BEGIN IMMEDIATE).  Every process starts at a barrier, so
they really do write at the same time."""

from __future__ import annotations

import multiprocessing
import sqlite3
import traceback
from collections import Counter
from pathlib import Path

from store import open_database, toggle_tag

TOGGLES = 200
CLUSTERS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)  # the seed's unique comments (#10 is deleted)
TAGS = 9

_CONTEXT = multiprocessing.get_context(
    "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
)


def pairs(annotator_index: int) -> list[tuple[int, int]]:
    """The (cluster, tag) each toggle hits: every pair, then round again (so some untag)."""
    every = [(cluster, tag) for tag in range(1, TAGS + 1) for cluster in CLUSTERS]
    shifted = every[annotator_index * 7 :] + every[: annotator_index * 7]
    return [shifted[i % len(shifted)] for i in range(TOGGLES)]


def report(errors: Path, what: str) -> None:
    with errors.open("a", encoding="utf-8") as out:
        out.write(f"{what}: {traceback.format_exc()}\n")


def annotate(path: str, annotator: str, index: int, barrier, errors: Path) -> None:
    try:
        db = open_database(path)
        barrier.wait(timeout=30)
        for cluster, tag in pairs(index):
            toggle_tag(db, cluster, tag, annotator)
        db.close()
    except BaseException:  # reported to the test, whatever it is
        report(errors, annotator)


def open_new(paths: list[str], barrier, errors: Path) -> None:
    for path in paths:
        try:
            barrier.wait(timeout=30)
            open_database(path).close()
        except BaseException:
            report(errors, path)


def run_all(target, argument_lists, tmp_path: Path) -> str:
    """Run ``target`` in one process per argument list; what they reported, "" if nothing."""
    error_files = [tmp_path / f"errors-{n}.txt" for n in range(len(argument_lists))]
    processes = [
        _CONTEXT.Process(target=target, args=(*args, errors))
        for args, errors in zip(argument_lists, error_files, strict=True)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    reported = "".join(f.read_text("utf-8") for f in error_files if f.exists())
    assert [process.exitcode for process in processes] == [0] * len(processes), reported
    return reported


def expected_annotations(index: int) -> set[tuple[int, int]]:
    """Pairs toggled an odd number of times end up tagged."""
    return {pair for pair, times in Counter(pairs(index)).items() if times % 2}


def expected_actions(index: int) -> list[str]:
    tagged: set[tuple[int, int]] = set()
    actions = []
    for pair in pairs(index):
        actions.append("untag" if pair in tagged else "tag")
        tagged ^= {pair}
    return actions


def test_two_annotators_at_once_lose_nothing(seeded_db: Path):
    annotators = ("alice", "bob")
    barrier = _CONTEXT.Barrier(len(annotators))
    reported = run_all(
        annotate,
        [(str(seeded_db), name, index, barrier) for index, name in enumerate(annotators)],
        seeded_db.parent,
    )
    assert reported == ""

    with sqlite3.connect(seeded_db) as conn:
        per_annotator = dict(
            conn.execute("SELECT annotator, count(*) FROM events GROUP BY annotator").fetchall()
        )
        assert per_annotator == {"alice": TOGGLES, "bob": TOGGLES}
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 2 * TOGGLES
        for index, name in enumerate(annotators):
            tagged = set(
                conn.execute(
                    "SELECT cluster_id, tag_id FROM annotations WHERE annotator = ?", (name,)
                ).fetchall()
            )
            assert tagged == expected_annotations(index)
            actions = [
                row[0]
                for row in conn.execute(
                    "SELECT action FROM events WHERE annotator = ? ORDER BY id", (name,)
                )
            ]
            # Each annotator's journal is exactly their own toggles, in their order.
            assert actions == expected_actions(index)


def test_opening_a_new_database_from_several_processes_at_once(tmp_path):
    """Every process must get the database, and the starter codebook is installed once."""
    processes = 4
    paths = [str(tmp_path / f"new-{n}.db") for n in range(30)]
    barrier = _CONTEXT.Barrier(processes)
    reported = run_all(open_new, [(paths, barrier)] * processes, tmp_path)
    assert reported == ""
    for path in paths:
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM tags").fetchone()[0] == 9
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
