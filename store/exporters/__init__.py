"""Every export format, one record each: the one list that ``--format``, the export dialog,
the command palette and the contract tests are driven by.

Each format writes one thread (or all) as bytes to a binary stream; a text format wraps the
stream itself (UTF-8, line ends as the format wants them).  None takes a transaction:
:func:`store.exporting.export` runs one inside a read snapshot.
"""

from __future__ import annotations

import codecs
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from store.exporters.options import ExportOptions
from store.exporters.structured import write_json, write_jsonl
from store.exporters.tabular import write_comments_csv, write_links_csv, write_segments_csv

TextWriter = Callable[[sqlite3.Connection, TextIO, int | None, ExportOptions], None]
BinaryWriter = Callable[[sqlite3.Connection, BinaryIO, int | None, ExportOptions], None]


@dataclass(frozen=True, slots=True)
class ExportFormat:
    name: str
    suffix: str  # what a file of it is called: thread.links.csv
    description: str  # one line, for --help, the export dialog and the palette
    write: BinaryWriter
    binary: bool = False  # never written to a terminal


def _text(write_text: TextWriter) -> BinaryWriter:
    """A text format's writer over a binary stream: UTF-8, newlines written as given."""

    def write(db: sqlite3.Connection, out: BinaryIO, thread_id: int | None, options) -> None:
        write_text(db, codecs.getwriter("utf-8")(out), thread_id, options)

    return write


EXPORT_FORMATS: dict[str, ExportFormat] = {
    format.name: format
    for format in (
        ExportFormat(
            "csv", ".csv", "one row per comment, for spreadsheets", _text(write_comments_csv)
        ),
        ExportFormat(
            "links-csv", ".links.csv", "one row per link: an edge list", _text(write_links_csv)
        ),
        ExportFormat(
            "segments-csv",
            ".segments.csv",
            "one row per coded segment (sentence or range)",
            _text(write_segments_csv),
        ),
        ExportFormat(
            "json",
            ".json",
            "everything, as one document: the backup that import restores",
            _text(write_json),
        ),
        ExportFormat(
            "jsonl", ".jsonl", "one comment per line, with all it carries", _text(write_jsonl)
        ),
    )
}

__all__ = ["EXPORT_FORMATS", "ExportFormat", "ExportOptions"]
