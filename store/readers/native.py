"""threadmark's own JSON export, read back in (``threadmark export --format json``).

Each exported comment lists its occurrences; every occurrence becomes a record again, in the
order of its position, so a round trip keeps the source's repeats and numbering.  Only the
first thread of a multi-thread export is read.
"""

from __future__ import annotations

from typing import Any

from store.readers.common import Times, as_id, as_text, mapping, objects
from store.records import CommentRecord, ParsedThread

SHAPE = "a threadmark export (threads, comments with occurrences)"
TEXT_FIELD = "each occurrence's or comment's text"


def matches(data: object) -> bool:
    data = mapping(data)
    return isinstance(data.get("threads"), list) and isinstance(data.get("comments"), list)


def read(data: object) -> ParsedThread:
    data = mapping(data)
    thread = next(iter(objects(data.get("threads"))), {})
    thread_id = thread.get("id")
    occurrences = [
        (occurrence, comment)
        for comment in objects(data.get("comments"))
        if thread_id is None or comment.get("thread") == thread_id
        for occurrence in objects(comment.get("occurrences"))
    ]
    occurrences.sort(key=lambda pair: _position(pair[0]))
    times = Times()
    records = [_record(occurrence, comment, times) for occurrence, comment in occurrences]
    title = as_text(thread.get("title"))
    return ParsedThread(
        format="threadmark", records=records, title=title, warnings=times.warnings()
    )


def _position(occurrence: dict[str, Any]) -> tuple[int, int]:
    """Sort key: numbered occurrences in order, any without a number after them."""
    position = occurrence.get("position")
    if isinstance(position, int) and not isinstance(position, bool):
        return (0, position)
    return (1, 0)


def _record(occurrence: dict[str, Any], comment: dict[str, Any], times: Times) -> CommentRecord:
    return CommentRecord(
        text=as_text(occurrence.get("text", comment.get("text"))) or "",
        platform_id=as_id(occurrence.get("platform_id")),
        parent_id=as_id(occurrence.get("parent_platform_id")),
        author=as_text(occurrence.get("author", comment.get("author"))),
        created_at=times.iso_utc(occurrence.get("created_at")),
        is_tombstone=comment.get("tombstone") is True,
    )
