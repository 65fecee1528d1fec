"""The one walk over a thread that every export shares: each unique comment with all it carries.

Occurrences are merged in from a second cursor in the same order as the clusters, so memory
stays flat however long the thread; annotations, notes and links are far fewer than comments
and are grouped in memory first.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from store.sql import CODEBOOK_ORDER, in_thread

# What every export says of a link: both ends by stable id and by number in the thread.
LINK_FIELDS = (
    "source",
    "target",
    "source_number",
    "target_number",
    "kind",
    "annotator",
    "note",
    "created_at",
)


@dataclass(slots=True)
class ExportComment:
    """A unique comment (cluster) as exports see it."""

    id: int
    number: int  # its number in its thread (#N in the reader); ``id`` is the stable one
    thread: int
    position: int
    text: str
    author: str | None
    created_at: str | None
    tombstone: bool
    occurrences: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    links_out: dict[str, list[int]] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        """Tag names applied by anyone, each once, in codebook order."""
        return list(dict.fromkeys(annotation["tag"] for annotation in self.annotations))

    @property
    def note(self) -> str | None:
        """The note as one string: the text alone, or ``name: text`` lines when several wrote."""
        if not self.notes:
            return None
        if len(self.notes) == 1:
            return self.notes[0]["text"]
        return "\n".join(f"{note['annotator']}: {note['text']}" for note in self.notes)


def _dict_rows(db: sqlite3.Connection, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
    """Rows as dicts keyed by column name, read through sqlite-utils.

    Imported here rather than at the top: the reader loads this module for its export dialog
    and command palette, and sqlite-utils brings numpy, which no reader start should pay for
    (see store.database).
    """
    import sqlite_utils

    return sqlite_utils.Database(db, recursive_triggers=False, execute_plugins=False).query(
        sql, params
    )


def thread_rows(db: sqlite3.Connection, thread_id: int | None) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in _dict_rows(
            db,
            "SELECT id, title, source, format, sha256, imported_at FROM threads "
            f"WHERE {in_thread('id', thread_id)} ORDER BY id",
            {"thread": thread_id},
        )
    ]


def tag_rows(db: sqlite3.Connection) -> list[dict[str, Any]]:
    return list(
        _dict_rows(
            db,
            "SELECT t.name, t.hotkey, t.color, t.description, p.name AS parent FROM tags t "
            "LEFT JOIN tags p ON p.id = t.parent_id "
            f"ORDER BY {CODEBOOK_ORDER}",
        )
    )


def link_rows(db: sqlite3.Connection, thread_id: int | None) -> Iterator[dict[str, Any]]:
    """Every link whose source is in the thread, people's and the import's, oldest first."""
    yield from _dict_rows(
        db,
        "SELECT l.source_cluster AS source, l.target_cluster AS target, "
        "s.seq AS source_number, t.seq AS target_number, l.kind, l.annotator, "
        "l.note, l.created_at, s.text AS source_text, t.text AS target_text FROM links l "
        "JOIN clusters s ON s.id = l.source_cluster JOIN clusters t ON t.id = l.target_cluster "
        f"WHERE {in_thread('s.thread_id', thread_id)} ORDER BY l.id",
        {"thread": thread_id},
    )


def export_comments(
    db: sqlite3.Connection, thread_id: int | None = None
) -> Iterator[ExportComment]:
    """Unique comments in thread order, each with occurrences, annotations, notes and links."""
    args = {"thread": thread_id}
    annotations = _grouped(
        db,
        "SELECT a.cluster_id, t.name AS tag, a.annotator, a.created_at FROM annotations a "
        "JOIN tags t ON t.id = a.tag_id JOIN clusters c ON c.id = a.cluster_id "
        f"WHERE {in_thread('c.thread_id', thread_id)} "
        f"ORDER BY a.cluster_id, {CODEBOOK_ORDER}, a.annotator",
        args,
    )
    notes = _grouped(
        db,
        "SELECT n.cluster_id, n.annotator, n.text, n.updated_at FROM notes n "
        "JOIN clusters c ON c.id = n.cluster_id "
        f"WHERE {in_thread('c.thread_id', thread_id)} ORDER BY n.cluster_id, n.annotator",
        args,
    )
    links_out: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for link in link_rows(db, thread_id):
        targets = links_out[link["source"]][link["kind"]]
        if link["target"] not in targets:
            targets.append(link["target"])

    # An occurrence whose words differ from its comment's in any way (a near duplicate, or an
    # exact one that differs in case, spacing or Unicode form) carries its own text.
    occurrences = db.execute(
        "SELECT o.cluster_id, o.position, o.platform_id, o.parent_platform_id, o.author, "
        "o.created_at, "
        "CASE WHEN o.text IS NOT (SELECT c.text FROM clusters c WHERE c.id = o.cluster_id) "
        "THEN o.text END "
        f"FROM comments o WHERE {in_thread('o.thread_id', thread_id)} ORDER BY o.cluster_id, o.id",
        args,
    )
    pending = occurrences.fetchone()
    clusters = db.execute(
        "SELECT c.id, c.seq, c.thread_id, o.position, c.text, c.author, o.created_at, "
        "c.is_tombstone FROM clusters c JOIN comments o ON o.id = c.canonical_comment_id "
        f"WHERE {in_thread('c.thread_id', thread_id)} ORDER BY c.id",
        args,
    )
    for cluster_id, number, thread, position, text, author, created_at, tombstone in clusters:
        comment = ExportComment(
            id=cluster_id,
            number=number,
            thread=thread,
            position=position,
            text=text,
            author=author,
            created_at=created_at,
            tombstone=bool(tombstone),
            annotations=annotations.get(cluster_id, []),
            notes=notes.get(cluster_id, []),
            links_out={kind: list(t) for kind, t in links_out.get(cluster_id, {}).items()},
        )
        while pending is not None and pending[0] == cluster_id:
            occurrence = {
                "position": pending[1],
                "platform_id": pending[2],
                "parent_platform_id": pending[3],
                "author": pending[4],
                "created_at": pending[5],
            }
            if pending[6] is not None:  # its own words, so nothing of the source is lost
                occurrence["text"] = pending[6]
            comment.occurrences.append(occurrence)
            pending = occurrences.fetchone()
        yield comment


def _grouped(
    db: sqlite3.Connection, sql: str, args: dict[str, Any]
) -> dict[int, list[dict[str, Any]]]:
    """Rows keyed by their first column (a cluster id), the rest of each row as a dict."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in _dict_rows(db, sql, args):
        cluster_id = row.pop("cluster_id")
        grouped[cluster_id].append(row)
    return grouped
