"""What every reader shares: tombstone strings, times, ids, safe JSON access, tree order."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

Node = TypeVar("Node")

REDDIT_TOMBSTONES = frozenset({"[deleted]", "[removed]", "[ removed by reddit ]"})
LEMMY_TOMBSTONES = frozenset(
    {"deleted by creator", "removed by mod", "removed by moderator", "*permanently deleted*"}
)
HN_TOMBSTONES = frozenset({"[deleted]", "[dead]", "[flagged]"})
# Plain text, CSV and JSON Lines can come from any platform, so they know every platform's strings.
GENERIC_TOMBSTONES = REDDIT_TOMBSTONES | LEMMY_TOMBSTONES

_EPOCH = re.compile(r"-?\d+(\.\d+)?")


def is_tombstone_text(text: str | None, tombstones: frozenset[str] = GENERIC_TOMBSTONES) -> bool:
    """True when there is no text, or the whole trimmed text is one of the tombstone strings.

    "[deleted] plus more text" is a comment: only the whole text counts.
    """
    if text is None:
        return True
    trimmed = text.strip()
    return not trimmed or trimmed.casefold() in tombstones


def iso_utc(value: object) -> str | None:
    """A source's time as ISO 8601 UTC (``2024-01-02T03:04:05Z``), or None if there is none.

    Accepts epoch seconds (or milliseconds, told apart by size) as numbers or digit strings,
    and ISO 8601 with any offset; a time with no offset is taken to be UTC already.
    """
    if isinstance(value, str) and _EPOCH.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            moment = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    else:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"


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
