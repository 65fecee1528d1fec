"""One unique comment in full, as the reader's annotation panel shows it to one annotator."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import NamedTuple

from store.codebook import Tag
from store.queries import SNIPPET_CHARS
from store.segments import Span, unit_label
from store.sql import CODEBOOK_ORDER, HUMAN_KINDS

OCCURRENCES_SHOWN = 50
VARIANTS_SHOWN = 5
REPLIES_SHOWN = 30
SAME_TEXT_SHOWN = 20


class Occurrence(NamedTuple):
    position: int
    platform_id: str | None
    author: str | None
    created_at: str | None
    folded: str | None  # None for the canonical occurrence, else identity / exact / near


class CommentRef(NamedTuple):
    """Another comment as the pane names it: its id, its number in the thread, its opening."""

    id: int
    number: int
    snippet: str
    author: str | None = None


class LinkedComment(NamedTuple):
    """A link seen from one end: its kind, and the comment at the other end.

    Either end may be a segment: ``span`` is this comment's, ``other_span`` the other's, each
    with its label (``#5.1``); ``other_words`` are the other segment's words.
    """

    kind: str
    other: CommentRef
    span: Span | None = None
    other_span: Span | None = None
    label: str = ""
    other_label: str = ""
    other_words: str = ""


class SegmentDetail(NamedTuple):
    """A range of the comment that this annotator tagged or noted.

    ``coded_words`` are the words it covered when it was coded, when a newer scrape has
    changed them since (store.rescrape): the codes are on those words, not on ``words``.
    """

    span: Span
    label: str  # "#4.2", as store.segments names it
    words: str
    tags: list[Tag]
    note: str | None
    coded_words: str | None = None


@dataclass(slots=True)
class CommentDetail:
    id: int
    thread_id: int
    seq: int
    text: str
    author: str | None
    created_at: str | None
    tombstone: bool
    size: int
    folded: str | None
    occurrences: list[Occurrence] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    links_out: list[LinkedComment] = field(default_factory=list)
    links_in: list[LinkedComment] = field(default_factory=list)
    note: str | None = None
    parent: CommentRef | None = None
    replies: list[CommentRef] = field(default_factory=list)
    same_text: list[CommentRef] = field(default_factory=list)
    """Other people's comments with the same words (not folded: see store.dedup)."""
    segments: list[SegmentDetail] = field(default_factory=list)
    others: list[OthersTag] = field(default_factory=list)
    """Other annotators' tags on it and its segments, when asked for (blind coding hides them)."""


class OthersTag(NamedTuple):
    """A tag other annotators applied: to the whole comment (``span`` None) or a segment."""

    tag: Tag
    span: tuple[int, int] | None
    annotators: tuple[str, ...]


_REF_COLUMNS = f"c.id, c.seq, substr(c.text, 1, {SNIPPET_CHARS}), c.author"
_TAG_COLUMNS = "t.id, t.name, t.hotkey, t.color, t.description, t.parent_id"


def comment_detail(
    db: sqlite3.Connection, cluster_id: int, annotator: str, *, others: bool = False
) -> CommentDetail | None:
    """Everything the panel shows for a comment: people's links are this annotator's own;
    with ``others``, the other annotators' tags too."""
    row = db.execute(
        "SELECT c.id, c.thread_id, c.seq, c.text, c.author, o.created_at, c.is_tombstone, "
        "c.size, c.folded, c.parent_cluster_id, c.text_group FROM clusters c "
        "JOIN comments o ON o.id = c.canonical_comment_id WHERE c.id = ?",
        (cluster_id,),
    ).fetchone()
    if row is None:
        return None
    *fields, parent_id, text_group = row
    detail = CommentDetail(*fields[:6], bool(fields[6]), *fields[7:])
    detail.occurrences = [
        Occurrence(*occurrence)
        for occurrence in db.execute(
            "SELECT position, platform_id, author, created_at, folded FROM comments "
            "WHERE cluster_id = ? ORDER BY id LIMIT ?",
            (cluster_id, OCCURRENCES_SHOWN),
        )
    ]
    detail.variants = [
        variant
        for (variant,) in db.execute(
            "SELECT DISTINCT text FROM comments WHERE cluster_id = ? AND folded = 'near' LIMIT ?",
            (cluster_id, VARIANTS_SHOWN),
        )
    ]
    detail.tags = [
        Tag(*tag)
        for tag in db.execute(
            f"SELECT {_TAG_COLUMNS} FROM tags t JOIN annotations a ON a.tag_id = t.id "
            "WHERE a.cluster_id = ? AND a.segment_id IS NULL AND a.annotator = ? "
            f"ORDER BY {CODEBOOK_ORDER}",
            (cluster_id, annotator),
        )
    ]
    detail.links_out = _links(db, detail, annotator, outgoing=True)
    detail.links_in = _links(db, detail, annotator, outgoing=False)
    note = db.execute(
        "SELECT text FROM notes WHERE cluster_id = ? AND segment_id IS NULL AND annotator = ?",
        (cluster_id, annotator),
    ).fetchone()
    detail.note = note[0] if note else None
    detail.segments = _segments(db, detail, annotator)
    if others:
        detail.others = _others(db, cluster_id, annotator)
    if parent_id is not None:
        detail.parent = _refs(db, "c.id = ?", (parent_id,))[0]
    detail.replies = _refs(
        db, "c.parent_cluster_id = ? ORDER BY c.seq LIMIT ?", (cluster_id, REPLIES_SHOWN)
    )
    if text_group is not None:
        detail.same_text = _refs(
            db,
            "c.text_group = ? AND c.id != ? ORDER BY c.id LIMIT ?",  # ids run in seq order
            (text_group, cluster_id, SAME_TEXT_SHOWN),
        )
    return detail


def _others(db: sqlite3.Connection, cluster_id: int, annotator: str) -> list[OthersTag]:
    """Everyone else's tags on the comment and its segments, whole comment first, each tag
    with who applied it."""
    rows = db.execute(
        f"SELECT {_TAG_COLUMNS}, s.start, s.end, group_concat(a.annotator, char(31)) "
        "FROM annotations a JOIN tags t ON t.id = a.tag_id "
        "LEFT JOIN segments s ON s.id = a.segment_id "
        "WHERE a.cluster_id = ? AND a.annotator != ? "
        f"GROUP BY t.id, s.id ORDER BY s.start IS NOT NULL, s.start, s.end, {CODEBOOK_ORDER}",
        (cluster_id, annotator),
    )
    return [
        OthersTag(
            Tag(*row[:6]),
            None if row[6] is None else (row[6], row[7]),
            tuple(sorted(row[8].split("\x1f"))),
        )
        for row in rows
    ]


def _refs(db: sqlite3.Connection, where: str, args: tuple) -> list[CommentRef]:
    return [
        CommentRef(*row)
        for row in db.execute(f"SELECT {_REF_COLUMNS} FROM clusters c WHERE {where}", args)
    ]


def _segments(db: sqlite3.Connection, detail: CommentDetail, annotator: str) -> list[SegmentDetail]:
    """This annotator's tagged or noted segments of the comment, in text order."""
    tags: dict[Span, list[Tag]] = {}
    for start, end, *tag in db.execute(
        f"SELECT s.start, s.end, {_TAG_COLUMNS} FROM segments s "
        "JOIN annotations a ON a.segment_id = s.id JOIN tags t ON t.id = a.tag_id "
        f"WHERE s.cluster_id = ? AND a.annotator = ? ORDER BY s.start, s.end, {CODEBOOK_ORDER}",
        (detail.id, annotator),
    ):
        tags.setdefault((start, end), []).append(Tag(*tag))
    notes = {
        (start, end): text
        for start, end, text in db.execute(
            "SELECT s.start, s.end, n.text FROM segments s JOIN notes n ON n.segment_id = s.id "
            "WHERE s.cluster_id = ? AND n.annotator = ?",
            (detail.id, annotator),
        )
    }
    coded = {
        (start, end): words
        for start, end, words in db.execute(
            "SELECT start, end, coded_text FROM segments "
            "WHERE cluster_id = ? AND coded_text IS NOT NULL",
            (detail.id,),
        )
    }
    return [
        SegmentDetail(
            span,
            unit_label(detail.seq, detail.text, span),
            detail.text[span[0] : span[1]],
            tags.get(span, []),
            notes.get(span),
            coded.get(span),
        )
        for span in sorted({*tags, *notes})
    ]


def _links(
    db: sqlite3.Connection, detail: CommentDetail, annotator: str, *, outgoing: bool
) -> list[LinkedComment]:
    """This annotator's links and the import's structural ones (replies aside: shown apart)."""
    ends = ("source", "target") if outgoing else ("target", "source")
    here, there = ends
    links = []
    for kind, *ref, here_start, here_end, there_start, there_end, other_text in db.execute(
        f"SELECT l.kind, {_REF_COLUMNS}, hs.start, hs.end, os.start, os.end, "
        "CASE WHEN os.id IS NOT NULL THEN c.text END "
        f"FROM links l JOIN clusters c ON c.id = l.{there}_cluster "
        f"LEFT JOIN segments hs ON hs.id = l.{here}_segment "
        f"LEFT JOIN segments os ON os.id = l.{there}_segment "
        f"WHERE l.{here}_cluster = ? AND "
        f"((l.kind IN ({HUMAN_KINDS}) AND l.annotator = ?) OR l.kind = 'quotes') ORDER BY l.id",
        (detail.id, annotator),
    ):
        other = CommentRef(*ref)
        span = None if here_start is None else (here_start, here_end)
        other_span = None if there_start is None else (there_start, there_end)
        links.append(
            LinkedComment(
                kind,
                other,
                span,
                other_span,
                unit_label(detail.seq, detail.text, span),
                unit_label(other.number, other_text or "", other_span),
                "" if other_span is None else other_text[other_span[0] : other_span[1]],
            )
        )
    return links
