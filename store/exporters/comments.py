"""The walks over a thread that the exports share: each unique comment with all it carries
(``export_comments``), or with what a table of comments shows (``table_queries``).

A walk is one query over the comments in id order (their occurrences joined in), read a batch
at a time, and beside it one query per kind of thing a comment carries (tags, notes, links,
segments), each in the same order, merged in as the walk reaches its comment (``ByComment``;
for the table, grouped by comment as they are read: ``_grouped``): no lookup per comment, and
only the comment at hand is held, however long the thread.

A segment or a link's end is named as the reader names it (``#4.2``, see store.segments),
which splits that comment into sentences: only comments that have segments pay for it.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import Any

from store.exporters.options import EVERYONE, ExportOptions
from store.schema import LINK_KINDS
from store.segments import unit_label
from store.sql import CODEBOOK_ORDER, in_id_range, in_thread


def by_annotator(table: str, annotator: str | None, *, or_import: bool = False) -> str:
    """A condition that keeps one annotator's rows (bound as ``:annotator``; ``or_import``:
    and the import's own, which have none), or everyone's when ``annotator`` is None.

    Spelled out in Python, as ``in_thread`` is: everyone's export then reads no annotator.
    """
    if annotator is None:
        return "1"
    theirs = f"{table}.annotator = :annotator"
    return f"({table}.annotator IS NULL OR {theirs})" if or_import else theirs


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
    if not annotations:
        return []
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


def _keyed_rows(db: sqlite3.Connection, sql: str, params: Any) -> Iterator[tuple[int, Any]]:
    """``(comment id, dict of the other columns)`` for each row of a query whose first column
    is the comment's id."""
    cursor = db.execute(sql, params)
    names = [column[0] for column in cursor.description[1:]]
    return ((row[0], dict(zip(names, row[1:], strict=True))) for row in cursor)


class ByComment:
    """Items in the order of their comment's id, taken one comment at a time as the walk
    reaches it: each query is read once, alongside the walk, and only the items of the
    comment at hand are held.  Most comments have none: that is one comparison."""

    def __init__(self, rows: Iterator[tuple[int, Any]]) -> None:
        self._rows = rows
        self._advance()

    def _advance(self) -> None:
        self.next_id, self._next = next(self._rows, (math.inf, None))

    def take(self, cluster_id: int) -> list[Any]:
        """The items of comment ``cluster_id``."""
        taken = []
        while self.next_id <= cluster_id:
            if self.next_id == cluster_id:
                taken.append(self._next)
            self._advance()
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
    texts: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every link whose source is in the thread, people's (or the chosen annotator's) and the
    import's, oldest first (``by_source``: grouped by their source comment, in id order), as
    dicts of LINK_FIELDS in that order.

    With ``texts``, also ``source_text`` and ``target_text``: the units' words, a segment's or
    the comment's.  Without, a comment's words are read only where an end is a segment (its
    name counts sentences): most links are replies, whole comment to whole comment.
    """
    for row in link_cursor(db, thread_id, options, by_source=by_source, texts=texts):
        yield link_dict(row, texts=texts)


# A link as JSON text (LINK_FIELDS, compact), spelled out by SQLite where both ends are whole
# comments, so that a link's name needs no sentences; NULL where an end is a segment.
LINK_JSON = (
    "CASE WHEN ss.id IS NULL AND ts.id IS NULL THEN "
    """printf('{"source":%d,"target":%d,"source_number":%d,"target_number":%d,"""
    """"source_unit":"#%d","target_unit":"#%d","source_start":null,"source_end":null,"""
    """"target_start":null,"target_end":null,"kind":%s,"annotator":%s,"note":%s,"""
    """"created_at":%s}', l.source_cluster, l.target_cluster, s.seq, t.seq, s.seq, t.seq, """
    "json_quote(l.kind), json_quote(l.annotator), json_quote(l.note), "
    "json_quote(l.created_at)) END"
)


