"""Every change a person makes: tags, links, notes, new tags, and undo/redo.

Each change is one ``BEGIN IMMEDIATE`` transaction holding both the change and its row in the
``events`` journal, so a killed process loses nothing it showed, and undo/redo (per annotator,
across restarts) is a replay of the journal rather than state kept in memory.

A change is on a whole comment, or on a segment of it: a ``span`` ``(start, end)`` of its text
(see store.segments).  The journal keeps spans, not segment ids, so that a segment removed
with its last tag comes back with the redo.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from store.codebook import (
    Tag,
    check_color,
    check_hotkey,
    clean_tag_name,
    get_tag,
    insert_tag,
    tag_by_name,
)
from store.database import now, write
from store.errors import ThreadmarkError
from store.schema import HUMAN_LINK_KINDS
from store.segments import Span, Unit, drop_if_unused, segment_id

# The changes undo can reverse, each with the change that reverses it.
INVERSE = {"tag": "untag", "untag": "tag", "link": "unlink", "unlink": "link", "note": "note"}
# set_note's default: read the note as it stands before changing it.
_READ_FROM_DATABASE = object()

UnitNamer = Callable[[int, Span | None], str]
"""Names a comment (by id), or a span of it, as the reader shows it: ``#4``, ``#4.2``."""


class Event(NamedTuple):
    """One journal entry: what was done, by whom, with what it needs to be undone."""

    id: int
    action: str
    payload: dict[str, Any]

    @property
    def cluster_id(self) -> int:
        """The comment the change was about (a link's source)."""
        return self.payload.get("cluster", self.payload.get("source"))

    @property
    def span(self) -> Span | None:
        """The segment of that comment the change was about, if it was not the whole."""
        return _span(self.payload.get("span", self.payload.get("source_span")))

    def describe(self, name: UnitNamer) -> str:
        """A few words for the status line: "tag claim on #3", "#5.1 rebuts #2"."""
        payload = self.payload
        if self.action in ("tag", "untag"):
            tag = payload.get("name", payload["tag"])
            return f"{self.action} {tag} on {name(payload['cluster'], self.span)}"
        if self.action in ("link", "unlink"):
            source = name(payload["source"], _span(payload.get("source_span")))
            target = name(payload["target"], _span(payload.get("target_span")))
            return f"{self.action} {source} {payload['kind']} {target}"
        return f"note on {name(payload['cluster'], self.span)}"


def toggle_tag(
    db: sqlite3.Connection,
    cluster_id: int,
    tag_id: int,
    annotator: str,
    span: Span | None = None,
) -> bool:
    """Tag the comment (or its segment ``span``), or untag it if this annotator had already
    tagged it; True if tagged now.

    A deleted comment (a tombstone) has no words to code, so it cannot be tagged; links to
    it stay allowed, since replies point at it.
    """
    with write(db):
        _require_comments(db, cluster_id)
        tagged = _has_tag(db, cluster_id, span, tag_id, annotator)
        if not tagged and _is_tombstone(db, cluster_id):
            raise ThreadmarkError("a deleted comment has no text to tag")
        name = db.execute("SELECT name FROM tags WHERE id = ?", (tag_id,)).fetchone()
        if name is None:
            raise ThreadmarkError(f"there is no tag {tag_id}")
        payload = {"cluster": cluster_id, "tag": tag_id, "name": name[0], **_spans(span=span)}
        _record_and_apply(db, annotator, "untag" if tagged else "tag", payload)
    return not tagged


def add_link(
    db: sqlite3.Connection,
    source: int,
    target: int,
    kind: str,
    annotator: str,
    note: str = "",
    *,
    source_span: Span | None = None,
    target_span: Span | None = None,
) -> bool:
    """Link ``source`` to ``target`` ("#5 rebuts #2"), either end a comment or a segment of
    it ("#5.1 rebuts #4.2"); False if this annotator already had it."""
    if kind not in HUMAN_LINK_KINDS:
        raise ThreadmarkError(f"unknown link kind {kind!r} (use {', '.join(HUMAN_LINK_KINDS)})")
    if (source, _span(source_span)) == (target, _span(target_span)):
        raise ThreadmarkError("a comment cannot be linked to itself")
    payload = {
        "source": source,
        "target": target,
        "kind": kind,
        "note": note,
        **_spans(source_span=source_span, target_span=target_span),
    }
    with write(db):
        _require_comments(db, source, target)
        if _link_note(db, payload, annotator) is not None:
            return False
        _record_and_apply(db, annotator, "link", payload)
    return True


