"""Hacker News, in each shape its APIs and dumps come in.

- An Algolia item (``/api/v1/items/<id>``): typed items, comments nested in ``children``.
- Algolia search results (``/api/v1/search?tags=comment,story_<id>``): ``hits``, each a
  comment (``comment_text``, ``parent_id``) or a story (``_tags`` holding "story").
- Firebase items (``/v0/item/<id>.json``), or a flat dump of items (``id``, ``author``,
  ``text``, ``parent``): a list, linked by ``kids`` where items have them, else by ``parent``.
- A node-hnapi item (``/item/<id>``): the story, comments nested in ``comments``, each with
  ``user``, ``content`` and ``time_ago``.

In all of them the story gives the title and is not a comment (a reply to it is top level);
without the story, a comment's ``story_title`` gives the title.  Comment text is HTML.  The
thread's key is the story's id (``hn:123``): the story's own, else the ``story_id`` that
Algolia gives each comment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from store.readers.common import (
    HN_TOMBSTONES,
    Times,
    as_id,
    as_text,
    depth_first,
    is_tombstone_text,
    mapping,
    objects,
    order_by_parent,
)
from store.readers.html import html_to_text
from store.records import CommentRecord, ParsedThread

SHAPE = (
    "an Algolia item (type, children), Algolia search results (hits, each with objectID), "
    "a list of items (id with type, kids or parent) or a node-hnapi item (comments, time_ago)"
)
TEXT_FIELD = "text (Algolia hits: comment_text; node-hnapi: content)"
ITEM_TYPES = frozenset({"story", "comment", "job", "poll", "pollopt"})
STORY_TYPES = frozenset({"story", "job", "poll"})
STORY_TAG = "story"  # among an Algolia hit's _tags; its comments carry "story_<id>"

Item = dict[str, Any]


def matches(data: object) -> bool:
    if isinstance(data, dict):
        return _is_algolia_item(data) or _is_search(data) or _is_hnapi_item(data)
    if isinstance(data, list) and data:
        first = mapping(data[0])
        return (
            "id" in first
            and "children" not in first
            and (_type(first) in ITEM_TYPES or "kids" in first or "parent" in first)
        )
    return False


def read(data: object) -> ParsedThread:
    times = Times()
    if not isinstance(data, dict):
        return _read_items(objects(data), times)
    if _is_search(data):
        return _read_search(objects(data["hits"]), times)
    if _is_hnapi_item(data):
        return _read_hnapi(data, times)
    return _read_algolia(data, times)


def _is_algolia_item(data: Item) -> bool:
    return _type(data) in ITEM_TYPES and isinstance(data.get("children"), list)


def _is_search(data: Item) -> bool:
    hits = data.get("hits")
    return isinstance(hits, list) and (not hits or "objectID" in mapping(hits[0]))


def _is_hnapi_item(data: Item) -> bool:
    return "time_ago" in data and isinstance(data.get("comments"), list)


def _read_algolia(root: Item, times: Times) -> ParsedThread:
    """A story's comments are its children; an item that is itself a comment is one too."""
    is_story = _type(root) in STORY_TYPES
    top_level = objects(root.get("children")) if is_story else [root]
    walk = depth_first(top_level, lambda item: objects(item.get("children")), key=id)
    story_id = as_id(root.get("id")) if is_story else None
    key = story_id or as_id(root.get("story_id"))
    records = [
        _record(
            item,
            html=item.get("text"),
            platform_id=item.get("id"),
            parent=_outside(as_id(item.get("parent_id")), story_id),
            author=item.get("author"),
            time=item.get("created_at_i", item.get("created_at")),
            times=times,
        )
        for item in walk
    ]
    return _thread(records, root if is_story else None, [root], key, times)


def _read_search(hits: list[Item], times: Times) -> ParsedThread:
    """Hits come in ranking order: the tree is rebuilt from ``parent_id``."""
    story = next((hit for hit in hits if _is_story_hit(hit)), None)
    comments = [hit for hit in hits if not _is_story_hit(hit)]
    story_id = as_id(story.get("objectID")) if story else None

    def parent(hit: Item) -> str | None:
        return _outside(as_id(hit.get("parent_id")), story_id or as_id(hit.get("story_id")))

    ordered = order_by_parent(comments, lambda hit: as_id(hit.get("objectID")), parent)
    records = [
        _record(
            hit,
            html=hit.get("comment_text"),
            platform_id=hit.get("objectID"),
            parent=parent(hit),
            author=hit.get("author"),
            time=hit.get("created_at_i", hit.get("created_at")),
            times=times,
        )
        for hit in ordered
    ]
    key = story_id or next(filter(None, (as_id(hit.get("story_id")) for hit in comments)), None)
    return _thread(records, story, comments, key, times)


