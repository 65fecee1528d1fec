"""A long table written on both cores: this process writes the first half of the comments while
a helper process writes the second, both from one state of the file.

At a million comments a table export spends its time turning SQLite's rows into Python objects
and text, on one core.  The comments are split near the middle id (this process takes a few
more, as the helper starts later): this process writes the ids up to it to the output, the
helper writes the rest to a scratch file, and the scratch file is appended.  The two halves
are read by two connections, which must see the same rows although other annotators may write
meanwhile; so a third connection holds the write lock (``BEGIN IMMEDIATE``) from before the
first of them reads until the helper says its read has begun, and no commit can fall between
the two.  Other writers wait out that moment (the helper's start, about 0.1 s) as they wait for
any writer.

Where the helper cannot be used (a table too short to be worth starting it, a database in
memory or opened read-only, a write lock someone else holds, a helper that fails or is slow to
start), this process writes the rest itself, from the same state of the file.  A failed or
cancelled export stops the helper; one killed outright leaves it to finish and exit alone.

Run as ``python -m store.exporters.halves DATABASE JOB``, it is the helper: JOB (JSON) names
the rows writer (``module:function``), the thread, the annotator, the first id and the scratch
file, and the helper prints ``ready`` once its read has begun.
"""

from __future__ import annotations

import importlib
import json
import selectors
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from store.exporters.options import ExportOptions

# (db, out, thread_id, options, ids): a table's rows without its header, only those of the
# comments with ids low..high when ``ids`` is (low, high).
RowsWriter = Callable[
    [sqlite3.Connection, BinaryIO, int | None, ExportOptions, tuple[int, int] | None], None
]

# Below this many comments one process writes the table: starting the helper (some 0.1 s, the
# write lock held meanwhile) would cost more than it saves.
HELPER_MIN_COMMENTS = 50_000
# About as many comments as this process writes while the helper starts (0.1 s): its share.
HELPER_START_COMMENTS = 20_000
LOWEST_ID, HIGHEST_ID = 0, 2**63 - 1
# How long to wait for the lock, then for the helper's read: past either, this process writes
# the whole table, as it would have without a helper.  Other writers wait as long as the
# helper's start takes, so that is short too (a start takes 0.1 s on an idle machine).
LOCK_WAIT_SECONDS = 0.25
HELPER_START_SECONDS = 2.0
READY = b"ready\n"
COPY_CHUNK = 1 << 20


def write_in_halves(
    db: sqlite3.Connection,
    out: BinaryIO,
    thread_id: int | None,
    options: ExportOptions,
    write_rows: RowsWriter,
) -> None:
    """Every row of the table ``write_rows`` writes, in id order, the second half of them by
    the helper where that is worth it and possible."""
    middle = _middle_id(db, thread_id)
    path = _database_file(db)
    lock = None if middle is None or path is None else _write_lock(path)
    if lock is None:
        write_rows(db, out, thread_id, options, None)
        return
    with tempfile.TemporaryDirectory(prefix="threadmark-export-") as scratch_dir:
        scratch = Path(scratch_dir) / "rest"
        reader = handover = None
        try:
            reader = _reader(path)
            _begin_read(reader)
            try:
                helper = _start_helper(path, write_rows, thread_id, options, middle + 1, scratch)
            except OSError:  # no interpreter to start: this process writes it all
                lock.execute("ROLLBACK")
                write_rows(reader, out, thread_id, options, None)
                return
            handover = _Handover(helper, lock)
            handover.start()
            write_rows(reader, out, thread_id, options, (LOWEST_ID, middle))
            handover.join()
            if handover.ready and helper.wait() == 0:
                with scratch.open("rb") as rest:
                    shutil.copyfileobj(rest, out, COPY_CHUNK)
            else:
                _stop(helper)
                write_rows(reader, out, thread_id, options, (middle + 1, HIGHEST_ID))
        finally:
            if handover is not None:
                _stop(handover.helper)  # first: a handover waiting on it then returns
                handover.join()
            lock.close()  # rolls back the lock's transaction, if nothing did
            if reader is not None:
                reader.close()


