"""What the argument-graph exports (AIF, Argdown, Graphviz) share: the units people linked or
tagged, with their words and speakers, and the links people drew between them.

A unit is a whole comment (``#4``) or a segment of it (``#4.2``).  Only the units someone
tagged or linked with a person's link (rebuts, supports, undercuts, rephrases) are kept, with
the comments they belong to.  The same link drawn by several annotators is one link here (the
first drawn): an argument graph says that #5 supports #4, not how many people think so
(``--annotator`` picks one).

The links and their ends are held (what people drew, a few per cent of a thread); the units'
and comments' words go to a temporary SQLite file as the walk meets them and are read back in
order by each writer, so memory stays flat however many comments are tagged.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from store.exporters.comments import ExportComment, export_comments, link_rows, tag_names
from store.exporters.options import ExportOptions
from store.schema import HUMAN_LINK_KINDS

UnitKey = tuple[int, int | None, int | None]  # (comment id, start, end); no range: the comment


@dataclass(slots=True)
class ArgumentUnit:
    key: UnitKey
    label: str  # as the reader names it: "#4.2"
    number: int  # its comment's number in its thread
    text: str  # its words: the segment's, or the whole comment's ("" for a linked end held)
    created_at: str  # its comment's time, else when someone first tagged or linked it
    thread: int | None = None  # None: a link reaches it from outside the exported thread
    tags: list[str] = field(default_factory=list)
    linked: bool = False
    author: str | None = None  # its comment's

    @property
    def comment(self) -> int:
        return self.key[0]


@dataclass(slots=True)
class ArgumentComment:
    """A comment that holds units: the speech act they were said in."""

    id: int
    text: str
    author: str | None
    created_at: str  # its own time, else its first unit's
    units: range  # its units' places (from 1) in ``ArgumentGraph.units()``
    replies_to: list[int] = field(default_factory=list)  # those holding units (replies_to links)


@dataclass(frozen=True, slots=True)
class ArgumentLink:
    source: UnitKey
    target: UnitKey
    kind: str  # one of HUMAN_LINK_KINDS
    created_at: str


_SPOOL = """
    CREATE TABLE units (
        place INTEGER PRIMARY KEY, comment INTEGER, start INTEGER, end INTEGER, label TEXT,
        number INTEGER, text TEXT, created_at TEXT, thread INTEGER, tags TEXT, linked INTEGER,
        author TEXT
    );
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY, text TEXT, author TEXT, created_at TEXT, first INTEGER,
        count INTEGER, replies_to TEXT
    );
