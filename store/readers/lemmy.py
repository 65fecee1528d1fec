"""Lemmy and PieFed: the Lemmy API's comment list (``GET /api/v3/comment/list``, v4's
``items``, or PieFed's ``/api/alpha/comment/list``).

Each entry is a comment view: ``comment`` (with ``path`` "0.12.34", whose second-to-last
element is the parent), ``creator`` and ``post``.  The API returns comments in ranking order,
not tree order, so the tree is rebuilt here.  PieFed speaks the same API with its own names
for three fields: the comment's ``body`` (Lemmy's ``content``), the creator's ``user_name``
(``name``) and the post's ``title`` (``name``); a view is read with whichever it has.

The thread's key is the post's ActivityPub id (``lemmy:https://lemmy.world/post/7``): its
``id`` is only a number on the instance it was read from, and another instance's post 7 is
another thread.
"""

from __future__ import annotations

from typing import Any

from store.readers.common import (
    LEMMY_TOMBSTONES,
    Times,
    as_id,
    as_text,
    is_tombstone_text,
    mapping,
    objects,
    order_by_parent,
)
from store.records import CommentRecord, ParsedThread

SHAPE = "a comment list (comments or items, or a list, of views with a comment object)"
TEXT_FIELD = "comment.content (PieFed: comment.body)"


def matches(data: object) -> bool:
    """``{"comments": [...]}`` (v3), ``{"items": [...]}`` (v4) or a bare list of views."""
    views = _raw_views(data)
    if not isinstance(views, list):
        return False
    return _is_view(views[0]) if views else isinstance(data, dict)


def read(data: object) -> ParsedThread:
    views = [view for view in objects(_raw_views(data)) if _is_view(view)]
    ordered = order_by_parent(views, lambda view: as_id(view["comment"].get("id")), _parent)
    title = next((title for title in map(_title, views) if title is not None), None)
    post = next(
        filter(None, (as_id(mapping(view.get("post")).get("ap_id")) for view in views)), None
    )
    times = Times()
    records = [_record(view, times) for view in ordered]
    return ParsedThread(
        format="lemmy",
        records=records,
        title=title,
        warnings=times.warnings(),
        thread_key=f"lemmy:{post}" if post else None,
    )


def _raw_views(data: object) -> object:
    if isinstance(data, dict):
        return data["comments"] if "comments" in data else data.get("items")
    return data


def _is_view(view: object) -> bool:
    return isinstance(mapping(view).get("comment"), dict)


def _parent(view: dict[str, Any]) -> str | None:
    """The parent id from the path: "0.12.34" -> "12"; "0.12" is top level."""
    path = as_text(view["comment"].get("path")) or ""
    steps = path.split(".")
    if len(steps) <= 2:
        return None
    return steps[-2] or None


def _title(view: dict[str, Any]) -> str | None:
    return _either(mapping(view.get("post")), "name", "title")


def _record(view: dict[str, Any], times: Times) -> CommentRecord:
    comment = view["comment"]
    text = _either(comment, "content", "body")
    flagged = comment.get("deleted") is True or comment.get("removed") is True
    return CommentRecord(
        text=text or "",
        platform_id=as_id(comment.get("id")),
        parent_id=_parent(view),
        author=_either(mapping(view.get("creator")), "name", "user_name"),
        created_at=times.iso_utc(comment.get("published", comment.get("published_at"))),
        is_tombstone=flagged or is_tombstone_text(text, LEMMY_TOMBSTONES),
    )


def _either(fields: dict[str, Any], lemmy: str, piefed: str) -> str | None:
    """A string field by Lemmy's name, else by PieFed's."""
    value = as_text(fields.get(lemmy))
    return value if value is not None else as_text(fields.get(piefed))
