"""Every change a person makes: tags, links, notes, new tags, and undo/redo.

Each change is one ``BEGIN IMMEDIATE`` transaction holding both the change and its row in the
``events`` journal, so a killed process loses nothing it showed, and undo/redo (per annotator,
across restarts) is a replay of the journal rather than state kept in memory.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from store.codebook import Tag, insert_tag
from store.database import now, write
from store.errors import ThreadmarkError
from store.schema import HUMAN_LINK_KINDS

# The changes undo can reverse, each with the change that reverses it.
INVERSE = {"tag": "untag", "untag": "tag", "link": "unlink", "unlink": "link", "note": "note"}
# set_note's default: read the note as it stands before changing it.
_READ_FROM_DATABASE = object()


@dataclass(frozen=True, slots=True)
class Event:
    """One journal entry: what was done, by whom, with what it needs to be undone."""

    id: int
    action: str
    payload: dict[str, Any]

    @property
    def cluster_id(self) -> int:
        """The comment the change was about (a link's source)."""
        return self.payload.get("cluster", self.payload.get("source"))

    def describe(self, number_of: Callable[[int], int | None]) -> str:
        """A few words for the status line: "tag claim on #3", "#5 rebuts #2".

        ``number_of`` turns a comment id into the number the reader shows for it.
        """
        payload = self.payload

        def name(cluster_id: int) -> str:
            return f"#{number_of(cluster_id) or cluster_id}"

        if self.action in ("tag", "untag"):
            tag = payload.get("name", payload["tag"])
            return f"{self.action} {tag} on {name(payload['cluster'])}"
        if self.action in ("link", "unlink"):
            source, target = name(payload["source"]), name(payload["target"])
            return f"{self.action} {source} {payload['kind']} {target}"
        return f"note on {name(payload['cluster'])}"


def toggle_tag(db: sqlite3.Connection, cluster_id: int, tag_id: int, annotator: str) -> bool:
    """Tag the comment, or untag it if this annotator had already tagged it; True if tagged now.

    A deleted comment (a tombstone) has no words to code, so it cannot be tagged; links to
    it stay allowed, since replies point at it.
    """
    with write(db):
        _require_comments(db, cluster_id)
        tagged = _has_tag(db, cluster_id, tag_id, annotator)
        if not tagged and _is_tombstone(db, cluster_id):
            raise ThreadmarkError("a deleted comment has no text to tag")
        name = db.execute("SELECT name FROM tags WHERE id = ?", (tag_id,)).fetchone()
        if name is None:
            raise ThreadmarkError(f"there is no tag {tag_id}")
        payload = {"cluster": cluster_id, "tag": tag_id, "name": name[0]}
        _record_and_apply(db, annotator, "untag" if tagged else "tag", payload)
    return not tagged


def add_link(
    db: sqlite3.Connection,
    source: int,
    target: int,
    kind: str,
    annotator: str,
    note: str = "",
) -> bool:
    """Link ``source`` to ``target`` ("#5 rebuts #2"); False if this annotator already had it."""
    if kind not in HUMAN_LINK_KINDS:
        raise ThreadmarkError(f"unknown link kind {kind!r} (use {', '.join(HUMAN_LINK_KINDS)})")
    if source == target:
        raise ThreadmarkError("a comment cannot be linked to itself")
    payload = {"source": source, "target": target, "kind": kind, "note": note}
    with write(db):
        _require_comments(db, source, target)
        if _has_link(db, payload, annotator):
            return False
        _record_and_apply(db, annotator, "link", payload)
    return True


def remove_link(
    db: sqlite3.Connection, source: int, target: int, kind: str, annotator: str
) -> bool:
    """Remove this annotator's link; False if there was none."""
    with write(db):
        row = db.execute(
            "SELECT note FROM links WHERE source_cluster = ? AND target_cluster = ? AND kind = ? "
            "AND annotator = ?",
            (source, target, kind, annotator),
        ).fetchone()
        if row is None:
            return False
        payload = {"source": source, "target": target, "kind": kind, "note": row[0]}
        _record_and_apply(db, annotator, "unlink", payload)
    return True


def set_note(
    db: sqlite3.Connection,
    cluster_id: int,
    annotator: str,
    text: str,
    *,
    original: str | object | None = _READ_FROM_DATABASE,
) -> None:
    """Replace this annotator's note on the comment; an empty note removes it.

    An editor that saved drafts while the user typed passes the note as it was before
    editing as ``original``, so the journal (and undo) holds one change, not one per key.
    """
    after = _stored_note(text)
    with write(db):
        _require_comments(db, cluster_id)
        before = (
            note_text(db, cluster_id, annotator) if original is _READ_FROM_DATABASE else original
        )
        if before == after:
            _apply(db, annotator, "note", {"cluster": cluster_id, "after": after})
            return
        payload = {"cluster": cluster_id, "before": before, "after": after}
        _record_and_apply(db, annotator, "note", payload)


def save_note_draft(db: sqlite3.Connection, cluster_id: int, annotator: str, text: str) -> None:
    """Store the note as it is being typed (not journaled): a killed editor loses one key."""
    with write(db):
        _apply(db, annotator, "note", {"cluster": cluster_id, "after": _stored_note(text)})


def note_text(db: sqlite3.Connection, cluster_id: int, annotator: str) -> str | None:
    row = db.execute(
        "SELECT text FROM notes WHERE cluster_id = ? AND annotator = ?", (cluster_id, annotator)
    ).fetchone()
    return row[0] if row else None


def create_tag(
    db: sqlite3.Connection, name: str, annotator: str, *, color: str | None = None
) -> Tag:
    """Add a tag to the codebook.  Journaled for the audit trail, but not undone by ``z``."""
    with write(db):
        tag = insert_tag(db, name, color=color)
        _journal(db, annotator, "create_tag", {"tag": tag.id, "name": tag.name})
    return tag


def undo(db: sqlite3.Connection, annotator: str) -> Event | None:
    """Reverse this annotator's latest change not yet undone; None if there is nothing to undo."""
    return _step(db, annotator, "undo")


def redo(db: sqlite3.Connection, annotator: str) -> Event | None:
    """Repeat the change this annotator undid last; None if there is nothing to redo."""
    return _step(db, annotator, "redo")


def _step(db: sqlite3.Connection, annotator: str, direction: str) -> Event | None:
    """Undo or redo one change, and journal that it was undone or redone."""
    with write(db):
        done, undone = _replay(db, annotator)
        stack = done if direction == "undo" else undone
        if not stack:
            return None
        event = stack[-1]
        if direction == "undo":
            _apply(db, annotator, INVERSE[event.action], _inverse_payload(event))
        else:
            _apply(db, annotator, event.action, event.payload)
        _journal(db, annotator, direction, {"event": event.id})
    return event


def _replay(db: sqlite3.Connection, annotator: str) -> tuple[list[Event], list[Event]]:
    """Walk the journal to find the undo stack and the redo stack as they stand now."""
    done: list[Event] = []
    undone: list[Event] = []
    rows = db.execute(
        "SELECT id, action, payload FROM events WHERE annotator = ? ORDER BY id", (annotator,)
    )
    for event_id, action, payload in rows:
        event = Event(event_id, action, json.loads(payload))
        if action in INVERSE:
            done.append(event)
            undone.clear()
        elif action == "undo" and done:
            undone.append(done.pop())
        elif action == "redo" and undone:
            done.append(undone.pop())
    return done, undone


def _inverse_payload(event: Event) -> dict[str, Any]:
    if event.action == "note":
        return {**event.payload, "before": event.payload["after"], "after": event.payload["before"]}
    return event.payload


def _record_and_apply(
    db: sqlite3.Connection, annotator: str, action: str, payload: dict[str, Any]
) -> None:
    _apply(db, annotator, action, payload)
    _journal(db, annotator, action, payload)


def _journal(db: sqlite3.Connection, annotator: str, action: str, payload: dict) -> None:
    db.execute(
        "INSERT INTO events (annotator, created_at, action, payload) VALUES (?, ?, ?, ?)",
        (annotator, now(), action, json.dumps(payload, ensure_ascii=False, sort_keys=True)),
    )


def _apply(db: sqlite3.Connection, annotator: str, action: str, payload: dict) -> None:
    """Make one change in the tables (the caller holds the transaction and writes the event)."""
    if action == "tag":
        db.execute(
            "INSERT OR IGNORE INTO annotations (cluster_id, tag_id, annotator, created_at) "
            "VALUES (?, ?, ?, ?)",
            (payload["cluster"], payload["tag"], annotator, now()),
        )
    elif action == "untag":
        db.execute(
            "DELETE FROM annotations WHERE cluster_id = ? AND tag_id = ? AND annotator = ?",
            (payload["cluster"], payload["tag"], annotator),
        )
    elif action == "link":
        db.execute(
            "INSERT OR IGNORE INTO links (source_cluster, target_cluster, kind, note, annotator, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                payload["source"],
                payload["target"],
                payload["kind"],
                payload["note"],
                annotator,
                now(),
            ),
        )
    elif action == "unlink":
        db.execute(
            "DELETE FROM links WHERE source_cluster = ? AND target_cluster = ? AND kind = ? "
            "AND annotator = ?",
            (payload["source"], payload["target"], payload["kind"], annotator),
        )
    elif action == "note":
        if payload["after"] is None:
            db.execute(
                "DELETE FROM notes WHERE cluster_id = ? AND annotator = ?",
                (payload["cluster"], annotator),
            )
        else:
            db.execute(
                "INSERT INTO notes (cluster_id, annotator, text, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (cluster_id, annotator) DO UPDATE SET text = excluded.text, "
                "updated_at = excluded.updated_at",
                (payload["cluster"], annotator, payload["after"], now()),
            )
    else:
        raise ValueError(f"no such change: {action}")


def _stored_note(text: str) -> str | None:
    """A note as stored: None (no note) when it holds nothing but whitespace."""
    return text if text.strip() else None


def _require_comments(db: sqlite3.Connection, *cluster_ids: int) -> None:
    for cluster_id in cluster_ids:
        if db.execute("SELECT 1 FROM clusters WHERE id = ?", (cluster_id,)).fetchone() is None:
            raise ThreadmarkError(f"there is no comment with id {cluster_id}")


def _is_tombstone(db: sqlite3.Connection, cluster_id: int) -> bool:
    row = db.execute("SELECT is_tombstone FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
    return bool(row and row[0])


def _has_tag(db: sqlite3.Connection, cluster_id: int, tag_id: int, annotator: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM annotations WHERE cluster_id = ? AND tag_id = ? AND annotator = ?",
            (cluster_id, tag_id, annotator),
        ).fetchone()
        is not None
    )


def _has_link(db: sqlite3.Connection, payload: dict, annotator: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM links WHERE source_cluster = ? AND target_cluster = ? AND kind = ? "
            "AND annotator = ?",
            (payload["source"], payload["target"], payload["kind"], annotator),
        ).fetchone()
        is not None
    )
