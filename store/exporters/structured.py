"""JSON and JSONL exports, streamed so a million comments never sit in memory at once."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any, TextIO

from store.exporters.comments import (
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


# One encoder for every value (``json.dumps`` with an option set makes one a call), which
# need not look for loops: what is encoded here is rows, never a value holding itself.
_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
PIECES_PER_WRITE = 500


def _dumps(value: Any) -> str:
    """JSON as UTF-8 text, with DEL escaped like the other controls: JSON allows it raw, but
    a file full of it looks binary (to threadmark's own reader too) and a terminal acts on it."""
    return _ENCODE(value).replace("\x7f", "\\u007f")


def _write_all(out: TextIO, pieces: Iterator[str]) -> None:
    """The pieces, many to a write: a million small writes cost more than the encoding."""
    batch = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= PIECES_PER_WRITE:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))


def _items(values: Iterator[Any]) -> Iterator[str]:
    """The values as a JSON array's items, a line each (the brackets are the caller's)."""
    for n, value in enumerate(values):
        yield ("\n" if n == 0 else ",\n") + _dumps(value)


def write_json(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One object: ``threads``, ``tags``, ``comments`` and ``links``."""
    out.write('{"threads": ' + _dumps(thread_rows(db, thread_id)))
    out.write(',\n"tags": ' + _dumps(tag_rows(db)))
    out.write(',\n"comments": [')
    _write_all(out, _items(map(comment_object, export_comments(db, thread_id, options))))
    out.write('\n],\n"links": [')
    _write_all(out, _items(link_rows(db, thread_id, options)))
    out.write("\n]}\n")


def write_jsonl(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One unique comment per line, the shape of ``json``'s ``comments`` entries."""
    comments = export_comments(db, thread_id, options)
    _write_all(out, (_dumps(comment_object(comment)) + "\n" for comment in comments))