def remove_link(
    db: sqlite3.Connection,
    source: int,
    target: int,
    kind: str,
    annotator: str,
    *,
    source_span: Span | None = None,
    target_span: Span | None = None,
) -> bool:
    """Remove this annotator's link; False if there was none."""
    payload = {
        "source": source,
        "target": target,
        "kind": kind,
        **_spans(source_span=source_span, target_span=target_span),
    }
    with write(db):
        note = _link_note(db, payload, annotator)
        if note is None:
            return False
        _record_and_apply(db, annotator, "unlink", {**payload, "note": note})
    return True


def set_note(
    db: sqlite3.Connection,
    cluster_id: int,
    annotator: str,
    text: str,
    *,
    span: Span | None = None,
    original: str | object | None = _READ_FROM_DATABASE,
) -> None:
    """Replace this annotator's note on the comment (or its segment); an empty note removes it.

    An editor that saved drafts while the user typed passes the note as it was before
    editing as ``original``, so the journal (and undo) holds one change, not one per key.
    """
    after = _stored_note(text)
    where = {"cluster": cluster_id, **_spans(span=span)}
    with write(db):
        _require_comments(db, cluster_id)
        before = (
            note_text(db, cluster_id, annotator, span)
            if original is _READ_FROM_DATABASE
            else original
        )
        if before == after:
            _apply(db, annotator, "note", {**where, "after": after})
            return
        _record_and_apply(db, annotator, "note", {**where, "before": before, "after": after})


def save_note_draft(
    db: sqlite3.Connection, cluster_id: int, annotator: str, text: str, span: Span | None = None
) -> None:
    """Store the note as it is being typed (not journaled): a killed editor loses one key."""
    with write(db):
        payload = {"cluster": cluster_id, **_spans(span=span), "after": _stored_note(text)}
        _apply(db, annotator, "note", payload)


def note_text(
    db: sqlite3.Connection, cluster_id: int, annotator: str, span: Span | None = None
) -> str | None:
    key = _unit_key(db, cluster_id, span, create=False)
    if key is None:
        return None
    row = db.execute(
        "SELECT text FROM notes WHERE cluster_id = ? AND coalesce(segment_id, 0) = ? "
        "AND annotator = ?",
        (cluster_id, key, annotator),
    ).fetchone()
    return row[0] if row else None


def apply_change(
    db: sqlite3.Connection,
    annotator: str,
    action: str,
    payload: dict[str, Any],
    *,
    at: str | None = None,
) -> bool:
    """Make one change and journal it, inside the write transaction the caller holds.

    For work of many changes that must be one transaction (a restore, a merge): ``action`` is
    "tag", "untag", "link", "unlink" or "note", with the payload the journal keeps (see
    :class:`Event`; a note needs only ``after``).  ``at`` is when the change was first made,
    kept on the row it makes.  A change that is already so (the tag there, the note the same)
    does nothing and returns False, so doing the same work twice changes nothing.
    """
    if not db.in_transaction:
        raise RuntimeError("apply_change needs the caller's write transaction (database.write)")
    span = _span(payload.get("span"))
    if action in ("tag", "untag"):
        tagged = _has_tag(db, payload["cluster"], span, payload["tag"], annotator)
        if tagged == (action == "tag"):
            return False
        if action == "tag" and _is_tombstone(db, payload["cluster"]):
            raise ThreadmarkError("a deleted comment has no text to tag")
    elif action in ("link", "unlink"):
        note = _link_note(db, payload, annotator)
        if (note is not None) == (action == "link"):
            return False
        if action == "unlink":
            payload = {**payload, "note": note}
    elif action == "note":
        before = note_text(db, payload["cluster"], annotator, span)
        if before == payload["after"]:
            return False
        payload = {**payload, "before": before}
    _record_and_apply(db, annotator, action, payload, at)
    return True