def _read_items(items: list[Item], times: Times) -> ParsedThread:
    """Depth first along ``kids`` (or, for an item without, the items naming it ``parent``);
    comments that no story reaches follow, parents before replies."""
    story = next((item for item in items if _is_story_item(item)), None)
    story_id = as_id(story.get("id")) if story else None
    comments_by_id: dict[str | None, list[Item]] = {}
    replies_by_parent: defaultdict[str | None, list[str | None]] = defaultdict(list)
    for item in items:
        if _is_story_item(item) or _type(item) == "pollopt":
            continue
        comment_id = as_id(item.get("id"))
        if comment_id not in comments_by_id:
            replies_by_parent[as_id(item.get("parent"))].append(comment_id)
        comments_by_id.setdefault(comment_id, []).append(item)

    def kids(item: Item | None) -> list[str | None]:
        item = mapping(item)
        listed = item.get("kids")
        if not isinstance(listed, list):
            return replies_by_parent.get(as_id(item.get("id")), [])
        return [kid for kid in map(as_id, listed) if kid in comments_by_id]

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
            html=item.get("text"),
            platform_id=item.get("id"),
            parent=_outside(as_id(item.get("parent")), story_id),
            author=item.get("by", item.get("author")),
            time=item.get("time", item.get("created_at")),
            times=times,
        )
        for comment_id in walk
        for item in comments_by_id[comment_id]
    ]
    return _thread(records, story, items, story_id, times)


def _read_hnapi(root: Item, times: Times) -> ParsedThread:
    """Each comment's parent is the comment it is nested in; top-level ones reply to the
    story, unless the item is itself a comment (type "comment")."""
    is_story = _type(root) != "comment"
    top_level = objects(root.get("comments")) if is_story else [root]

    def replies(pair: tuple[Item, str | None]) -> list[tuple[Item, str | None]]:
        item, _ = pair
        return [(reply, as_id(item.get("id"))) for reply in objects(item.get("comments"))]

    walk = depth_first([(item, None) for item in top_level], replies, key=lambda pair: id(pair[0]))
    records = [
        _record(
            item,
            html=item.get("content"),
            platform_id=item.get("id"),
            parent=parent,
            author=item.get("user"),
            time=item.get("time"),
            times=times,
        )
        for item, parent in walk
    ]
    key = as_id(root.get("id")) if is_story else None
    return _thread(records, root if is_story else None, [root], key, times)


def _type(item: Item) -> str | None:
    """The item's type; a non-string there is no type (and must not reach a set lookup)."""
    return as_text(item.get("type"))


def _is_story_hit(hit: Item) -> bool:
    tags = hit.get("_tags")
    return isinstance(tags, list) and STORY_TAG in tags


def _is_story_item(item: Item) -> bool:
    """A story by its type or, in a dump without types, by a title and no parent."""
    kind = _type(item)
    if kind is not None:
        return kind in STORY_TYPES
    return bool(as_text(item.get("title"))) and item.get("parent") is None


def _outside(parent: str | None, story_id: str | None) -> str | None:
    """A reply to the story is top level."""
    return None if parent is not None and parent == story_id else parent


def _thread(
    records: list[CommentRecord],
    story: Item | None,
    items: Iterable[Item],
    story_id: str | None,
    times: Times,
) -> ParsedThread:
    """The thread's title is its story's, else the first ``story_title`` its items carry;
    its key is ``story_id``'s."""
    if story is not None:
        title = as_text(story.get("title"))
    else:
        titles = (as_text(mapping(item).get("story_title")) for item in items)
        title = next((title for title in titles if title), None)
    return ParsedThread(
        format="hn",
        records=records,
        title=title,
        warnings=times.warnings(),
        thread_key=f"hn:{story_id}" if story_id else None,
    )


def _record(
    item: Item,
    *,
    html: object,
    platform_id: object,
    parent: str | None,
    author: object,
    time: object,
    times: Times,
) -> CommentRecord:
    """Deleted and dead items, and items with no text, are tombstones."""
    text = html_to_text(html) if isinstance(html, str) else None
    flagged = item.get("deleted") is True or item.get("dead") is True
    return CommentRecord(
        text=text or "",
        platform_id=as_id(platform_id),
        parent_id=parent,
        author=as_text(author),
        created_at=times.iso_utc(time),
        is_tombstone=flagged or is_tombstone_text(text, HN_TOMBSTONES),
    )