"""


class ArgumentGraph:
    """The links and their ends in memory; the units (a comment's before its segments, in
    thread order, then those reached from outside) and their comments spooled (see above).
    A context manager: leaving it deletes the spool."""

    def __init__(self) -> None:
        self.links: list[ArgumentLink] = []  # oldest first, each (source, target, kind) once
        self.ends: dict[UnitKey, ArgumentUnit] = {}  # every linked unit, without its words
        self.several_threads = False
        self._spool = sqlite3.connect("")  # a private temporary file, gone when closed
        self._spool.executescript(_SPOOL)
        self._threads: set[int | None] = set()

    def __enter__(self) -> ArgumentGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self._spool.close()

    def name(self, unit: ArgumentUnit) -> str:
        """The unit's label, with its thread when the export spans several (``#4`` is then
        ambiguous); a unit reached by a link from outside the export has no thread here."""
        if not self.several_threads:
            return unit.label
        if unit.thread is None:
            return f"{unit.label} in another thread"
        return f"{unit.label} in thread {unit.thread}"

    def units(self) -> Iterator[ArgumentUnit]:
        for row in self._spool.execute(
            "SELECT comment, start, end, label, number, text, created_at, thread, tags, linked, "
            "author FROM units ORDER BY place"
        ):
            yield ArgumentUnit(
                (row[0], row[1], row[2]),
                *row[3:8],
                tags=json.loads(row[8]),
                linked=bool(row[9]),
                author=row[10],
            )

    def linked_units(self) -> Iterator[ArgumentUnit]:
        return (unit for unit in self.units() if unit.linked)

    def comments(self) -> Iterator[ArgumentComment]:
        """The comments in thread order, each with the replies_to links among them."""
        for row in self._spool.execute(
            "SELECT c.id, c.text, c.author, c.created_at, c.first, c.count, "
            "(SELECT json_group_array(r.value) FROM json_each(c.replies_to) r "
            "WHERE r.value IN (SELECT id FROM comments)) FROM comments c ORDER BY c.id"
        ):
            first, count = row[4], row[5]
            yield ArgumentComment(*row[:4], range(first, first + count), json.loads(row[6]))

    def _add_units(self, found: list[ArgumentUnit]) -> None:
        self._spool.executemany(
            "INSERT INTO units (comment, start, end, label, number, text, created_at, thread, "
            "tags, linked, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    *unit.key,
                    unit.label,
                    unit.number,
                    unit.text,
                    unit.created_at,
                    unit.thread,
                    json.dumps(unit.tags),
                    unit.linked,
                    unit.author,
                )
                for unit in found
            ),
        )
        self._threads.update(unit.thread for unit in found)

    def _read(self, db: sqlite3.Connection, thread_id: int | None, options: ExportOptions) -> None:
        self._read_links(db, thread_id, options)
        (place,) = self._spool.execute("SELECT count(*) FROM units").fetchone()
        for comment in export_comments(db, thread_id, options):
            found = _units_of(comment, self.ends)
            if not found:
                continue
            for unit in found:
                if unit.linked:  # met: the end is named with its thread from now on
                    self.ends[unit.key].thread = unit.thread
            self._add_units(found)
            replies = [link["target"] for link in comment.links if link["kind"] == "replies_to"]
            self._spool.execute(
                "INSERT INTO comments VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    comment.id,
                    comment.text,
                    comment.author,
                    comment.created_at or min(unit.created_at for unit in found),
                    place + 1,
                    len(found),
                    json.dumps(replies),
                ),
            )
            place += len(found)
        for unit in self._outside(db):
            self.ends[unit.key] = unit
            self._add_units([unit])
        self.several_threads = len(self._threads) > 1

    def _read_links(
        self, db: sqlite3.Connection, thread_id: int | None, options: ExportOptions
    ) -> None:
        links: dict[tuple[UnitKey, UnitKey, str], ArgumentLink] = {}
        for row in link_rows(db, thread_id, options):
            if row["kind"] not in HUMAN_LINK_KINDS:
                continue
            source, target = _end_key(row, "source"), _end_key(row, "target")
            links.setdefault(
                (source, target, row["kind"]),
                ArgumentLink(source, target, row["kind"], row["created_at"]),
            )
            for end, key in (("source", source), ("target", target)):
                if key not in self.ends:
                    self.ends[key] = ArgumentUnit(
                        key,
                        row[f"{end}_unit"],
                        row[f"{end}_number"],
                        "",
                        row["created_at"],
                        linked=True,
                    )
        self.links = list(links.values())

    def _outside(self, db: sqlite3.Connection) -> Iterator[ArgumentUnit]:
        """The linked units the walk did not meet (in another thread), with their words: a
        lookup each, as there are only as many as links that leave the thread."""
        for key, unit in list(self.ends.items()):
            if unit.thread is None:
                comment, start, end = key
                row = db.execute("SELECT text FROM clusters WHERE id = ?", (comment,)).fetchone()
                unit.text = row[0][start:end]
                yield unit


def argument_graph(
    db: sqlite3.Connection, thread_id: int | None, options: ExportOptions
) -> ArgumentGraph:
    """The units, comments and links of the thread (or all), as the options select them; use
    it in a ``with``, which deletes its spool."""
    graph = ArgumentGraph()
    try:
        graph._read(db, thread_id, options)
    except BaseException:
        graph.__exit__()
        raise
    return graph


def _end_key(link: dict[str, Any], end: str) -> UnitKey:
    return (link[end], link[f"{end}_start"], link[f"{end}_end"])


def _units_of(comment: ExportComment, ends: dict[UnitKey, ArgumentUnit]) -> list[ArgumentUnit]:
    """The comment's units that someone tagged or linked: the whole comment, then segments."""
    pieces = [((comment.id, None, None), f"#{comment.number}", comment.text, comment.annotations)]
    pieces += [
        ((comment.id, segment.start, segment.end), segment.unit, segment.text, segment.annotations)
        for segment in comment.segments
    ]
    found = []
    for key, label, text, tagged in pieces:
        linked = ends.get(key)
        if not tagged and linked is None:
            continue
        marked = [a["created_at"] for a in tagged] + ([linked.created_at] if linked else [])
        found.append(
            ArgumentUnit(
                key,
                label,
                comment.number,
                text,
                comment.created_at or min(marked),
                thread=comment.thread,
                tags=tag_names(tagged),
                linked=linked is not None,
                author=comment.author,
            )
        )
    return found


# What a picture or a map cannot show or should not: controls (the line breaks among them
# become spaces), bidi and byte-order marks, and what XML cannot hold (lone surrogates, U+FFFE).
_CONTROLS = "".join(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)) if not chr(c).isspace())
_HIDDEN = re.compile(
    f"[{_CONTROLS}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff\ufffe\uffff]"
)


def plain_line(text: str) -> str:
    """``text`` as one line of visible words: no control, bidi or other hidden character, and
    every run of whitespace (line breaks, tabs, U+2028) one space."""
    return " ".join(_HIDDEN.sub("", text).split())


def shortened(text: str, limit: int) -> str:
    """At most ``limit`` characters of ``text``, cut between words where one is near, with an
    ellipsis when anything was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "\u2026"
