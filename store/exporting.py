"""Exporting a thread: the exporter of a format, run inside one read snapshot.

The exporters themselves (``store.exporters``) only read rows; this is where the connection's
transaction is taken, so that an export sees one state of the file however long it runs while
other annotators write.
"""

from __future__ import annotations

import sqlite3
from typing import TextIO

from store.database import read_snapshot
from store.exporters import EXPORTERS


def export(db: sqlite3.Connection, format: str, out: TextIO, thread_id: int | None = None) -> None:
    """Write the export named ``format`` to ``out`` (a text stream opened with newline="")."""
    with read_snapshot(db):
        EXPORTERS[format](db, out, thread_id)