class _Handover(threading.Thread):
    """Waits for the helper's read to begin, then lets other writers go: in a thread, so that
    this process writes its half meanwhile.  ``ready``: whether the helper's read began."""

    def __init__(self, helper: subprocess.Popen, lock: sqlite3.Connection) -> None:
        super().__init__(name="threadmark-export-handover", daemon=True)
        self.helper, self.lock, self.ready = helper, lock, False

    def run(self) -> None:
        try:
            self.ready = _ready(self.helper)
        finally:
            self.lock.execute("ROLLBACK")


def _middle_id(db: sqlite3.Connection, thread_id: int | None) -> int | None:
    """The id that splits the table's comments in two, or None when they are too few to split.

    From the first and last comments' ids (by number, in a thread), which an import numbers on
    one after another: index look-ups, where ``min`` and ``max`` under a condition, or counting,
    would read every row.  Only the split is taken from them: every id either side of it is
    written."""
    if thread_id is None:
        ends = "SELECT (SELECT min(id) FROM clusters), (SELECT max(id) FROM clusters)"
    else:
        ends = (
            "SELECT (SELECT id FROM clusters WHERE thread_id = :thread ORDER BY seq LIMIT 1), "
            "(SELECT id FROM clusters WHERE thread_id = :thread ORDER BY seq DESC LIMIT 1)"
        )
    low, high = db.execute(ends, {"thread": thread_id}).fetchone()
    if low is None or high - low + 1 < HELPER_MIN_COMMENTS:
        return None
    return min((low + high + HELPER_START_COMMENTS) // 2, high - 1)


def _database_file(db: sqlite3.Connection) -> Path | None:
    """The file another process can open to read what ``db`` reads, or None: a database in
    memory, or one opened to read only (which a write lock must not touch)."""
    if db.execute("PRAGMA query_only").fetchone()[0]:
        return None
    file = next(row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main")
    return Path(file) if file else None


def _write_lock(path: Path) -> sqlite3.Connection | None:
    """A connection holding ``path``'s write lock, or None if it is not had at once."""
    lock = sqlite3.connect(
        f"{path.as_uri()}?mode=rw",
        uri=True,
        isolation_level=None,
        timeout=LOCK_WAIT_SECONDS,
        check_same_thread=False,  # released by the handover's thread
    )
    try:
        lock.execute("BEGIN IMMEDIATE")
    except sqlite3.Error:
        lock.close()
        return None
    return lock


def _reader(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)


def _begin_read(reader: sqlite3.Connection) -> None:
    """Fix what ``reader`` sees: a read transaction takes its snapshot at its first read."""
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM sqlite_master").fetchone()


def _start_helper(
    path: Path,
    write_rows: RowsWriter,
    thread_id: int | None,
    options: ExportOptions,
    low: int,
    scratch: Path,
) -> subprocess.Popen:
    job = {
        "writer": f"{write_rows.__module__}:{write_rows.__qualname__}",
        "thread": thread_id,
        "annotator": options.annotator,
        "low": low,
        "scratch": str(scratch),
    }
    return subprocess.Popen(
        [sys.executable, "-m", __name__, str(path), json.dumps(job)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _ready(helper: subprocess.Popen) -> bool:
    """Whether the helper's read began (it printed ``ready``) within HELPER_START_SECONDS."""
    with selectors.DefaultSelector() as selector:
        selector.register(helper.stdout, selectors.EVENT_READ)
        if not selector.select(HELPER_START_SECONDS):
            return False
    return helper.stdout.readline() == READY


def _stop(helper: subprocess.Popen) -> None:
    """The helper gone, whether it finished, failed, or is stopped here (this process failed,
    or the export was cancelled)."""
    if helper.poll() is None:
        helper.kill()
    helper.wait()
    helper.stdout.close()


def help_with(path: str, job: dict) -> None:
    """The helper's work: the rows from ``job["low"]`` on, to ``job["scratch"]``."""
    module, name = job["writer"].split(":")
    write_rows: RowsWriter = getattr(importlib.import_module(module), name)
    reader = _reader(Path(path))
    try:
        _begin_read(reader)
        sys.stdout.buffer.write(READY)
        sys.stdout.buffer.flush()
        options = ExportOptions(annotator=job["annotator"])
        with open(job["scratch"], "wb") as scratch:
            write_rows(reader, scratch, job["thread"], options, (job["low"], HIGHEST_ID))
    finally:
        reader.close()


if __name__ == "__main__":
    help_with(sys.argv[1], json.loads(sys.argv[2]))
