"""Exporting a thread: a format's writer, run inside one read snapshot, to a stream or a file.

The writers themselves (``store.exporters``) only read rows; this is where the connection's
transaction is taken, so that an export sees one state of the file however long it runs while
other annotators write, and where a file is written whole or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from store.database import read_snapshot
from store.errors import ThreadmarkError
from store.exporters import EXPORT_FORMATS, ExportOptions
from store.exporters.options import EVERYONE
from store.files import atomic_write


def export(
    db: sqlite3.Connection,
    format: str,
    out: BinaryIO,
    thread_id: int | None = None,
    options: ExportOptions = EVERYONE,
) -> None:
    """Write the export named ``format`` (one of :data:`EXPORT_FORMATS`) to ``out``."""
    writer = EXPORT_FORMATS.get(format)
    if writer is None:
        raise ThreadmarkError(f"unknown export format {format!r} ({', '.join(EXPORT_FORMATS)})")
    with read_snapshot(db):
        writer.write(db, out, thread_id, options)


def export_file(
    db: sqlite3.Connection,
    format: str,
    path: Path,
    thread_id: int | None = None,
    options: ExportOptions = EVERYONE,
    *,
    watch: Callable[[BinaryIO], BinaryIO] | None = None,
) -> None:
    """Export to ``path`` atomically: a failed or cancelled export leaves no file there, and a
    file that was there is replaced only by a whole one.  ``watch`` may wrap the stream (to
    count what is written, or stop it)."""
    try:
        with atomic_write(path) as file:
            export(db, format, watch(file) if watch else file, thread_id, options)
    except OSError as error:
        raise ThreadmarkError(f"cannot write {path}: {error.strerror or error}") from None
