"""Reddit: the JSON of a thread page (``.../comments/<id>.json``).

That is two Listings: the first holds the post (t3), whose title is the thread's title and
which is not a comment; the second holds the comments (t1), each with its ``replies`` as a
nested Listing (or ""). ``more`` stubs are links to comments not loaded, so they are skipped.
The thread's key is the post's fullname (``reddit:t3_abc``), from the post or, in a Listing
of comments alone, from their ``link_id``.

Reddit's JSON escapes ``&``, ``<`` and ``>`` in a comment's markdown ``body`` (and in titles)
as HTML does: they are unescaped here, so a ``> quote`` line is a quote line again.
``body_html`` (escaped HTML) is read only when there is no ``body``.
"""

from __future__ import annotations

from typing import Any

from store.readers.common import (
    REDDIT_TOMBSTONES,
    Times,
    as_id,
    as_text,
    depth_first,
    is_tombstone_text,
    mapping,
    objects,
)
from store.readers.html import html_to_text, unescape
from store.records import CommentRecord, ParsedThread

SHAPE = "a Listing (kind, data.children) or a list of them, comments being t1 things"
TEXT_FIELD = "data.body of each t1"


def matches(data: object) -> bool:
    """A Listing, or a list of them."""
    listings = data if isinstance(data, list) else [data]
    return bool(listings) and all(mapping(item).get("kind") == "Listing" for item in listings)


def read(data: object) -> ParsedThread:
    title = post = None
    top_level: list[dict[str, Any]] = []
    for listing in data if isinstance(data, list) else [data]:
        for thing in _things(listing):
            if thing.get("kind") == "t3" and post is None:
                post = mapping(thing.get("data"))
                title = as_text(post.get("title"))
            elif thing.get("kind") == "t1":
                top_level.append(thing)
    times = Times()
    walk = depth_first(top_level, _replies, key=id)
    records = [_record(mapping(thing.get("data")), times) for thing in walk]
    return ParsedThread(
        format="reddit",
        records=records,
        title=unescape(title) if title is not None else None,
        warnings=times.warnings(),
        thread_key=_thread_key(post, top_level),
    )


def _thread_key(post: dict[str, Any] | None, top_level: list[dict[str, Any]]) -> str | None:
    """``reddit:t3_abc``: the post's fullname, else the post the first comment is under."""
    if post is not None:
        post_id = as_id(post.get("id"))
        fullname = as_id(post.get("name")) or (f"t3_{post_id}" if post_id else None)
    else:
        first = mapping(top_level[0].get("data")) if top_level else {}
        fullname = as_id(first.get("link_id"))
    return f"reddit:{fullname}" if fullname else None


def _things(listing: object) -> list[dict[str, Any]]:
    return objects(mapping(mapping(listing).get("data")).get("children"))


def _replies(thing: dict[str, Any]) -> list[dict[str, Any]]:
    replies = mapping(thing.get("data")).get("replies")
    return [reply for reply in _things(replies) if reply.get("kind") == "t1"]


def _record(fields: dict[str, Any], times: Times) -> CommentRecord:
    """A t1's fields as a record; a reply to the post itself is top level (no parent).

    Only the body makes a tombstone: an author of "[deleted]" alone means the account is gone
    but the comment still stands.
    """
    text = _text(fields)
    parent = as_id(fields.get("parent_id"))
    return CommentRecord(
        text=text or "",
        platform_id=as_id(fields.get("id")) or _bare(as_id(fields.get("name"))),
        parent_id=None if parent is None or parent.startswith("t3_") else _bare(parent),
        author=as_text(fields.get("author")),
        created_at=times.iso_utc(fields.get("created_utc")),
        is_tombstone=is_tombstone_text(text, REDDIT_TOMBSTONES),
    )


def _text(fields: dict[str, Any]) -> str | None:
    """The markdown body unescaped, else the text of the HTML body (escaped once more)."""
    body = as_text(fields.get("body"))
    if body is not None:
        return unescape(body)
    body_html = as_text(fields.get("body_html"))
    return html_to_text(unescape(body_html)) if body_html is not None else None


def _bare(fullname: str | None) -> str | None:
    """``t1_abc`` -> ``abc``: ids are kept bare so parents match them."""
    return fullname.removeprefix("t1_") if fullname else None