def link_cursor(
    db: sqlite3.Connection,
    thread_id: int | None,
    options: ExportOptions,
    *,
    by_source: bool = False,
    texts: bool = False,
    as_json: bool = False,
) -> sqlite3.Cursor:
    """The rows of ``link_rows`` (see ``link_dict``); with ``as_json``, each link's JSON as
    SQLite writes it (``LINK_JSON``) last, else NULL there."""
    order = "l.source_cluster, l.id" if by_source else "l.id"
    return db.execute(
        "SELECT l.source_cluster, l.target_cluster, s.seq, t.seq, ss.start, ss.end, "
        "ts.start, ts.end, l.kind, l.annotator, l.note, l.created_at, "
        "CASE WHEN :texts OR ss.id IS NOT NULL THEN s.text END, "
        "CASE WHEN :texts OR ts.id IS NOT NULL THEN t.text END, "
        f"{LINK_JSON if as_json else 'NULL'} FROM links l "
        "JOIN clusters s ON s.id = l.source_cluster JOIN clusters t ON t.id = l.target_cluster "
        "LEFT JOIN segments ss ON ss.id = l.source_segment "
        "LEFT JOIN segments ts ON ts.id = l.target_segment "
        f"WHERE {in_thread('s.thread_id', thread_id)} "
        f"AND {by_annotator('l', options.annotator, or_import=True)} ORDER BY {order}",
        {"thread": thread_id, "annotator": options.annotator, "texts": texts},
    )


def link_dict(row: tuple, *, texts: bool = False) -> dict[str, Any]:
    """A row of ``link_cursor`` as LINK_FIELDS (and, with ``texts``, the units' words)."""
    source, target, source_number, target_number = row[:4]
    source_start, source_end, target_start, target_end = row[4:8]
    source_text, target_text = row[12:14]
    link = {
        "source": source,
        "target": target,
        "source_number": source_number,
        "target_number": target_number,
        "source_unit": _unit(source_number, source_text, source_start, source_end),
        "target_unit": _unit(target_number, target_text, target_start, target_end),
        "source_start": source_start,
        "source_end": source_end,
        "target_start": target_start,
        "target_end": target_end,
        "kind": row[8],
        "annotator": row[9],
        "note": row[10],
        "created_at": row[11],
    }
    if texts:
        link["source_text"] = source_text[source_start:source_end]
        link["target_text"] = target_text[target_start:target_end]
    return link


def _unit(number: int, text: str | None, start: int | None, end: int | None) -> str:
    """A link end's name: ``#4``, or the segment's (``unit_label``), whose text is read."""
    if start is None:
        return f"#{number}"
    return unit_label(number, text, (start, end))


def _annotations_sql(args: dict[str, Any], columns: str) -> str:
    """Tags on whole comments (``t``: the tag), the comment's id first, in codebook order."""
    return (
        f"SELECT a.cluster_id, {columns} FROM annotations a "
        "JOIN tags t ON t.id = a.tag_id JOIN clusters c ON c.id = a.cluster_id "
        f"WHERE a.segment_id IS NULL AND {in_thread('c.thread_id', args['thread'])} "
        f"AND {in_id_range('a.cluster_id', args.get('ids'))} "
        f"AND {by_annotator('a', args['annotator'])} "
        f"ORDER BY a.cluster_id, {CODEBOOK_ORDER}, a.annotator"
    )


def _notes_sql(args: dict[str, Any], columns: str) -> str:
    """Notes on whole comments, the comment's id first, by annotator."""
    return (
        f"SELECT n.cluster_id, {columns} FROM notes n JOIN clusters c ON c.id = n.cluster_id "
        f"WHERE n.segment_id IS NULL AND {in_thread('c.thread_id', args['thread'])} "
        f"AND {in_id_range('n.cluster_id', args.get('ids'))} "
        f"AND {by_annotator('n', args['annotator'])} ORDER BY n.cluster_id, n.annotator"
    )


class Carried:
    """What people made on each comment (tags, notes, segments), a comment at a time as a walk
    in id order reaches it; the walk reads links itself, as each export wants them its way."""

    def __init__(
        self, db: sqlite3.Connection, thread_id: int | None, options: ExportOptions
    ) -> None:
        args = {"thread": thread_id, "annotator": options.annotator}
        annotations = _annotations_sql(args, "t.name AS tag, a.annotator, a.created_at")
        self.annotations = ByComment(_keyed_rows(db, annotations, args))
        notes = _notes_sql(args, "n.annotator, n.text, n.updated_at")
        self.notes = ByComment(_keyed_rows(db, notes, args))
        self._segments = _Segments(db, args)

    def nothing_on(self, cluster_id: int) -> bool:
        """Whether no query holds anything of the comment's: most comments, a few comparisons."""
        return (
            cluster_id < self.annotations.next_id
            and cluster_id < self.notes.next_id
            and self._segments.nothing_on(cluster_id)
        )

    def segments(self, cluster_id: int, number: int, text: str) -> list[ExportSegment]:
        return self._segments.take(cluster_id, number, text)


