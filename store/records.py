"""The shapes readers produce and the ingest pipeline consumes."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class CommentRecord:
    """One comment as read from a source, before any folding.

    ``platform_id`` and ``parent_id`` are the source's own ids as strings (``None`` when the
    source has none, as in plain text).  ``created_at`` is ISO 8601 in UTC when the source
    gives a time.  Readers emit records in reading order (depth first for trees); a record's
    position in the thread is its index in that list plus one.
    """

    text: str
    platform_id: str | None = None
    parent_id: str | None = None
    author: str | None = None
    created_at: str | None = None
    is_tombstone: bool = False


@dataclass(slots=True)
class ParsedThread:
    """What a reader returns: the format it read, a title if the source has one, the records."""

    format: str
    records: list[CommentRecord] = field(default_factory=list)
    title: str | None = None
