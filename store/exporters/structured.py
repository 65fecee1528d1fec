"""JSON and JSONL exports, streamed so a million comments never sit in memory at once."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, TextIO

from store.exporters.comments import (
    LINK_FIELDS,
    ExportComment,
    export_comments,
    link_rows,
    tag_rows,
    thread_rows,
)
from store.exporters.options import ExportOptions


def comment_object(comment: ExportComment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "number": comment.number,
        "thread": comment.thread,
        "text": comment.text,
        "author": comment.author,
        "created_at": comment.created_at,
        "tombstone": comment.tombstone,
        "parent": comment.parent,
        "depth": comment.depth,
        "folded": comment.folded,
        "same_text": comment.same_text,
        "occurrences": comment.occurrences,
        "tags": comment.tags,
        "annotations": comment.annotations,
        "note": comment.note,
        "notes": comment.notes,
        "links": comment.links,
        "segments": [
            {
                "start": segment.start,
                "end": segment.end,
                "unit": segment.unit,
                "text": segment.text,
                "tags": segment.tags,
                "annotations": segment.annotations,
                "note": segment.note,
                "notes": segment.notes,
                "coded_text": segment.coded_text,
            }
            for segment in comment.segments
        ],
    }


def _dumps(value: Any) -> str:
    """JSON as UTF-8 text, with DEL escaped like the other controls: JSON allows it raw, but
    a file full of it looks binary (to threadmark's own reader too) and a terminal acts on it."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def write_json(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One object: ``threads``, ``tags``, ``comments`` and ``links``."""
    out.write('{"threads": ' + _dumps(thread_rows(db, thread_id)))
    out.write(',\n"tags": ' + _dumps(tag_rows(db)))
    out.write(',\n"comments": [')
    for n, comment in enumerate(export_comments(db, thread_id, options)):
        out.write(("\n" if n == 0 else ",\n") + _dumps(comment_object(comment)))
    out.write('\n],\n"links": [')
    for n, link in enumerate(link_rows(db, thread_id, options)):
        fields = {key: link[key] for key in LINK_FIELDS}
        out.write(("\n" if n == 0 else ",\n") + _dumps(fields))
    out.write("\n]}\n")


def write_jsonl(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One unique comment per line, the shape of ``json``'s ``comments`` entries."""
    for comment in export_comments(db, thread_id, options):
        out.write(_dumps(comment_object(comment)) + "\n")
