"""Mastodon: a status's context (``GET /api/v1/statuses/:id/context``).

``{"ancestors": [...], "descendants": [...]}``, optionally with the status itself as
``"status"``.  The thread's root (the first ancestor, or the status when it has none) gives the
title and is not a comment; the rest are rebuilt into their reply tree.  Content is HTML.
The thread's key is the root's ActivityPub ``uri`` (``mastodon:https://.../statuses/111``):
its ``id`` is only a number on the instance it was read from.
"""

from __future__ import annotations

from typing import Any

from store.readers.common import (
    Times,
    as_id,
    as_text,
    is_tombstone_text,
    mapping,
    objects,
    order_by_parent,
)
from store.readers.html import html_to_text
from store.records import CommentRecord, ParsedThread

SHAPE = "a status context (ancestors, descendants; the status itself optional)"
TEXT_FIELD = "content"
TITLE_LENGTH = 100
NO_TOMBSTONE_STRINGS: frozenset[str] = frozenset()  # a deleted status is just empty


def matches(data: object) -> bool:
    data = mapping(data)
    return isinstance(data.get("ancestors"), list) and isinstance(data.get("descendants"), list)


def read(data: object) -> ParsedThread:
    data = mapping(data)
    ancestors = objects(data.get("ancestors"))
    status = objects([data.get("status")])
    statuses = [*ancestors, *status, *objects(data.get("descendants"))]
    # Without ancestors or status, the root was not fetched: every status is a comment.
    root = statuses[0] if ancestors or status else None
    comments = statuses[1:] if root else statuses
    root_id = as_id(root.get("id")) if root else None

    def parent_of(status: dict[str, Any]) -> str | None:
        parent = as_id(status.get("in_reply_to_id"))
        return None if parent == root_id else parent

    ordered = order_by_parent(comments, lambda status: as_id(status.get("id")), parent_of)
    times = Times()
    records = [_record(status, parent_of(status), times) for status in ordered]
    title = _title(root) if root else None
    uri = as_id(root.get("uri")) if root else None
    return ParsedThread(
        format="mastodon",
        records=records,
        title=title,
        warnings=times.warnings(),
        thread_key=f"mastodon:{uri}" if uri else None,
    )


def _record(status: dict[str, Any], parent: str | None, times: Times) -> CommentRecord:
    """The content warning, if any, comes first, as the reader saw it first."""
    body = html_to_text(as_text(status.get("content")) or "")
    warning = as_text(status.get("spoiler_text"))
    return CommentRecord(
        text=f"{warning}\n\n{body}" if warning and body else body,
        platform_id=as_id(status.get("id")),
        parent_id=parent,
        author=as_text(mapping(status.get("account")).get("acct")),
        created_at=times.iso_utc(status.get("created_at")),
        is_tombstone=is_tombstone_text(body, NO_TOMBSTONE_STRINGS),
    )


def _title(root: dict[str, Any]) -> str | None:
    """The root's first line of text (or its content warning), cut to a header's length."""
    text = html_to_text(as_text(root.get("content")) or "") or as_text(root.get("spoiler_text"))
    first_line = next((line.strip() for line in (text or "").split("\n") if line.strip()), None)
    if first_line and len(first_line) > TITLE_LENGTH:
        return first_line[: TITLE_LENGTH - 1].rstrip() + "…"
    return first_line
