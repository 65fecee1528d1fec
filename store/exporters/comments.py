"""The one walk over a thread that every export shares: each unique comment with all it carries.

Occurrences are merged in from a second cursor in the same order as the clusters, so memory
stays flat however long the thread; annotations, notes, segments and links are far fewer than
comments and are grouped in memory first.

A segment or a link's end is named as the reader names it (``#4.2``, see store.segments),
which splits that comment into sentences: only comments that have segments pay for it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from store.exporters.options import EVERYONE, ExportOptions
from store.segments import unit_label
from store.sql import CODEBOOK_ORDER, in_thread

# The condition that keeps one annotator's rows (``:annotator``), or everyone's when it is null.
BY_ANNOTATOR = "(:annotator IS NULL OR {}.annotator = :annotator)"

# What every export says of a link: both ends by stable id, by number in the thread, and as
# the unit linked ("#5.1"), with the segment's range when an end is one (else null).
LINK_FIELDS = (
    "source",
    "target",
    "source_number",
    "target_number",
    "source_unit",
    "target_unit",
    "source_start",
    "source_end",
    "target_start",
    "target_end",
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
    size: int = 1  # how many occurrences it has
    parent: int | None = None  # the comment it replies to, by id
    depth: int = 0
    folded: str | None = None  # how its repeats were folded: identity, exact or near
    same_text: int | None = None  # the first comment by others with the same words, by id
    occurrences: list[dict[str, Any]] = field(default_factory=list)
    annotations: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    links_out: dict[str, list[int]] = field(default_factory=dict)  # kind -> target ids
    links: list[dict[str, Any]] = field(default_factory=list)  # its links, LINK_FIELDS each
    segments: list[ExportSegment] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        """Tag names applied by anyone to the whole comment, each once, in codebook order."""
        return tag_names(self.annotations)

    @property
    def note(self) -> str | None:
        return joined_note(self.notes)


@dataclass(slots=True)
class ExportSegment:
    """A segment of a comment that someone tagged, noted or linked."""

    start: int
    end: int
    unit: str  # "#4.2"
    text: str
    annotations: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    coded_text: str | None = None  # the words it was coded on, when an edit changed them

    @property
    def tags(self) -> list[str]:
        return tag_names(self.annotations)

    @property
    def note(self) -> str | None:
        return joined_note(self.notes)


def tag_names(annotations: list[dict[str, str]]) -> list[str]:
    """Tag names applied by anyone, each once, in codebook order."""
    return list(dict.fromkeys(annotation["tag"] for annotation in annotations))


def joined_note(notes: list[dict[str, str]]) -> str | None:
    """The notes as one string: the text alone, or ``name: text`` lines when several wrote."""
    if not notes:
        return None
    if len(notes) == 1:
        return notes[0]["text"]
    return "\n".join(f"{note['annotator']}: {note['text']}" for note in notes)


def _dict_rows(db: sqlite3.Connection, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
    """Rows as dicts keyed by column name, one at a time."""
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return (dict(zip(names, row, strict=True)) for row in cursor)


class _ByComment:
    """Rows in the order of their comment's id, taken one comment at a time as the walk
    reaches it: each query is read once, alongside the others, and only the rows of the
    comment at hand are held."""

    def __init__(self, rows: Iterator[dict[str, Any]]) -> None:
        self._rows = rows
        self._next = next(rows, None)

    def take(self, cluster_id: int) -> list[dict[str, Any]]:
        """The rows of comment ``cluster_id`` (without their ``cluster_id``)."""
        taken = []
        while self._next is not None and self._next["cluster_id"] <= cluster_id:
            row = self._next
            if row.pop("cluster_id") == cluster_id:
                taken.append(row)
            self._next = next(self._rows, None)
        return taken


def thread_rows(db: sqlite3.Connection, thread_id: int | None) -> list[dict[str, Any]]:
    return [
        dict(row)
        for row in _dict_rows(
            db,
            "SELECT id, title, source, format, sha256, threshold, fold, thread_key, imported_at "
            "FROM threads "
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


def link_rows(
    db: sqlite3.Connection,
    thread_id: int | None,
    options: ExportOptions = EVERYONE,
    *,
    by_source: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every link whose source is in the thread, people's (or the chosen annotator's) and the
    import's, oldest first (``by_source``: grouped by their source comment, in id order).

    ``source_text`` and ``target_text`` are the units' words: a segment's, or the comment's.
    """
    order = "l.source_cluster, l.id" if by_source else "l.id"
    for link in _dict_rows(
        db,
        "SELECT l.source_cluster AS source, l.target_cluster AS target, "
        "s.seq AS source_number, t.seq AS target_number, "
        "ss.start AS source_start, ss.end AS source_end, "
        "ts.start AS target_start, ts.end AS target_end, l.kind, l.annotator, "
        "l.note, l.created_at, s.text AS source_text, t.text AS target_text FROM links l "
        "JOIN clusters s ON s.id = l.source_cluster JOIN clusters t ON t.id = l.target_cluster "
        "LEFT JOIN segments ss ON ss.id = l.source_segment "
        "LEFT JOIN segments ts ON ts.id = l.target_segment "
        f"WHERE {in_thread('s.thread_id', thread_id)} "
        f"AND (l.annotator IS NULL OR {BY_ANNOTATOR.format('l')}) ORDER BY {order}",
        {"thread": thread_id, "annotator": options.annotator},
    ):
        for end in ("source", "target"):
            span = (
                None if link[f"{end}_start"] is None else (link[f"{end}_start"], link[f"{end}_end"])
            )
            text = link[f"{end}_text"]
            link[f"{end}_unit"] = unit_label(link[f"{end}_number"], text, span)
            if span is not None:
                link[f"{end}_text"] = text[span[0] : span[1]]
        yield link


