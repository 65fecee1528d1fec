"""Small pieces of SQL that queries, stats and exports share."""

from __future__ import annotations

from collections.abc import Iterable

from store.schema import HUMAN_LINK_KINDS, STRUCTURAL_LINK_KINDS


def quoted_list(values: Iterable[str]) -> str:
    """``'a', 'b'`` for an ``IN (...)`` of constants known in the code (never user text)."""
    return ", ".join(f"'{value}'" for value in values)


HUMAN_KINDS = quoted_list(HUMAN_LINK_KINDS)
# The codebook's one order (tags aliased ``t``): hotkeys 1-9 first, then the rest by name.
CODEBOOK_ORDER = "t.hotkey IS NULL, t.hotkey, t.name COLLATE NOCASE"
STRUCTURAL_KINDS = quoted_list(STRUCTURAL_LINK_KINDS)


def in_thread(column: str, thread_id: int | None) -> str:
    """A condition for one thread (bound as ``:thread``), or for all when ``thread_id`` is None.

    Spelled out in Python: ``(:thread IS NULL OR col = :thread)`` stops SQLite using the index.
    """
    return "1" if thread_id is None else f"{column} = :thread"


def in_id_range(column: str, ids: tuple[int, int] | None) -> str:
    """A condition for the ids ``low..high`` (written in: they are ints), or for all when
    ``ids`` is None: the part of a table one process writes while another writes the rest."""
    if ids is None:
        return "1"
    low, high = ids
    return f"{column} BETWEEN {int(low)} AND {int(high)}"