def export_comments(
    db: sqlite3.Connection, thread_id: int | None = None, options: ExportOptions = EVERYONE
) -> Iterator[ExportComment]:
    """Unique comments in thread order, each with occurrences, annotations, notes, segments
    and links."""
    carried = Carried(db, thread_id, options)
    links = ByComment(
        (link["source"], link) for link in link_rows(db, thread_id, options, by_source=True)
    )
    # One row per occurrence, in the comment's order; an occurrence whose words differ from
    # its comment's in any way (a near duplicate, or an exact one that differs in case,
    # spacing or Unicode form) carries its own text.
    rows = db.execute(
        "SELECT c.id, c.seq, c.thread_id, k.position, c.text, c.author, k.created_at, "
        "c.is_tombstone, c.parent_cluster_id, c.depth, c.folded, c.text_group, c.size, "
        "o.position, o.platform_id, o.parent_platform_id, o.author, o.created_at, "
        "CASE WHEN o.text IS NOT c.text THEN o.text END "
        "FROM clusters c JOIN comments k ON k.id = c.canonical_comment_id "
        "LEFT JOIN comments o ON o.cluster_id = c.id "
        f"WHERE {in_thread('c.thread_id', thread_id)} ORDER BY c.id, o.id",
        {"thread": thread_id},
    )
    comment = None
    for row in rows:
        if comment is None or row[0] != comment.id:
            if comment is not None:
                yield comment
            comment = _comment(row, carried, links)
        if row[13] is not None:  # a comment has occurrences; this keeps one that had none
            occurrence = {
                "position": row[13],
                "platform_id": row[14],
                "parent_platform_id": row[15],
                "author": row[16],
                "created_at": row[17],
            }
            if row[18] is not None:  # its own words, so nothing of the source is lost
                occurrence["text"] = row[18]
            comment.occurrences.append(occurrence)
    if comment is not None:
        yield comment


def _comment(row: tuple, carried: Carried, links: ByComment) -> ExportComment:
    """The comment of the walk's row, with what the other queries hold for it."""
    cluster_id, number, thread, position, text, author, created_at, tombstone = row[:8]
    return ExportComment(
        cluster_id,
        number,
        thread,
        position,
        text,
        author,
        created_at,
        bool(tombstone),
        size=row[12],
        parent=row[8],
        depth=row[9],
        folded=row[10],
        same_text=row[11],
        annotations=carried.annotations.take(cluster_id),
        notes=carried.notes.take(cluster_id),
        links=links.take(cluster_id),
        segments=carried.segments(cluster_id, number, text),
    )


# A comment's link columns in a table when its one link is a lone link (most: its reply
# link), by the link's kind, with the target's id to put in; and when it has none.
LONE_LINK_CELLS = {
    kind: "".join(",{}" if column == kind else "," for column in LINK_KINDS) for kind in LINK_KINDS
}
NO_LINK_CELLS = "," * len(LINK_KINDS)


def _grouped(
    cursor: sqlite3.Cursor, gather: Callable[[list[tuple]], Any]
) -> Iterator[tuple[float, Any]]:
    """``(comment id, gather(its rows))`` for each comment in a query whose first column is
    the comment's id, in id order; then ``(inf, None)`` for ever, so a walk never runs out."""
    for cluster_id, rows in groupby(cursor, itemgetter(0)):
        yield cluster_id, gather(list(rows))
    while True:
        yield math.inf, None


def _distinct_tags(rows: list[tuple[int, str]]) -> list[str]:
    return list(dict.fromkeys(tag for _, tag in rows))


def link_cells(rows: list[tuple[int, str, int, int]]) -> str:
    """A comment's link rows (source, kind, target, link id) as a table's link columns, one
    per kind in LINK_KINDS order, each after its comma: the targets of that kind, each once,
    in the order linked, joined by ``;`` (so never a cell to quote)."""
    if len(rows) == 1:  # most comments: their reply link
        _, kind, target, _ = rows[0]
        return LONE_LINK_CELLS[kind].format(target)
    by_kind: dict[str, dict[int, None]] = {kind: {} for kind in LINK_KINDS}
    for _, kind, target, _ in sorted(rows, key=itemgetter(3)):
        by_kind[kind][target] = None
    return "".join("," + ";".join(map(str, targets)) for targets in by_kind.values())


def _joined_note(rows: list[tuple[int, str, str]]) -> str | None:
    return joined_note([{"annotator": annotator, "text": text} for _, annotator, text in rows])


