"""Segments: ranges of a unique comment's text that tags, notes and links attach to.

A segment is ``[start, end)`` in Python code points of its comment's text (the convention of
REFI-QDA tools), unique per comment: tagging the same range twice reuses it.  A range is
named as the reader names it: ``#4.2`` for comment 4's second sentence, ``#4.2-3`` for its
second and third, ``#4:10-52`` for a range that is not whole sentences.

A segment row lives while something refers to it: the change that removes the last tag, note
or link on it removes it too, so every segment in the database is one people made.
"""

from __future__ import annotations

import sqlite3
from typing import NamedTuple

from store.errors import ThreadmarkError
from store.sentences import Span, sentence_number, sentences_of


class Unit(NamedTuple):
    """What a tag, a note or an end of a link is on: a comment, or a segment of it."""

    cluster_id: int
    span: Span | None = None


def check_span(text: str, span: Span) -> None:
    """Refuse a range that is not a non-empty slice of ``text`` in whole code points."""
    start, end = span
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in span):
        raise ThreadmarkError(f"a segment is two whole numbers, not {span!r}")
    if not 0 <= start < end <= len(text):
        raise ThreadmarkError(
            f"segment [{start}, {end}) is not a non-empty range of a {len(text)}-character text"
        )


def as_unit(cluster_id: int, text: str, span: Span | None) -> Unit:
    """A range that holds all of a comment's words is the comment itself (a one-sentence
    comment's sentence): one unit, not two that exports and agreement would count apart."""
    if span is not None:
        words = text.strip()
        first = len(text) - len(text.lstrip())
        if words and span == (first, first + len(words)):
            span = None
    return Unit(cluster_id, span)


def segment_id(db: sqlite3.Connection, cluster_id: int, span: Span, *, create: bool) -> int | None:
    """The id of the comment's segment over ``span``; with ``create``, made if there is none.

    Inside the caller's transaction; ``create`` checks the range against the comment's text.
    """
    start, end = span
    row = db.execute(
        "SELECT id FROM segments WHERE cluster_id = ? AND start = ? AND end = ?",
        (cluster_id, start, end),
    ).fetchone()
    if row is not None or not create:
        return row[0] if row else None
    text = db.execute("SELECT text FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
    if text is None:
        raise ThreadmarkError(f"there is no comment with id {cluster_id}")
    check_span(text[0], span)
    return db.execute(
        "INSERT INTO segments (cluster_id, start, end) VALUES (?, ?, ?)", (cluster_id, start, end)
    ).lastrowid


def drop_if_unused(db: sqlite3.Connection, segment: int | None) -> None:
    """Remove a segment nothing refers to any more (see the module docstring)."""
    if segment is None:
        return
    db.execute(
        "DELETE FROM segments WHERE id = :s "
        "AND NOT EXISTS (SELECT 1 FROM annotations WHERE segment_id = :s) "
        "AND NOT EXISTS (SELECT 1 FROM notes WHERE segment_id = :s) "
        "AND NOT EXISTS (SELECT 1 FROM links WHERE source_segment = :s) "
        "AND NOT EXISTS (SELECT 1 FROM links WHERE target_segment = :s)",
        {"s": segment},
    )


def unit_label(number: int, text: str, span: Span | None) -> str:
    """``#4`` for a whole comment, ``#4.2`` / ``#4.2-3`` for whole sentences, else ``#4:10-52``."""
    if span is None:
        return f"#{number}"
    covered = sentence_number(sentences_of(text), *span)
    if covered is None:
        return f"#{number}:{span[0]}-{span[1]}"
    first, last = covered
    return f"#{number}.{first}" if first == last else f"#{number}.{first}-{last}"


def unit_name(db: sqlite3.Connection, unit: Unit) -> str:
    """:func:`unit_label` of a unit, its comment's number and text read from the database."""
    number, text = db.execute(
        "SELECT seq, CASE WHEN ? THEN text END FROM clusters WHERE id = ?",
        (unit.span is not None, unit.cluster_id),
    ).fetchone() or (unit.cluster_id, None)
    return unit_label(number, text or "", unit.span)


def comment_sentences(db: sqlite3.Connection, cluster_id: int) -> list[Span]:
    """A comment's sentences, the ranges ``#N.1``, ``#N.2``... name (for scripts: tag one with
    ``toggle_tag(db, cluster_id, tag_id, annotator, span)``)."""
    row = db.execute("SELECT text FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
    if row is None:
        raise ThreadmarkError(f"there is no comment with id {cluster_id}")
    return sentences_of(row[0])
