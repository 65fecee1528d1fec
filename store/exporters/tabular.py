"""CSV exports: one row per unique comment (``csv``), per link (``links-csv``) or per segment
people made (``segments-csv``).

Spreadsheets run a cell that starts with ``= + - @`` (or a tab or carriage return) as a
formula, so such cells get a leading apostrophe: comment text is hostile.

The bytes are what ``csv.writer`` writes (the excel dialect, CRLF line ends), but the comment
table is written by ``cell``, a line at a time and many lines to a write: at a million
comments the csv module alone would take longer than ``sqlite3 -csv`` takes for the whole
export, and the table's cells are few and known.
"""

from __future__ import annotations

import csv
import sqlite3
from typing import Any, BinaryIO, TextIO

from store.exporters.comments import (
    LINK_FIELDS,
    NO_LINK_CELLS,
    export_comments,
    link_rows,
    table_queries,
)
from store.exporters.halves import write_in_halves
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


def cell(value: Any) -> str:
    """A value as ``csv.writer`` writes it: quoted (quotes doubled) when it holds a quote, a
    comma or a line end; None as nothing."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def text_cell(value: str | None) -> str:
    """A cell people or the source wrote: ``cell(neutralise(value))``, in one call, as the
    comment table makes millions of them."""
    if not value:
        return ""
    if value.startswith(FORMULA_TRIGGERS):
        value = "'" + value
    if '"' in value or "," in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _writer(out: TextIO, columns: tuple[str, ...]) -> csv.writer:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    return writer


LINES_PER_WRITE = 1000
NO_EXTRAS = "," + NO_LINK_CELLS + ","  # no tags, no links, no note


def write_comments_csv(
    db: sqlite3.Connection, out: BinaryIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One row per unique comment; link targets and tags joined with ``;``.  Its rows are what
    takes the time at a million comments, so they are written on both cores (``halves``)."""
    out.write((",".join(COMMENT_COLUMNS) + "\r\n").encode())
    write_in_halves(db, out, thread_id, options, write_comment_rows)


def write_comment_rows(
    db: sqlite3.Connection,
    out: BinaryIO,
    thread_id: int | None,
    options: ExportOptions,
    ids: tuple[int, int] | None,
) -> None:
    """The comment table's rows (of the comments with ``ids``, if given), UTF-8.

    Only the cells people or the source wrote can start like a formula: ids, numbers and
    times cannot, and are written as they are (a time quoted if it must be).  The walk is
    spelled out here, not behind a generator, as it runs once per comment.
    """
    table = table_queries(db, thread_id, options, ids)
    tags, links, notes = table.tags, table.links, table.notes
    (tag_id, tagged), (link_id, linked), (note_id, noted) = next(tags), next(links), next(notes)
    lines = []
    for id, number, thread, position, author, created_at, text, size, tombstone in table.rows:
        if id < tag_id and id < link_id and id < note_id:
            extras = NO_EXTRAS
        else:
            # Ids another query holds and the walk does not (none today) are passed over.
            while tag_id < id:
                tag_id, tagged = next(tags)
            while link_id < id:
                link_id, linked = next(links)
            while note_id < id:
                note_id, noted = next(notes)
            link_columns = linked if link_id == id else NO_LINK_CELLS
            if tag_id == id or note_id == id:
                tag_names = ";".join(tagged) if tag_id == id else ""
                note = noted if note_id == id else None
                extras = f",{text_cell(tag_names)}{link_columns},{text_cell(note)}"
            else:  # most: their reply link
                extras = f",{link_columns},"
            if tag_id == id:
                tag_id, tagged = next(tags)
            if link_id == id:
                link_id, linked = next(links)
            if note_id == id:
                note_id, noted = next(notes)
        lines.append(
            f"{id},{number},{thread},{position},{text_cell(author)},{cell(created_at)},"
            f"{text_cell(text)},{size},{tombstone}{extras}\r\n"
        )
        if len(lines) >= LINES_PER_WRITE:
            out.write("".join(lines).encode())
            lines.clear()
    out.write("".join(lines).encode())


def write_links_csv(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One row per link, with both comments' text so the edge list reads on its own."""
    writer = _writer(out, LINK_COLUMNS)
    for link in link_rows(db, thread_id, options, texts=True):
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
