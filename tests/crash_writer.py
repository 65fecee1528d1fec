"""A threadmark process for tests/test_crash.py to kill: it annotates a thread in a loop.

    python -m tests.crash_writer DB ANNOTATOR SEED

Changes a small pool of comments (so tags are toggled off as often as on, and segments are
made and dropped) through the public store API, one change after another until it is killed.
It prints ``{"state": "ready"}`` once the database is open, then for each change one JSON line
before the store call (``"doing"``) and the same change after the call has returned
(``"done"``), each flushed at once: a change printed "done" is acknowledged, and a "doing"
without its "done" is the change in flight when the kill came, which may or may not have
committed.

Imports only ``store``: it starts in a fifth of a second, so thirty kills stay cheap.
"""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

from store import add_link, open_database, set_note, toggle_tag
from store.schema import HUMAN_LINK_KINDS
from store.sentences import sentences_of

POOL = 8  # comments changed: few enough that changes soon meet earlier ones
TAGS = 3
Change = dict[str, Any]


def pool_units(db: sqlite3.Connection, rng: random.Random) -> list[tuple[int, list[int] | None]]:
    """The comments of the pool, each whole and by its first two sentences."""
    comments = db.execute("SELECT id, text FROM clusters WHERE NOT is_tombstone").fetchall()
    units: list[tuple[int, list[int] | None]] = []
    for cluster_id, text in rng.sample(comments, min(POOL, len(comments))):
        units.append((cluster_id, None))
        units += [(cluster_id, list(span)) for span in sentences_of(text)[:2]]
    return units


def random_changes(db: sqlite3.Connection, rng: random.Random) -> Iterator[Change]:
    """Endless changes: mostly tag toggles, some links (with or without a note), some notes
    (an empty one removes the note), each on a whole comment or a sentence of it."""
    units = pool_units(db, rng)
    tag_ids = [row[0] for row in db.execute("SELECT id FROM tags ORDER BY id LIMIT ?", (TAGS,))]
    for count in itertools.count(1):
        roll = rng.random()
        cluster_id, span = rng.choice(units)
        if roll < 0.7:
            yield {
                "change": "toggle",
                "cluster": cluster_id,
                "span": span,
                "tag": rng.choice(tag_ids),
            }
        elif roll < 0.85:
            target, target_span = rng.choice(units)
            if (target, target_span) != (cluster_id, span):  # a unit cannot link to itself
                yield {
                    "change": "link",
                    "source": cluster_id,
                    "source_span": span,
                    "target": target,
                    "target_span": target_span,
                    "kind": rng.choice(HUMAN_LINK_KINDS),
                    "note": rng.choice(("", f"link {count}")),
                }
        else:
            text = rng.choice(("", f"note {count} ✓"))
            yield {"change": "note", "cluster": cluster_id, "span": span, "text": text}


def perform(db: sqlite3.Connection, annotator: str, change: Change) -> None:
    """Make ``change`` with the store call a reader key would make."""
    if change["change"] == "toggle":
        toggle_tag(db, change["cluster"], change["tag"], annotator, _span(change["span"]))
    elif change["change"] == "link":
        add_link(
            db,
            change["source"],
            change["target"],
            change["kind"],
            annotator,
            change["note"],
            source_span=_span(change["source_span"]),
            target_span=_span(change["target_span"]),
        )
    else:
        set_note(db, change["cluster"], annotator, change["text"], span=_span(change["span"]))


def _span(span: list[int] | None) -> tuple[int, int] | None:
    return None if span is None else (span[0], span[1])


def say(line: Change) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


def main(db_path: str, annotator: str, seed: str) -> None:
    db = open_database(db_path)
    say({"state": "ready"})
    for change in random_changes(db, random.Random(seed)):
        say({"state": "doing", **change})
        perform(db, annotator, change)
        say({"state": "done", **change})


if __name__ == "__main__":
    main(*sys.argv[1:])
