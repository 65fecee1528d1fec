"""What the argument-graph exports (AIF, Argdown, Graphviz) share: the units people linked or
tagged, with their words and speakers, and the links people drew between them.

A unit is a whole comment (``#4``) or a segment of it (``#4.2``).  Only the units someone
tagged or linked with a person's link (rebuts, supports, undercuts, rephrases) are kept, with
the comments they belong to, so what is held follows the annotation, not the thread's size.
The same link drawn by several annotators is one link here (the first drawn): an argument
graph says that #5 supports #4, not how many people think so (``--annotator`` picks one).
"""

from __future__ import annotations

import re
import sqlite3
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
    text: str  # its words: the segment's, or the whole comment's
    created_at: str  # its comment's time, else when someone first tagged or linked it
    thread: int | None = None  # None: a link reaches it from outside the exported thread
    tags: list[str] = field(default_factory=list)
    linked: bool = False

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
    replies_to: list[int] = field(default_factory=list)  # those holding units (replies_to links)


@dataclass(frozen=True, slots=True)
class ArgumentLink:
    source: UnitKey
    target: UnitKey
    kind: str  # one of HUMAN_LINK_KINDS
    created_at: str


@dataclass(slots=True)
class ArgumentGraph:
    units: dict[UnitKey, ArgumentUnit]  # in thread order, a comment before its segments
    comments: dict[int, ArgumentComment]
    links: list[ArgumentLink]  # oldest first, each (source, target, kind) once
    several_threads: bool = False

    def name(self, unit: ArgumentUnit) -> str:
        """The unit's label, with its thread when the export spans several (``#4`` is then
        ambiguous); a unit reached by a link from outside the export has no thread here."""
        if not self.several_threads:
            return unit.label
        if unit.thread is None:
            return f"{unit.label} in another thread"
        return f"{unit.label} in thread {unit.thread}"

    def linked_units(self) -> list[ArgumentUnit]:
        return [unit for unit in self.units.values() if unit.linked]


def argument_graph(
    db: sqlite3.Connection, thread_id: int | None, options: ExportOptions
) -> ArgumentGraph:
    """The units, comments and links of the thread (or all), as the options select them."""
    links: dict[tuple[UnitKey, UnitKey, str], ArgumentLink] = {}
    ends: dict[UnitKey, ArgumentUnit] = {}  # every linked unit, as its first link names it
    for row in link_rows(db, thread_id, options, texts=True):
        if row["kind"] not in HUMAN_LINK_KINDS:
            continue
        source, target = _end_key(row, "source"), _end_key(row, "target")
        links.setdefault(
            (source, target, row["kind"]),
            ArgumentLink(source, target, row["kind"], row["created_at"]),
        )
        for end, key in (("source", source), ("target", target)):
            if key not in ends:
                ends[key] = ArgumentUnit(
                    key,
                    row[f"{end}_unit"],
                    row[f"{end}_number"],
                    row[f"{end}_text"],
                    row["created_at"],
                    linked=True,
                )

    units: dict[UnitKey, ArgumentUnit] = {}
    comments: dict[int, ArgumentComment] = {}
    replied: dict[int, list[int]] = {}  # a comment -> the comments it replies to
    for comment in export_comments(db, thread_id, options):
        found = _units_of(comment, ends)
        if not found:
            continue
        units.update((unit.key, unit) for unit in found)
        comments[comment.id] = ArgumentComment(
            comment.id,
            comment.text,
            comment.author,
            comment.created_at or min(unit.created_at for unit in found),
        )
        replied[comment.id] = [
            link["target"] for link in comment.links if link["kind"] == "replies_to"
        ]
    for comment_id, parents in replied.items():
        comments[comment_id].replies_to = [parent for parent in parents if parent in comments]
    units.update((key, unit) for key, unit in ends.items() if key not in units)  # from outside
    return ArgumentGraph(
        units,
        comments,
        list(links.values()),
        several_threads=len({unit.thread for unit in units.values()}) > 1,
    )


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
