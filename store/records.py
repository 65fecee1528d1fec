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
    """What a reader returns: the format it read, a title if the source has one, the records.

    ``warnings`` are one-line notes on what was read but could not be kept as given (a time
    out of range, a guessed encoding): the import goes ahead, and the user is told.

    ``thread_key`` names the platform thread the comments hang under, platform first: the
    post, story or status (``reddit:t3_abc``, ``hn:123``); None when the source does not say
    (plain text, CSV, JSON Lines).  A newer scrape with the same key updates the thread
    (store.rescrape).
    """

    format: str
    records: list[CommentRecord] = field(default_factory=list)
    title: str | None = None
    warnings: list[str] = field(default_factory=list)
    thread_key: str | None = None
    # A threadmark export is restored as it was, with its codes, rather than folded again:
    # the parsed document (see store.merging).
    document: dict | None = None


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What the user says about a source when sniffing alone cannot tell.

    ``split``: plain text has one comment per line ("lines") or per blank-line paragraph.
    ``encoding``: the file's encoding; None means its BOM, else UTF-8, else a detected one.
    ``columns``: for CSV and JSON Lines, a record field (``text``, ``author``,
    ``platform_id``, ``parent_id``, ``created_at``) -> the column holding it, by header name
    or by 1-based number.
    """

    split: str = "lines"
    encoding: str | None = None
    columns: dict[str, str | int] = field(default_factory=dict)
