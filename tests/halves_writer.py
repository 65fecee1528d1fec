"""A table writer for tests/test_export_halves.py that says which process wrote each row.

``write_pids`` writes ``ID PID`` per comment of its range, so a test sees where the helper's
half begins and that no comment is written twice or missed.  What the helper does besides is
chosen by ``HALVES_TEST`` in its environment (the test process never acts on it):

- ``fail``: the helper exits with an error before writing;
- ``slow-start``: the helper sleeps past its start-up limit before it begins its read;
- ``try-to-write``: as it starts, the helper tries to commit a change to the database, and
  writes ``locked`` or ``unlocked`` (what it met) as its first line.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from typing import BinaryIO

IN_HELPER = os.environ.get("HALVES_TEST_PARENT") not in (None, str(os.getpid()))
BEHAVIOUR = os.environ.get("HALVES_TEST", "") if IN_HELPER else ""

if BEHAVIOUR == "slow-start":
    time.sleep(30)


def _write_lock_is_held(path: str) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        return "locked" in str(error)
    finally:
        other.close()
    return False


LOCK_SEEN = (
    ("locked" if _write_lock_is_held(sys.argv[1]) else "unlocked")
    if BEHAVIOUR == "try-to-write"
    else None
)


def write_pids(db, out: BinaryIO, thread_id, options, ids) -> None:
    if BEHAVIOUR == "fail":
        raise SystemExit(3)
    if LOCK_SEEN is not None:
        out.write(f"{LOCK_SEEN}\n".encode())
    low, high = ids or (0, 2**63 - 1)
    for (cluster_id,) in db.execute(
        "SELECT id FROM clusters WHERE id BETWEEN ? AND ? ORDER BY id", (low, high)
    ):
        out.write(f"{cluster_id} {os.getpid()}\n".encode())
