"""From a unit's name as people type it (``4``, ``4.2``, ``4.2-3``, ``4:10-52``) to the unit.

The names are the reader's (see store.segments): the number is the comment's in its thread,
a dot its sentences, a colon a range of code points.  The link picker's parser
(:func:`store.linking.named_unit`) reads them; this finds what they name in one thread, or
says in one line why nothing is, for scripts that name units rather than pick them.
"""

from __future__ import annotations

import sqlite3

from store.errors import ThreadmarkError
from store.linking import named_unit
from store.segments import Unit, as_unit
from store.sentences import sentences_of

UNIT_FORMS = "4, 4.2, 4.2-3 or 4:10-52"


def unit_in_thread(db: sqlite3.Connection, thread_id: int, name: str) -> Unit:
    """The unit ``name`` (with or without its ``#``) names in the thread.

    A range that holds all of a comment's words is the comment (as in the reader), and a
    deleted comment has no sentences or ranges, only itself.
    """
    wanted = named_unit(name if name.lstrip().startswith("#") else f"#{name}")
    if wanted is None or wanted.listing:
        raise ThreadmarkError(f"{name!r} names no comment: a comment is {UNIT_FORMS}")
    row = db.execute(
        "SELECT id, text, is_tombstone FROM clusters WHERE thread_id = ? AND seq = ?",
        (thread_id, wanted.number),
    ).fetchone()
    if row is None:
        (count,) = db.execute(
            "SELECT count(*) FROM clusters WHERE thread_id = ?", (thread_id,)
        ).fetchone()
        raise ThreadmarkError(
            f"thread {thread_id} has no comment #{wanted.number} (its comments are #1 to #{count})"
        )
    cluster_id, text, tombstone = row
    comment = f"#{wanted.number}"
    if wanted.span is None and wanted.sentences is None:
        return Unit(cluster_id)
    if tombstone:
        raise ThreadmarkError(f"{comment} is a deleted comment: it has no sentences or ranges")
    if wanted.sentences is not None:
        spans = sentences_of(text)
        first, last = wanted.sentences
        if not 1 <= first <= last <= len(spans):
            count = f"{len(spans)} sentence{'' if len(spans) == 1 else 's'}"
            raise ThreadmarkError(f"{comment} has {count}: no {name.strip()}")
        span = (spans[first - 1][0], spans[last - 1][1])
    else:
        span = wanted.span
        start, end = span
        if not start < end <= len(text):
            raise ThreadmarkError(
                f"{comment} is {len(text)} characters long: {name.strip()} is not a range of "
                "them (start before end, end at most the length)"
            )
    return as_unit(cluster_id, text, span)
