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
from typing import Any, TextIO

from store.exporters.comments import LINK_FIELDS, comment_table, export_comments, link_rows
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
KIND_COLUMN = {kind: n for n, kind in enumerate(LINK_KINDS)}
NO_EXTRAS = "," + "," * len(LINK_KINDS) + ","  # no tags, no links, no note
# The cells of a comment whose one link is the only thing it carries (most: its reply link),
# by the link's kind, the target's id to put in.
LONE_LINK = {
    kind: ",," + ",".join("{}" if column == kind else "" for column in LINK_KINDS) + ","
    for kind in LINK_KINDS
}


def _extra_cells(tags: list[str], links_out: dict[str, list[int]], note: str | None) -> str:
    """The tags, link and note cells of a comment that has any, each after its comma."""
    if not tags and note is None and len(links_out) == 1:
        ((kind, ids),) = links_out.items()
        if len(ids) == 1:
            return LONE_LINK[kind].format(ids[0])
    targets = [""] * len(LINK_KINDS)
    for kind, ids in links_out.items():  # ids joined by ";": never a cell to quote
        targets[KIND_COLUMN[kind]] = ";".join(map(str, ids))
    return f",{text_cell(';'.join(tags))},{','.join(targets)},{text_cell(note)}"


def write_comments_csv(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One row per unique comment; link targets and tags joined with ``;``.

    Only the cells people or the source wrote can start like a formula: ids, numbers and
    times cannot, and are written as they are (a time quoted if it must be).
    """
    lines = [",".join(COMMENT_COLUMNS) + "\r\n"]
    for row, extras in comment_table(db, thread_id, options):
        id, number, thread, position, author, created_at, text, size, tombstone = row
        lines.append(
            f"{id},{number},{thread},{position},{text_cell(author)},{cell(created_at)},"
            f"{text_cell(text)},{size},{tombstone}"
            f"{NO_EXTRAS if extras is None else _extra_cells(*extras)}\r\n"
        )
        if len(lines) >= LINES_PER_WRITE:
            out.write("".join(lines))
            lines.clear()
    out.write("".join(lines))


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
