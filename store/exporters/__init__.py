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

from store.exporters.aif import write_aif
from store.exporters.argdown import write_argdown
from store.exporters.graphviz import DOT_PROGRAM, write_dot, write_svg
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
    needs: str | None = None  # a program it runs, which must be installed: svg runs "dot"


def _text(write_text: TextWriter) -> BinaryWriter:
    """A text format's writer over a binary stream: UTF-8, newlines written as given."""

    def write(db: sqlite3.Connection, out: BinaryIO, thread_id: int | None, options) -> None:
        write_text(db, codecs.getwriter("utf-8")(out), thread_id, options)

    return write


def _write_qdpx(db: sqlite3.Connection, out: BinaryIO, thread_id: int | None, options) -> None:
    """Loaded when used: its zip and XML modules would cost every export dialog, palette and
    ``threadmark export`` some 40 ms."""
    from store.exporters.qdpx import write_qdpx

    write_qdpx(db, out, thread_id, options)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    format.name: format
    for format in (
        ExportFormat("csv", ".csv", "one row per comment, for spreadsheets", write_comments_csv),
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
        ExportFormat(
            "qdpx",
            ".qdpx",
            "a REFI-QDA project, for QualCoder, MAXQDA, ATLAS.ti and NVivo",
            _write_qdpx,
            binary=True,
        ),
        ExportFormat(
            "aif",
            ".aif.json",
            "the argument graph as AIF JSON (AIFdb), for OVA, arguebuf and AIF tools",
            _text(write_aif),
        ),
        ExportFormat(
            "argdown",
            ".argdown",
            "the argument graph as Argdown: a statement per unit, its relations below",
            _text(write_argdown),
        ),
        ExportFormat(
            "dot",
            ".dot",
            "the argument graph as Graphviz DOT: linked units, links by kind",
            _text(write_dot),
        ),
        ExportFormat(
            "svg",
            ".svg",
            "the argument graph drawn by Graphviz (needs its dot program)",
            write_svg,
            needs=DOT_PROGRAM,
        ),
    )
}

__all__ = ["EXPORT_FORMATS", "ExportFormat", "ExportOptions"]