def journal_event(db: sqlite3.Connection, annotator: str, action: str, payload: dict) -> None:
    """Journal an action that is no change of the tables here (an adjudicator's decision, see
    store.adjudication), inside the caller's write transaction; undo replays only the actions
    in INVERSE, so it passes over it."""
    if not db.in_transaction:
        raise RuntimeError("journal_event needs the caller's write transaction (database.write)")
    _journal(db, annotator, action, payload)


def create_tag(
    db: sqlite3.Connection,
    name: str,
    annotator: str,
    *,
    color: str | None = None,
    hotkey: str | None = None,
    description: str = "",
) -> Tag:
    """Add a tag to the codebook (with no ``hotkey``, the first free one).  Journaled for the
    audit trail, but not undone by ``z``."""
    with write(db):
        if hotkey is not None:
            check_hotkey(db, hotkey)
        tag = insert_tag(db, name, color=color, hotkey=hotkey, description=description)
        _journal(db, annotator, "create_tag", {"tag": tag.id, "name": tag.name})
    return tag


def tag_units(
    db: sqlite3.Connection,
    units: Iterable[Unit],
    tag_id: int,
    annotator: str,
    *,
    remove: bool = False,
) -> int:
    """Tag each unit (with ``remove``, untag it) unless it already is so, all in one
    transaction; how many changed.

    For scripts, where running a command twice must not undo it (:func:`toggle_tag` toggles).
    Each change is journaled as the reader's are, so ``z`` undoes them one at a time.  A
    deleted comment refuses a tag, and so the whole batch: leave tombstones out of it.
    """
    with write(db):
        name = get_tag(db, tag_id).name
        changed = 0
        for unit in units:
            _require_comments(db, unit.cluster_id)
            payload = {"cluster": unit.cluster_id, "tag": tag_id, "name": name}
            payload.update(_spans(span=unit.span))
            changed += apply_change(db, annotator, "untag" if remove else "tag", payload)
    return changed


class TagInUse(ThreadmarkError):
    """A tag that is on comments or segments, which only a forced delete removes."""

    def __init__(self, tag: Tag, uses: int) -> None:
        super().__init__(
            f"tag {tag.name!r} is in use ({uses} annotation{'' if uses == 1 else 's'})"
        )
        self.uses = uses


def rename_tag(db: sqlite3.Connection, tag_id: int, name: str, annotator: str) -> Tag:
    """Rename a tag (a change of case included); its annotations keep it."""
    with write(db):
        name = clean_tag_name(name)
        other = tag_by_name(db, name)
        if other is not None and other.id != tag_id:
            raise ThreadmarkError(f"there is already a tag named {other.name!r}")
        return _change_tag(db, annotator, "rename_tag", get_tag(db, tag_id), "name", name)


def recolour_tag(db: sqlite3.Connection, tag_id: int, color: str, annotator: str) -> Tag:
    """Give a tag another chip colour (``#rrggbb``)."""
    with write(db):
        check_color(color)
        return _change_tag(db, annotator, "recolour_tag", get_tag(db, tag_id), "color", color)


def set_tag_hotkey(db: sqlite3.Connection, tag_id: int, hotkey: str | None, annotator: str) -> Tag:
    """Give a tag the hotkey (``1``-``9``), or with None take its hotkey away."""
    with write(db):
        if hotkey is not None:
            check_hotkey(db, hotkey, tag_id)
        return _change_tag(db, annotator, "set_tag_hotkey", get_tag(db, tag_id), "hotkey", hotkey)