def export_comments(
    db: sqlite3.Connection,
    thread_id: int | None = None,
    options: ExportOptions = EVERYONE,
    *,
    details: bool = True,
) -> Iterator[ExportComment]:
    """Unique comments in thread order, each with occurrences, annotations, notes and links.

    Without ``details`` (a table of comments needs no more) the occurrences are not read,
    and of the links only their kinds and targets (``links_out``).
    """
    args = {"thread": thread_id, "annotator": options.annotator}
    annotations = _ByComment(
        _dict_rows(
            db,
            "SELECT a.cluster_id, t.name AS tag, a.annotator, a.created_at FROM annotations a "
            "JOIN tags t ON t.id = a.tag_id JOIN clusters c ON c.id = a.cluster_id "
            f"WHERE a.segment_id IS NULL AND {in_thread('c.thread_id', thread_id)} "
            f"AND {BY_ANNOTATOR.format('a')} ORDER BY a.cluster_id, {CODEBOOK_ORDER}, a.annotator",
            args,
        )
    )
    notes = _ByComment(
        _dict_rows(
            db,
            "SELECT n.cluster_id, n.annotator, n.text, n.updated_at FROM notes n "
            "JOIN clusters c ON c.id = n.cluster_id "
            f"WHERE n.segment_id IS NULL AND {in_thread('c.thread_id', thread_id)} "
            f"AND {BY_ANNOTATOR.format('n')} ORDER BY n.cluster_id, n.annotator",
            args,
        )
    )
    segments = _Segments(db, args)
    if details:
        links = _ByComment(
            {"cluster_id": link["source"], **{key: link[key] for key in LINK_FIELDS}}
            for link in link_rows(db, thread_id, options, by_source=True)
        )
    else:
        links = _ByComment(
            _dict_rows(
                db,
                "SELECT l.source_cluster AS cluster_id, l.target_cluster AS target, l.kind "
                "FROM links l JOIN clusters s ON s.id = l.source_cluster "
                f"WHERE {in_thread('s.thread_id', thread_id)} "
                f"AND (l.annotator IS NULL OR {BY_ANNOTATOR.format('l')}) "
                "ORDER BY l.source_cluster, l.id",
                args,
            )
        )

    # An occurrence whose words differ from its comment's in any way (a near duplicate, or an
    # exact one that differs in case, spacing or Unicode form) carries its own text.
    occurrences = db.execute(
        "SELECT o.cluster_id, o.position, o.platform_id, o.parent_platform_id, o.author, "
        "o.created_at, "
        "CASE WHEN o.text IS NOT (SELECT c.text FROM clusters c WHERE c.id = o.cluster_id) "
        "THEN o.text END "
        f"FROM comments o WHERE {in_thread('o.thread_id', thread_id)} "
        f"AND {int(details)} ORDER BY o.cluster_id, o.id",
        args,
    )
    pending = occurrences.fetchone()
    clusters = db.execute(
        "SELECT c.id, c.seq, c.thread_id, o.position, c.text, c.author, o.created_at, "
        "c.is_tombstone, c.parent_cluster_id, c.depth, c.folded, c.text_group, c.size "
        "FROM clusters c JOIN comments o ON o.id = c.canonical_comment_id "
        f"WHERE {in_thread('c.thread_id', thread_id)} ORDER BY c.id",
        args,
    )
    for row in clusters:
        cluster_id, number, thread, position, text, author, created_at, tombstone = row[:8]
        comment = ExportComment(
            id=cluster_id,
            number=number,
            thread=thread,
            position=position,
            text=text,
            author=author,
            created_at=created_at,
            tombstone=bool(tombstone),
            parent=row[8],
            depth=row[9],
            folded=row[10],
            same_text=row[11],
            size=row[12],
            annotations=annotations.take(cluster_id),
            notes=notes.take(cluster_id),
        )
        for link in links.take(cluster_id):
            targets = comment.links_out.setdefault(link["kind"], [])
            if link["target"] not in targets:
                targets.append(link["target"])
            if details:
                comment.links.append(link)
        comment.segments = segments.take(cluster_id, number, text)
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


