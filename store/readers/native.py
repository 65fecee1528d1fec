"""threadmark's own JSON export, read back in (``threadmark export --format json``).

Such a file is a backup: the import restores it whole, with its clusters, segments, codes and
links (see store.merging), rather than folding it again.  The records are every occurrence
of every thread, in the order of their positions, so that the counts of the import's report
and the checks on the file are those of any other source.
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
    threads = objects(data.get("threads"))
    occurrences = [
        (occurrence, comment)
        for comment in objects(data.get("comments"))
        for occurrence in objects(comment.get("occurrences"))
    ]
    occurrences.sort(key=lambda pair: (str(pair[1].get("thread")), _position(pair[0])))
    times = Times()
    records = [_record(occurrence, comment, times) for occurrence, comment in occurrences]
    title = as_text(threads[0].get("title")) if threads else None
    return ParsedThread(
        format="threadmark",
        records=records,
        title=title,
        warnings=times.warnings(),
        document=data,
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
