"""Exporters by format name; each writes one thread (or all) from rows it reads.

They take no transaction of their own: :func:`store.exporting.export` runs one inside a read
snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TextIO

from store.exporters.structured import write_json, write_jsonl
from store.exporters.tabular import write_comments_csv, write_links_csv, write_segments_csv

Exporter = Callable[[sqlite3.Connection, TextIO, int | None], None]

EXPORTERS: dict[str, Exporter] = {
    "csv": write_comments_csv,
    "links-csv": write_links_csv,
    "segments-csv": write_segments_csv,
    "json": write_json,
    "jsonl": write_jsonl,
}

FILE_SUFFIXES = {
    "csv": ".csv",
    "links-csv": ".links.csv",
    "segments-csv": ".segments.csv",
    "json": ".json",
    "jsonl": ".jsonl",
}