class _Segments:
    """Each comment's segments, with their taggings and notes, a comment at a time; with an
    annotator chosen, the segments that annotator tagged, noted or linked."""

    def __init__(self, db: sqlite3.Connection, args: dict[str, Any]) -> None:
        in_the_thread = in_thread("c.thread_id", args["thread"])
        self._segments = _ByComment(
            _dict_rows(
                db,
                "SELECT s.cluster_id, s.start, s.end, s.coded_text FROM segments s "
                f"JOIN clusters c ON c.id = s.cluster_id WHERE {in_the_thread} "
                "AND (:annotator IS NULL "
                "OR EXISTS (SELECT 1 FROM annotations a WHERE a.segment_id = s.id "
                "AND a.annotator = :annotator) "
                "OR EXISTS (SELECT 1 FROM notes n WHERE n.segment_id = s.id "
                "AND n.annotator = :annotator) "
                "OR EXISTS (SELECT 1 FROM links l WHERE s.id IN (l.source_segment, "
                "l.target_segment) AND l.annotator = :annotator)) "
                "ORDER BY s.cluster_id, s.start, s.end",
                args,
            )
        )
        self._annotations = _ByComment(
            _dict_rows(
                db,
                "SELECT s.cluster_id, s.start, s.end, t.name AS tag, a.annotator, a.created_at "
                "FROM annotations a JOIN segments s ON s.id = a.segment_id "
                "JOIN tags t ON t.id = a.tag_id JOIN clusters c ON c.id = s.cluster_id "
                f"WHERE {in_the_thread} AND {BY_ANNOTATOR.format('a')} "
                f"ORDER BY s.cluster_id, s.start, s.end, {CODEBOOK_ORDER}, a.annotator",
                args,
            )
        )
        self._notes = _ByComment(
            _dict_rows(
                db,
                "SELECT s.cluster_id, s.start, s.end, n.annotator, n.text, n.updated_at "
                "FROM notes n JOIN segments s ON s.id = n.segment_id "
                f"JOIN clusters c ON c.id = s.cluster_id WHERE {in_the_thread} "
                f"AND {BY_ANNOTATOR.format('n')} ORDER BY s.cluster_id, n.annotator",
                args,
            )
        )

    def take(self, cluster_id: int, number: int, text: str) -> list[ExportSegment]:
        found = {
            (row["start"], row["end"]): ExportSegment(
                row["start"],
                row["end"],
                unit_label(number, text, (row["start"], row["end"])),
                text[row["start"] : row["end"]],
                coded_text=row["coded_text"],
            )
            for row in self._segments.take(cluster_id)
        }
        for key, attribute in (("annotations", self._annotations), ("notes", self._notes)):
            for row in attribute.take(cluster_id):
                segment = found.get((row.pop("start"), row.pop("end")))
                if segment is not None:
                    getattr(segment, key).append(row)
        return list(found.values())
