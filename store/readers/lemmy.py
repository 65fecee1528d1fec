"""Lemmy: the API's comment list (``GET /api/v3/comment/list``, or v4's ``items``).

Each entry is a comment view: ``comment`` (with ``path`` "0.12.34", whose second-to-last
element is the parent), ``creator`` and ``post`` (whose ``name`` is the thread's title).
The API returns comments in ranking order, not tree order, so the tree is rebuilt here.
"""

from __future__ import annotations

from typing import Any

from store.readers.common import (
    LEMMY_TOMBSTONES,
    as_id,
    as_text,
    is_tombstone_text,
    iso_utc,
    mapping,
    objects,
    order_by_parent,
)
from store.records import CommentRecord, ParsedThread


def matches(data: object) -> bool:
    """``{"comments": [...]}`` (v3), ``{"items": [...]}`` (v4) or a bare list of views."""
    views = _raw_views(data)
    if isinstance(data, dict):
        return isinstance(views, list) and (not views or _is_view(views[0]))
    return bool(views) and _is_view(views[0])


def read(data: object) -> ParsedThread:
    views = [view for view in objects(_raw_views(data)) if _is_view(view)]
    ordered = order_by_parent(views, lambda view: as_id(view["comment"].get("id")), _parent)
    title = next(
        (as_text(mapping(view.get("post")).get("name")) for view in views if "post" in view), None
    )
    return ParsedThread(format="lemmy", records=[_record(view) for view in ordered], title=title)


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


def _record(view: dict[str, Any]) -> CommentRecord:
    comment = view["comment"]
    content = as_text(comment.get("content"))
    flagged = comment.get("deleted") is True or comment.get("removed") is True
    return CommentRecord(
        text=content or "",
        platform_id=as_id(comment.get("id")),
        parent_id=_parent(view),
        author=as_text(mapping(view.get("creator")).get("name")),
        created_at=iso_utc(comment.get("published", comment.get("published_at"))),
        is_tombstone=flagged or is_tombstone_text(content, LEMMY_TOMBSTONES),
    )