def delete_tag(db: sqlite3.Connection, tag_id: int, annotator: str, *, force: bool = False) -> int:
    """Take a tag out of the codebook; how many annotations (anyone's) went with it.

    A tag in use is refused (:class:`TagInUse`) unless ``force``.  Journaled, not undone by
    ``z``; from then on no one's undo or redo replays a change of the deleted tag (see
    :func:`_replay`), which could not be made again.
    """
    with write(db):
        tag = get_tag(db, tag_id)
        # The segment of each annotation (None: on a whole comment), to drop those left unused.
        uses = [
            row[0]
            for row in db.execute("SELECT segment_id FROM annotations WHERE tag_id = ?", (tag_id,))
        ]
        if uses and not force:
            raise TagInUse(tag, len(uses))
        db.execute("DELETE FROM annotations WHERE tag_id = ?", (tag_id,))
        db.execute("DELETE FROM tags WHERE id = ?", (tag_id,))
        for segment in dict.fromkeys(uses):
            drop_if_unused(db, segment)
        payload = {"tag": tag_id, "name": tag.name, "annotations": len(uses)}
        _journal(db, annotator, "delete_tag", payload)
    return len(uses)


def _change_tag(
    db: sqlite3.Connection, annotator: str, action: str, tag: Tag, column: str, value: str | None
) -> Tag:
    """Set one of a tag's columns (a name in the code, never user text) and journal it, before
    and after, inside the caller's transaction; setting what it already is does nothing."""
    before = getattr(tag, column)
    if value != before:
        db.execute(f"UPDATE tags SET {column} = ? WHERE id = ?", (value, tag.id))
        payload = {"tag": tag.id, "name": tag.name, "before": before, "after": value}
        _journal(db, annotator, action, payload)
    return tag._replace(**{column: value})


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
    """Walk the journal to find the undo stack and the redo stack as they stand now.

    A deleted tag (by anyone) takes the changes of it off both stacks where it was deleted: a
    tag that no longer exists cannot be put back, and a new tag may take its id.
    """
    done: list[Event] = []
    undone: list[Event] = []
    rows = db.execute(
        "SELECT id, action, payload FROM events WHERE annotator = ? OR action = 'delete_tag' "
        "ORDER BY id",
        (annotator,),
    )
    for event_id, action, payload in rows:
        event = Event(event_id, action, json.loads(payload))
        if action == "delete_tag":
            done[:] = _without_tag(done, event.payload["tag"])
            undone[:] = _without_tag(undone, event.payload["tag"])
        elif action in INVERSE:
            done.append(event)
            undone.clear()
        elif action == "undo" and done:
            undone.append(done.pop())
        elif action == "redo" and undone:
            done.append(undone.pop())
    return done, undone


def _without_tag(events: list[Event], tag_id: int) -> list[Event]:
    return [
        event
        for event in events
        if not (event.action in ("tag", "untag") and event.payload["tag"] == tag_id)
    ]


def _inverse_payload(event: Event) -> dict[str, Any]:
    if event.action == "note":
        return {**event.payload, "before": event.payload["after"], "after": event.payload["before"]}
    return event.payload


def _record_and_apply(
    db: sqlite3.Connection,
    annotator: str,
    action: str,
    payload: dict[str, Any],
    at: str | None = None,
) -> None:
    _apply(db, annotator, action, payload, at)
    _journal(db, annotator, action, payload)


def _journal(db: sqlite3.Connection, annotator: str, action: str, payload: dict) -> None:
    db.execute(
        "INSERT INTO events (annotator, created_at, action, payload) VALUES (?, ?, ?, ?)",
        (annotator, now(), action, json.dumps(payload, ensure_ascii=False, sort_keys=True)),
    )


