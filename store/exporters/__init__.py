"""Exporters by format name; each writes one thread (or all) from a consistent snapshot."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TextIO

from store.database import read_snapshot
from store.exporters.structured import write_json, write_jsonl
from store.exporters.tabular import write_comments_csv, write_links_csv

Exporter = Callable[[sqlite3.Connection, TextIO, int | None], None]

EXPORTERS: dict[str, Exporter] = {
    "csv": write_comments_csv,
    "links-csv": write_links_csv,
    "json": write_json,
    "jsonl": write_jsonl,
}

FILE_SUFFIXES = {"csv": ".csv", "links-csv": ".links.csv", "json": ".json", "jsonl": ".jsonl"}


def export(db: sqlite3.Connection, format: str, out: TextIO, thread_id: int | None = None) -> None:
    """Write the export named ``format`` to ``out`` (a text stream opened with newline="")."""
    with read_snapshot(db):
        EXPORTERS[format](db, out, thread_id)
