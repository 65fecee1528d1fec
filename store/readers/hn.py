"""Hacker News: an Algolia item tree, or a list of Firebase items.

Algolia (``/api/v1/items/<id>``) nests comments in ``children``; Firebase
(``/v0/item/<id>.json``) gives flat items linked by ``kids``.  In both the story gives the
title and is not a comment.  Comment text is HTML.
"""

from __future__ import annotations

from typing import Any

from store.readers.common import (
    HN_TOMBSTONES,
    as_id,
    as_text,
    depth_first,
    is_tombstone_text,
    iso_utc,
    mapping,
    objects,
)
from store.readers.html import html_to_text
from store.records import CommentRecord, ParsedThread

ITEM_TYPES = frozenset({"story", "comment", "job", "poll", "pollopt"})
STORY_TYPES = frozenset({"story", "job", "poll"})


def matches(data: object) -> bool:
    """An Algolia item (a typed object with ``children``) or a list of Firebase items."""
    if isinstance(data, dict):
        return _type(data) in ITEM_TYPES and isinstance(data.get("children"), list)
    if isinstance(data, list) and data:
        first = mapping(data[0])
        return _type(first) in ITEM_TYPES and "id" in first and "children" not in first
    return False


def read(data: object) -> ParsedThread:
    if isinstance(data, dict):
        return _read_algolia(data)
    return _read_firebase(objects(data))


def _read_algolia(root: dict[str, Any]) -> ParsedThread:
    """A story's comments are its children; an item that is itself a comment is one too."""
    is_story = _type(root) in STORY_TYPES
    top_level = objects(root.get("children")) if is_story else [root]
    walk = depth_first(top_level, lambda item: objects(item.get("children")), key=id)
    story_id = as_id(root.get("id")) if is_story else None
    records = [
        _record(
            item,
            parent=as_id(item.get("parent_id")),
            story_id=story_id,
            author=item.get("author"),
            time=item.get("created_at_i", item.get("created_at")),
        )
        for item in walk
    ]
    title = as_text(root.get("title")) if is_story else None
    return ParsedThread(format="hn", records=records, title=title)


def _read_firebase(items: list[dict[str, Any]]) -> ParsedThread:
    """Depth first along ``kids``; comments no ``kids`` reach follow, parents before replies."""
    story = next((item for item in items if _type(item) in STORY_TYPES), None)
    story_id = as_id(story.get("id")) if story else None
    comments_by_id: dict[str | None, list[dict[str, Any]]] = {}
    for item in items:
        if _type(item) not in STORY_TYPES | {"pollopt"}:
            comments_by_id.setdefault(as_id(item.get("id")), []).append(item)

    def kids(item: dict[str, Any] | None) -> list[str | None]:
        listed = mapping(item).get("kids")
        ids = [as_id(kid) for kid in listed] if isinstance(listed, list) else []
        return [kid for kid in ids if kid in comments_by_id]

    def has_parent_here(comment_id: str | None) -> bool:
        parent = as_id(comments_by_id[comment_id][0].get("parent"))
        return parent is not None and parent in comments_by_id

    unreached_in_order = sorted(comments_by_id, key=has_parent_here)
    walk = depth_first(
        [*kids(story), *unreached_in_order], lambda comment_id: kids(comments_by_id[comment_id][0])
    )
    records = [
        _record(
            item,
            parent=as_id(item.get("parent")),
            story_id=story_id,
            author=item.get("by"),
            time=item.get("time"),
        )
        for comment_id in walk
        for item in comments_by_id[comment_id]
    ]
    title = as_text(story.get("title")) if story else None
    return ParsedThread(format="hn", records=records, title=title)


def _type(item: dict[str, Any]) -> str | None:
    """The item's type; a non-string there is no type (and must not reach a set lookup)."""
    return as_text(item.get("type"))


def _record(
    item: dict[str, Any], *, parent: str | None, story_id: str | None, author: object, time: object
) -> CommentRecord:
    """Deleted and dead items, and items with no text, are tombstones."""
    html = as_text(item.get("text"))
    text = html_to_text(html) if html is not None else None
    flagged = item.get("deleted") is True or item.get("dead") is True
    return CommentRecord(
        text=text or "",
        platform_id=as_id(item.get("id")),
        parent_id=None if parent == story_id else parent,
        author=as_text(author),
        created_at=iso_utc(time),
        is_tombstone=flagged or is_tombstone_text(text, HN_TOMBSTONES),
    )