@dataclass(frozen=True, slots=True)
class TableQueries:
    """What a table of comments shows, as queries in id order: a row per unique comment
    (id, number, thread, position, author, created_at, text, occurrences, tombstone), and
    beside them, grouped by comment as they are read (``(comment id, value)``, then
    ``(inf, None)``), each comment's tag names (each once, in codebook order), its link
    columns (``link_cells``) and its note.

    The walk of ``export_comments`` without what a table leaves out (occurrences, segments,
    the links' ends), and cheaper by the comment: a comment none of the three names costs the
    walker three comparisons.
    """

    rows: sqlite3.Cursor
    tags: Iterator[tuple[float, list[str] | None]]
    links: Iterator[tuple[float, str | None]]
    notes: Iterator[tuple[float, str | None]]


def table_queries(
    db: sqlite3.Connection,
    thread_id: int | None,
    options: ExportOptions = EVERYONE,
    ids: tuple[int, int] | None = None,
) -> TableQueries:
    """The queries of a table of comments (of those with ``ids``, low..high, if given)."""
    args = {"thread": thread_id, "annotator": options.annotator, "ids": ids}
    links = db.execute(
        "SELECT l.source_cluster, l.kind, l.target_cluster, l.id FROM links l "
        # The source's thread is read only when one is asked for: from the index alone,
        # everyone's links of every thread are read twice as fast.
        + ("" if thread_id is None else "JOIN clusters s ON s.id = l.source_cluster ")
        + f"WHERE {in_thread('s.thread_id', thread_id)} "
        f"AND {in_id_range('l.source_cluster', ids)} "
        f"AND {by_annotator('l', options.annotator, or_import=True)} "
        # By the source alone, as the index is read: sorting by link id too would cost a
        # third of the query, for the few comments that have more than one link.
        "ORDER BY l.source_cluster",
        args,
    )
    return TableQueries(
        rows=db.execute(
            "SELECT c.id, c.seq, c.thread_id, k.position, c.author, k.created_at, c.text, "
            "c.size, c.is_tombstone FROM clusters c "
            "JOIN comments k ON k.id = c.canonical_comment_id "
            f"WHERE {in_thread('c.thread_id', thread_id)} AND {in_id_range('c.id', ids)} "
            "ORDER BY c.id",
            args,
        ),
        tags=_grouped(db.execute(_annotations_sql(args, "t.name"), args), _distinct_tags),
        links=_grouped(links, link_cells),
        notes=_grouped(db.execute(_notes_sql(args, "n.annotator, n.text"), args), _joined_note),
    )


class _Segments:
    """Each comment's segments, with their taggings and notes, a comment at a time; with an
    annotator chosen, the segments that annotator tagged, noted or linked."""

    def __init__(self, db: sqlite3.Connection, args: dict[str, Any]) -> None:
        in_the_thread = in_thread("c.thread_id", args["thread"])
        self._segments = ByComment(
            _keyed_rows(
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
        self._annotations = ByComment(
            _keyed_rows(
                db,
                "SELECT s.cluster_id, s.start, s.end, t.name AS tag, a.annotator, a.created_at "
                "FROM annotations a JOIN segments s ON s.id = a.segment_id "
                "JOIN tags t ON t.id = a.tag_id JOIN clusters c ON c.id = s.cluster_id "
                f"WHERE {in_the_thread} AND {by_annotator('a', args['annotator'])} "
                f"ORDER BY s.cluster_id, s.start, s.end, {CODEBOOK_ORDER}, a.annotator",
                args,
            )
        )
        self._notes = ByComment(
            _keyed_rows(
                db,
                "SELECT s.cluster_id, s.start, s.end, n.annotator, n.text, n.updated_at "
                "FROM notes n JOIN segments s ON s.id = n.segment_id "
                f"JOIN clusters c ON c.id = s.cluster_id WHERE {in_the_thread} "
                f"AND {by_annotator('n', args['annotator'])} ORDER BY s.cluster_id, n.annotator",
                args,
            )
        )

    def nothing_on(self, cluster_id: int) -> bool:
        return (
            cluster_id < self._segments.next_id
            and cluster_id < self._annotations.next_id
            and cluster_id < self._notes.next_id
        )

    def take(self, cluster_id: int, number: int, text: str) -> list[ExportSegment]:
        if self.nothing_on(cluster_id):
            return []  # most comments: no query holds anything of theirs
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