def _apply(
    db: sqlite3.Connection, annotator: str, action: str, payload: dict, at: str | None = None
) -> None:
    """Make one change in the tables (the caller holds the transaction and writes the event),
    dated ``at`` (else now).

    Adding makes the segments it names; removing drops the segments it leaves unused, and
    removes nothing when a segment it names does not exist.
    """
    at = at or now()
    adding = action in ("tag", "link") or (action == "note" and payload["after"] is not None)
    if action in ("tag", "untag", "note"):
        cluster = payload["cluster"]
        key = _unit_key(db, cluster, _span(payload.get("span")), create=adding)
        if key is None:
            return
        if adding and action == "tag":
            db.execute(
                "INSERT OR IGNORE INTO annotations "
                "(cluster_id, segment_id, tag_id, annotator, created_at) VALUES (?, ?, ?, ?, ?)",
                (cluster, key or None, payload["tag"], annotator, at),
            )
        elif adding:
            db.execute(
                "INSERT INTO notes (cluster_id, segment_id, annotator, text, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (cluster_id, coalesce(segment_id, 0), "
                "annotator) DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
                (cluster, key or None, annotator, payload["after"], at),
            )
        else:
            table = "annotations" if action == "untag" else "notes"
            tag = "AND tag_id = :tag" if action == "untag" else ""
            db.execute(
                f"DELETE FROM {table} WHERE cluster_id = :cluster "
                f"AND coalesce(segment_id, 0) = :segment AND annotator = :annotator {tag}",
                {**payload, "segment": key, "annotator": annotator},
            )
            drop_if_unused(db, key or None)
    elif action in ("link", "unlink"):
        ends = _link_keys(db, payload, create=adding)
        if ends is None:
            return
        source, target = ends
        if adding:
            db.execute(
                "INSERT OR IGNORE INTO links (source_cluster, source_segment, target_cluster, "
                "target_segment, kind, note, annotator, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    payload["source"],
                    source or None,
                    payload["target"],
                    target or None,
                    payload["kind"],
                    payload["note"],
                    annotator,
                    at,
                ),
            )
        else:
            db.execute(
                f"DELETE FROM links WHERE {_LINK_IS}",
                _link_args(payload, source, target, annotator),
            )
            drop_if_unused(db, source or None)
            drop_if_unused(db, target or None)
    else:
        raise ValueError(f"no such change: {action}")


_LINK_IS = (
    "source_cluster = :source AND coalesce(source_segment, 0) = :source_segment "
    "AND target_cluster = :target AND coalesce(target_segment, 0) = :target_segment "
    "AND kind = :kind AND annotator = :annotator"
)


def _link_args(payload: dict[str, Any], source: int, target: int, annotator: str) -> dict[str, Any]:
    return {
        "source": payload["source"],
        "target": payload["target"],
        "kind": payload["kind"],
        "source_segment": source,
        "target_segment": target,
        "annotator": annotator,
    }


def _link_note(db: sqlite3.Connection, payload: dict[str, Any], annotator: str) -> str | None:
    """The note of this annotator's link described by ``payload``; None if there is no link."""
    ends = _link_keys(db, payload, create=False)
    if ends is None:
        return None
    row = db.execute(
        f"SELECT note FROM links WHERE {_LINK_IS}", _link_args(payload, *ends, annotator)
    ).fetchone()
    return row[0] if row else None


def _link_keys(
    db: sqlite3.Connection, payload: dict[str, Any], *, create: bool
) -> tuple[int, int] | None:
    """The unit keys (see :func:`_unit_key`) of a link's two ends, or None if one is absent."""
    source = _unit_key(db, payload["source"], _span(payload.get("source_span")), create=create)
    target = _unit_key(db, payload["target"], _span(payload.get("target_span")), create=create)
    return None if source is None or target is None else (source, target)


def _unit_key(
    db: sqlite3.Connection, cluster_id: int, span: Span | None, *, create: bool
) -> int | None:
    """How the tables name a unit: 0 for the whole comment (``coalesce(segment_id, 0)``), a
    segment's id for a span, or None for a span that has no segment (and so nothing on it)."""
    if span is None:
        return 0
    return segment_id(db, cluster_id, span, create=create)


def _spans(**spans: Span | None) -> dict[str, list[int]]:
    """The payload entries for the given spans, leaving out those that are whole comments."""
    return {key: list(span) for key, span in spans.items() if span is not None}


def _span(value: list[int] | tuple[int, int] | None) -> Span | None:
    return None if value is None else (value[0], value[1])


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


def _has_tag(
    db: sqlite3.Connection, cluster_id: int, span: Span | None, tag_id: int, annotator: str
) -> bool:
    key = _unit_key(db, cluster_id, span, create=False)
    return (
        key is not None
        and db.execute(
            "SELECT 1 FROM annotations WHERE cluster_id = ? AND coalesce(segment_id, 0) = ? "
            "AND tag_id = ? AND annotator = ?",
            (cluster_id, key, tag_id, annotator),
        ).fetchone()
        is not None
    )
