"""What every reader shares: tombstone strings, times, ids, safe JSON access, tree order."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

from store.errors import ThreadmarkError
from store.records import CommentRecord

Node = TypeVar("Node")

REDDIT_TOMBSTONES = frozenset({"[deleted]", "[removed]", "[ removed by reddit ]"})
LEMMY_TOMBSTONES = frozenset(
    {"deleted by creator", "removed by mod", "removed by moderator", "*permanently deleted*"}
)
HN_TOMBSTONES = frozenset({"[deleted]", "[dead]", "[flagged]"})
# Plain text, CSV and JSON Lines can come from any platform, so they know every platform's strings.
GENERIC_TOMBSTONES = REDDIT_TOMBSTONES | LEMMY_TOMBSTONES

_EPOCH = re.compile(r"-?\d+(\.\d+)?")
# Epoch numbers this large are milliseconds: as seconds they would be past the year 5000.
EPOCH_MILLISECONDS = 1e11


def is_tombstone_text(text: str | None, tombstones: frozenset[str] = GENERIC_TOMBSTONES) -> bool:
    """True when there is no text, or the whole trimmed text is one of the tombstone strings.

    "[deleted] plus more text" is a comment: only the whole text counts.
    """
    if text is None:
        return True
    trimmed = text.strip()
    return not trimmed or trimmed.casefold() in tombstones


class UnreadableTime(ValueError):
    """A source gives a time, but not one that can be read: malformed, or out of range."""


def iso_utc(value: object) -> str | None:
    """A source's time as ISO 8601 UTC (``2024-01-02T03:04:05Z``), or None if it gives none.

    Accepts epoch seconds (or milliseconds, told apart by size) as numbers or digit strings,
    and ISO 8601 with any offset; a time with no offset is taken to be UTC already.  A time
    with milliseconds keeps them (``03:04:05.123Z``); one in whole seconds stays in seconds.
    Raises :class:`UnreadableTime` for a time given but unreadable ("yesterday", year 0 or
    10000 once in UTC, NaN, 1e300): readers count those through :class:`Times`.
    """
    if type(value) is int and 0 <= value < EPOCH_MILLISECONDS:
        # Whole epoch seconds, the time of most platforms' JSON (Reddit, Hacker News): a
        # million of them are read in a third of the time without a datetime.
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        moment = _moment(value).astimezone(UTC)
    except (OverflowError, OSError, ValueError):  # ValueError includes UnreadableTime
        raise UnreadableTime(value) from None
    timespec = "milliseconds" if moment.microsecond >= 1000 else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def _moment(value: object) -> datetime:
    """The moment ``value`` names, raising OverflowError, OSError or ValueError if none."""
    if isinstance(value, str) and _EPOCH.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= EPOCH_MILLISECONDS else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(value, str):
        moment = datetime.fromisoformat(value.strip())
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise UnreadableTime(value)


class Times:
    """The times of one read, each as :func:`iso_utc` gives it, counting those unreadable.

    A comment whose time cannot be read is still a comment: it is kept with no time, and the
    read says so once (:meth:`warnings`), not once per comment.
    """

    def __init__(self) -> None:
        self.unreadable = 0

    def iso_utc(self, value: object) -> str | None:
        try:
            return iso_utc(value)
        except UnreadableTime:
            self.unreadable += 1
            return None

    def warnings(self) -> list[str]:
        if not self.unreadable:
            return []
        have = "1 comment has" if self.unreadable == 1 else f"{self.unreadable} comments have"
        return [
            f"{have} a time that cannot be read (out of range or malformed); kept without a time"
        ]


def split_lines(content: str) -> list[str]:
    """A text file's lines: ``\\n`` or ``\\r\\n`` ends one, and so does a lone ``\\r`` in a
    file with no ``\\n`` at all (as old Macs saved text).

    Other Unicode line breaks stay inside the line, and so does a lone ``\\r`` in a file that
    has newlines: there it is part of the text.
    """
    if "\n" not in content:
        return content.split("\r")
    return content.replace("\r\n", "\n").split("\n")


def require_text(records: list[CommentRecord], name: str, format: str, where: str) -> None:
    """Refuse a read in which every comment came out empty.

    It read the wrong field or column (a platform that renamed one, a CSV whose text is
    elsewhere): imported, it would be a thread of tombstones and no word of why.
    """
    if records and not any(record.text.strip() for record in records):
        raise ThreadmarkError(
            f"{name}: every comment came out empty, read as {format} with the text in {where}"
        )


def as_id(value: object) -> str | None:
    """A platform id as a string; None when missing, empty or not a string or integer."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value if isinstance(value, str) and value else None


def as_text(value: object) -> str | None:
    """A string field, or None when the source holds anything else there."""
    return value if isinstance(value, str) else None


def mapping(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one, so odd JSON never raises."""
    return value if isinstance(value, dict) else {}


def objects(value: object) -> list[dict[str, Any]]:
    """The JSON objects in ``value`` if it is a list (anything else in it is skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def depth_first(
    roots: Iterable[Node],
    children_of: Callable[[Node], Iterable[Node]],
    key: Callable[[Node], Hashable] = lambda node: node,
) -> Iterator[Node]:
    """Yield a forest in reading order, each node once.

    Iterative, so a deep thread cannot overflow the stack, and each node is yielded once, so a
    malformed reply graph with a cycle still ends.  ``key`` makes nodes hashable (``id`` for
    JSON objects).
    """
    seen: set[Hashable] = set()
    stack = [iter(roots)]
    while stack:
        for node in stack[-1]:
            if key(node) not in seen:
                seen.add(key(node))
                yield node
                stack.append(iter(children_of(node)))
                break
        else:
            stack.pop()


def order_by_parent(
    items: list[Node],
    id_of: Callable[[Node], str | None],
    parent_of: Callable[[Node], str | None],
) -> list[Node]:
    """Items from a flat list with parent links, depth first, siblings in file order.

    An item whose parent is not in the list starts a tree; items caught in a cycle follow in
    file order.  Every item is kept, including repeats of an id (their replies follow the first).
    """
    ids = [id_of(item) for item in items]
    present = set(ids)
    children: defaultdict[str | None, list[int]] = defaultdict(list)
    roots: list[int] = []
    for index, item in enumerate(items):
        parent = parent_of(item)
        if parent is None or parent not in present or parent == ids[index]:
            roots.append(index)
        else:
            children[parent].append(index)
    everything_else = range(len(items))
    walk = depth_first([*roots, *everything_else], lambda index: children.pop(ids[index], ()))
    return [items[index] for index in walk]
