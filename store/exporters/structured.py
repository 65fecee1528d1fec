"""JSON and JSONL exports, streamed so a million comments never sit in memory at once.

Most of each comment's object is spelled out by SQLite (``COMMENT_HEAD``, ``OCCURRENCE``,
``store.exporters.comments.LINK_JSON``): at a million comments, building and encoding the
same objects in Python would take five times as long as reading the rows.  Python writes
what people made (tags, notes, segments, a link's name when an end is a segment), with the
same encoding: compact, the text as it is (not ASCII-escaped), controls escaped.  A test
holds the two to the same bytes: every object SQLite writes is what ``_dumps`` writes of
``comment_object``.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from itertools import chain, groupby
from operator import itemgetter
from typing import Any, TextIO

from store.exporters.comments import (
    ByComment,
    Carried,
    ExportComment,
    ExportSegment,
    joined_note,
    link_cursor,
    link_dict,
    tag_names,
    tag_rows,
    thread_rows,
)
from store.exporters.options import ExportOptions
from store.sql import in_thread


def comment_object(comment: ExportComment) -> dict[str, Any]:
    """A comment as the JSON exports hold it (the SQL of ``comment_texts`` writes the same)."""
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
        "segments": [segment_object(segment) for segment in comment.segments],
    }


def segment_object(segment: ExportSegment) -> dict[str, Any]:
    return {
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


# One encoder for every value (``json.dumps`` with an option set makes one a call), which
# need not look for loops: what is encoded here is rows, never a value holding itself.
_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
PIECES_PER_WRITE = 500

# A comment's object up to its occurrences' opening bracket, in comment_object's order, as
# one printf (a chain of ``||`` copies the text at every link): a string is ``json_quote``d,
# which escapes as ``_dumps`` does (and is ``null`` for NULL); an int is written as it is.
COMMENT_HEAD = (
    """printf('{"id":%d,"number":%d,"thread":%d,"text":%s,"author":%s,"created_at":%s,"""
    """"tombstone":%s,"parent":%s,"depth":%d,"folded":%s,"same_text":%s,"occurrences":[', """
    "c.id, c.seq, c.thread_id, json_quote(c.text), json_quote(c.author), "
    "json_quote(k.created_at), CASE WHEN c.is_tombstone THEN 'true' ELSE 'false' END, "
    "coalesce(c.parent_cluster_id, 'null'), c.depth, json_quote(c.folded), "
    "coalesce(c.text_group, 'null'))"
)
# An occurrence (``o``); one whose words differ from its comment's in any way (a near
# duplicate, or an exact one that differs in case, spacing or Unicode form) carries its own
# text, so nothing of the source is lost.
OCCURRENCE = (
    """printf('{"position":%d,"platform_id":%s,"parent_platform_id":%s,"author":%s,"""
    """"created_at":%s%s}', o.position, json_quote(o.platform_id), """
    "json_quote(o.parent_platform_id), json_quote(o.author), json_quote(o.created_at), "
    """CASE WHEN o.text IS NOT c.text THEN ',"text":' || json_quote(o.text) ELSE '' END)"""
)
NOTHING_CARRIED = '],"tags":[],"annotations":[],"note":null,"notes":[],"links":['


def link_texts(
    db: sqlite3.Connection, thread_id: int | None, options: ExportOptions
) -> Iterator[tuple[int, str]]:
    """``(source id, the link as JSON)`` for each link of ``link_rows`` by source."""
    for row in link_cursor(db, thread_id, options, by_source=True, as_json=True):
        yield row[0], row[14] if row[14] is not None else _dumps(link_dict(row))


def comment_texts(
    db: sqlite3.Connection,
    thread_id: int | None,
    options: ExportOptions,
    links_copy: TextIO | None = None,
) -> Iterator[str]:
    """Each unique comment as JSON (``comment_object``), in thread order; each of their links
    also goes to ``links_copy``, when given, a line each, so the links are read only once."""
    carried = Carried(db, thread_id, options)
    links = ByComment(link_texts(db, thread_id, options))
    rows = db.execute(
        f"SELECT c.id, c.seq, c.text, {COMMENT_HEAD}, "
        f"CASE WHEN o.id IS NOT NULL THEN {OCCURRENCE} END "
        "FROM clusters c JOIN comments k ON k.id = c.canonical_comment_id "
        "LEFT JOIN comments o ON o.cluster_id = c.id "
        f"WHERE {in_thread('c.thread_id', thread_id)} ORDER BY c.id, o.id",
        {"thread": thread_id},
    )
    for cluster_id, group in groupby(rows, itemgetter(0)):
        group = list(group)
        _, number, text, head, first = group[0]
        # None: a comment whose occurrences are gone (it keeps its place, with none)
        occurrences = "" if first is None else ",".join([row[4] for row in group])
        taken = links.take(cluster_id)
        links_json = ",".join(taken)
        if links_copy is not None and taken:
            links_copy.write("\n".join(taken) + "\n")
        if carried.nothing_on(cluster_id):
            yield f'{head}{occurrences}{NOTHING_CARRIED}{links_json}],"segments":[]}}'
            continue
        annotations = carried.annotations.take(cluster_id)
        notes = carried.notes.take(cluster_id)
        segments = [segment_object(s) for s in carried.segments(cluster_id, number, text)]
        yield (
            f'{head}{occurrences}],"tags":{_dumps(tag_names(annotations))},'
            f'"annotations":{_dumps(annotations)},"note":{_dumps(joined_note(notes))},'
            f'"notes":{_dumps(notes)},"links":[{links_json}],"segments":{_dumps(segments)}}}'
        )


def _write_all(out: TextIO, pieces: Iterator[str]) -> None:
    """The pieces, many to a write (a million small writes cost more than the encoding),
    with DEL escaped like the other controls: JSON allows it raw, but a file full of it looks
    binary (to threadmark's own reader too) and a terminal acts on it.  Only a string can
    hold one, so every DEL written is inside one."""
    batch = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= PIECES_PER_WRITE:
            out.write("".join(batch).replace("\x7f", "\\u007f"))
            batch.clear()
    out.write("".join(batch).replace("\x7f", "\\u007f"))


def _items(values: Iterator[str]) -> Iterator[str]:
    """JSON texts as a JSON array's items, a line each (the brackets are the caller's)."""
    for n, value in enumerate(values):
        yield ("\n" if n == 0 else ",\n") + value


def write_json(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One object: ``threads``, ``tags``, ``comments`` and ``links``.

    ``links`` are the comments' links again, in the same order (by source comment, then
    oldest first): copied to a temporary file as the comments are written and read back from
    it, rather than asked of SQLite a second time (a third of the export at a million)."""
    head = f'{{"threads":{_dumps(thread_rows(db, thread_id))},\n"tags":{_dumps(tag_rows(db))}'
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n") as links_copy:
        _write_all(
            out,
            chain(
                [head + ',\n"comments":['],
                _items(comment_texts(db, thread_id, options, links_copy)),
                ['\n],\n"links":['],
                _items(_lines_from_start(links_copy)),
                ["\n]}\n"],
            ),
        )


def _lines_from_start(file: TextIO) -> Iterator[str]:
    """The lines written to ``file`` so far, without their line ends, once asked for the first
    (by then the comments are all written)."""
    file.seek(0)
    for line in file:
        yield line[:-1]


def write_jsonl(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One unique comment per line, the shape of ``json``'s ``comments`` entries."""
    _write_all(out, (text + "\n" for text in comment_texts(db, thread_id, options)))
