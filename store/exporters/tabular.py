"""CSV exports: one row per unique comment (``csv``), per link (``links-csv``) or per segment
people made (``segments-csv``).

Spreadsheets run a cell that starts with ``= + - @`` (or a tab or carriage return) as a
formula, so such cells get a leading apostrophe: comment text is hostile.
"""

from __future__ import annotations

import csv
import sqlite3
from typing import Any, TextIO

from store.exporters.comments import LINK_FIELDS, export_comments, link_rows
from store.exporters.options import ExportOptions
from store.schema import LINK_KINDS

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

COMMENT_COLUMNS = (
    "id",
    "number",
    "thread",
    "position",
    "author",
    "created_at",
    "text",
    "occurrences",
    "tombstone",
    "tags",
    *LINK_KINDS,
    "note",
)
LINK_COLUMNS = (*LINK_FIELDS, "source_text", "target_text")
SEGMENT_COLUMNS = (
    "id",
    "number",
    "thread",
    "start",
    "end",
    "unit",
    "text",
    "tags",
    "annotators",
    "note",
    "coded_text",  # the words it was coded on, when a re-scrape changed them; else empty
)


def neutralise(value: Any) -> Any:
    """A cell a spreadsheet shows as text, never evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _writer(out: TextIO, columns: tuple[str, ...]) -> csv.writer:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    return writer


def write_comments_csv(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One row per unique comment; link targets and tags joined with ``;``.

    Only the cells people or the source wrote can start like a formula: ids, numbers and
    times cannot, and are written as they are.
    """
    writer = _writer(out, COMMENT_COLUMNS)
    no_links = ("",) * len(LINK_KINDS)
    for comment in export_comments(db, thread_id, options, details=False):
        targets = no_links
        if comment.links_out:
            targets = tuple(
                ";".join(map(str, comment.links_out.get(kind, ()))) for kind in LINK_KINDS
            )
        writer.writerow(
            (
                comment.id,
                comment.number,
                comment.thread,
                comment.position,
                neutralise(comment.author),
                comment.created_at,
                neutralise(comment.text),
                comment.size,
                int(comment.tombstone),
                neutralise(";".join(comment.tags)),
                *targets,
                neutralise(comment.note),
            )
        )


def write_links_csv(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One row per link, with both comments' text so the edge list reads on its own."""
    writer = _writer(out, LINK_COLUMNS)
    for link in link_rows(db, thread_id, options):
        writer.writerow([neutralise(link[column]) for column in LINK_COLUMNS])


def write_segments_csv(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One row per segment people tagged, noted or linked: its comment (id and number), its
    range and words, and its tags and their annotators joined with ``;``."""
    writer = _writer(out, SEGMENT_COLUMNS)
    for comment in export_comments(db, thread_id, options):
        for segment in comment.segments:
            annotators = dict.fromkeys(a["annotator"] for a in segment.annotations)
            row = (
                comment.id,
                comment.number,
                comment.thread,
                segment.start,
                segment.end,
                segment.unit,
                segment.text,
                ";".join(segment.tags),
                ";".join(annotators),
                segment.note,
                segment.coded_text,
            )
            writer.writerow([neutralise(value) for value in row])
