"""Ranking the comments a link could point to, for the link picker.

A link most often points at the comment its source answers, so the ranking puts first what
predicts that: the parent (when the source has reply structure), then what the source quotes
(the import's ``quotes`` links), then the comments before it and last those after it, each by
words evidence (FTS5's bm25 over the source's rarest words) less a multiple of the log of its
distance in thread order (time order, in a flat scrape).  Typed words filter: each must start a
word of the comment.  Every candidate says why it is offered.  bench/suggest.py measures it.

Only the source's neighbourhood, the best matches of its rare words and the nearest matches of
the typed words are scored, so a million-comment thread ranks as fast as a small one.

``#4`` names the comment numbered 4 in the source's thread (``seq``, not the database id),
``#4.2`` its second sentence, and ``#4.`` lists its sentences.
"""

from __future__ import annotations

import functools
import math
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, replace

from store.queries import SNIPPET_CHARS, fts_query
from store.segments import Span, Unit, as_unit, unit_label
from store.sentences import sentences_of

NEIGHBOURHOOD = 300  # rows either side of the linking comment that are always scored
WORD_POOL = 100  # the best bm25 matches of the rare words, from anywhere in the thread
SEARCH_POOL = 200  # full-text matches of the typed words, nearest to the source first
MIN_SEARCH_WORD = 3  # a one- or two-letter prefix matches most of a big thread: not worth it
RARE_WORDS = 8  # the source's rarest words, whose bm25 is the words evidence
COMMON_DOCS = 1000  # a word in this many comments is not rare, and costs too much to search
WORDS_LOOKED_UP = 64  # distinct words of the source whose rarity is looked up
# The odds that a comment is the one answered fall off as its distance squared (the score
# takes NEAR_WEIGHT * ln distance), and sharing rare words multiplies them by exp(bm25).  From
# bench/suggest.py: 1 lets a word shared two rows up beat the row just above, which loses on
# chains of replies (tests/fixtures/reddit_escaped.json); 2.5 loses on busy threads.
NEAR_WEIGHT = 2.0
MATCHED_CHARS = 4000  # how much of a comment's text typed words and reasons look at
_NAMED = re.compile(
    r"^\s*#(?P<number>\d{1,18})"
    r"(?:(?P<dot>\.)(?:(?P<first>\d{1,9})(?:-(?P<last>\d{1,9}))?)?"
    r"|:(?P<start>\d{1,9})-(?P<end>\d{1,9}))?\s*$"
)
_WORD = re.compile(r"[^\W_]+")  # FTS5's unicode61 tokens: letters and digits
_ROW = f"SELECT id, seq, author, substr(text, 1, {MATCHED_CHARS}) FROM clusters"


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int  # the cluster id, which links store
    number: int  # its number in its thread (seq), shown as #number
    snippet: str  # the start of the comment, or the sentence's words
    author: str | None
    reason: str  # why it is offered: "parent", "quoted", "2 above", "words: paint, brush"
    span: Span | None = None  # a sentence of the comment, when one is named
    label: str = ""  # "#4.2" for a sentence; the picker shows "#4" for a comment

    @property
    def unit(self) -> Unit:
        return Unit(self.id, self.span)


@dataclass(frozen=True, slots=True)
class Named:
    """What a ``#4``, ``#4.``, ``#4.2``, ``#4.2-3`` or ``#4:10-52`` query names (the names the
    reader shows)."""

    number: int
    sentences: tuple[int, int] | None = None  # first and last sentence named
    span: Span | None = None  # a range named by its characters
    listing: bool = False  # "#4.": the comment and its sentences, to pick from


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    seq: int
    author: str | None
    text: str  # the first MATCHED_CHARS characters

    def candidate(self, reason: str) -> Candidate:
        return Candidate(self.id, self.seq, self.text[:SNIPPET_CHARS], self.author, reason)


@dataclass(frozen=True, slots=True)
class _Source:
    id: int
    thread_id: int
    seq: int
    parent_id: int | None
    text: str  # the first MATCHED_CHARS characters


def named_unit(query: str) -> Named | None:
    """What a ``#12``, ``#12.``, ``#12.3``, ``#12.3-4`` or ``#12:10-52`` query names, else None."""
    match = _NAMED.match(query)
    if not match:
        return None
    number = int(match["number"])
    if match["start"] is not None:
        return Named(number, span=(int(match["start"]), int(match["end"])))
    if match["first"] is not None:
        first = int(match["first"])
        return Named(number, sentences=(first, int(match["last"] or first)))
    return Named(number, listing=match["dot"] is not None)


def named_targets(
    db: sqlite3.Connection, source: Unit, query: Named, limit: int = 50
) -> list[Candidate]:
    """What ``query`` names in the source's thread: comment N, a range of it, or (for
    ``#N.``) the comment and its sentences, at most ``limit``.  Never the source itself, and
    the source comment's sentences only from a sentence of it (one sentence may support
    another of the same comment).

    A tombstone is never suggested, but one named is linked: a reply to a deleted comment
    still answers it.  It has no sentences.
    """
    row = db.execute(
        "SELECT id, seq, author, text, is_tombstone FROM clusters WHERE seq = ? "
        "AND thread_id = (SELECT thread_id FROM clusters WHERE id = ?)",
        (query.number, source.cluster_id),
    ).fetchone()
    if row is None:
        return []
    *fields, tombstone = row
    comment = _Row(*fields)
    whole = comment.candidate("named")
    inside = not tombstone and (comment.id != source.cluster_id or source.span is not None)
    spans: list[Span] = []
    if query.listing or query.sentences:
        spans = sentences_of(comment.text) if inside else []
    if query.sentences is not None:
        first, last = query.sentences
        units = (
            [(spans[first - 1][0], spans[last - 1][1])] if 1 <= first <= last <= len(spans) else []
        )
    elif query.span is not None:
        start, end = query.span
        units = [query.span] if inside and 0 <= start < end <= len(comment.text) else []
    elif query.listing:
        units = [None, *spans[: limit - 1]]
    else:
        units = [None]
    found = []
    for span in (as_unit(comment.id, comment.text, span).span for span in units):
        if span is None:
            found.append(whole)
            continue
        words = comment.text[span[0] : span[1]]
        label = unit_label(comment.seq, comment.text, span)
        found.append(replace(whole, snippet=words[:SNIPPET_CHARS], span=span, label=label))
    return [candidate for candidate in found if candidate.unit != source]


def sentence_count(db: sqlite3.Connection, source: Unit, number: int) -> int | None:
    """How many sentences comment ``#number`` of the source's thread has (None: no comment)."""
    row = db.execute(
        "SELECT text, is_tombstone FROM clusters WHERE seq = ? "
        "AND thread_id = (SELECT thread_id FROM clusters WHERE id = ?)",
        (number, source.cluster_id),
    ).fetchone()
    if row is None:
        return None
    return 0 if row[1] else len(sentences_of(row[0]))


def link_candidates(
    db: sqlite3.Connection,
    source_id: int,
    query: str = "",
    limit: int = 50,
    *,
    source_span: Span | None = None,
) -> list[Candidate]:
    """Targets for a link from ``source_id`` (or its segment ``source_span``), best first;
    ``#N`` gives exactly comment N, ``#N.k`` its sentence k (see :func:`named_targets`).

    The order: the parent, the comments the source quotes, the comments above it, the comments
    below it (a comment answers what came before it).  Above and below, by words evidence (bm25
    of the source's rare words) less NEAR_WEIGHT times the log of the distance.
    """
    wanted = named_unit(query)
    if wanted is not None:
        return named_targets(db, Unit(source_id, source_span), wanted, limit)
    row = db.execute(
        "SELECT id, thread_id, seq, parent_cluster_id, substr(text, 1, ?) FROM clusters "
        "WHERE id = ?",
        (MATCHED_CHARS, source_id),
    ).fetchone()
    if row is None:
        return []
    source = _Source(*row)
    structural = _structural_targets(db, source)
    rare = _rare_words(db, source.text)
    word_scores = _word_scores(db, source.thread_id, list(rare))
    named = _named_words(db, rare)
    rows = _scored_rows(db, source, [*structural, *_best(word_scores, WORD_POOL)], query)

    def rank(row: _Row) -> tuple[int, float, int]:
        if row.id in structural:
            return (0 if structural[row.id] == "parent" else 1, 0.0, -row.seq)
        distance = source.seq - row.seq
        score = word_scores.get(row.id, 0.0) - NEAR_WEIGHT * math.log(abs(distance))
        return (2 if distance > 0 else 3, -score, -row.seq)

    best = sorted(rows, key=rank)[:limit]
    return [
        row.candidate(structural.get(row.id) or _reason(row, source.seq, named)) for row in best
    ]


def _structural_targets(db: sqlite3.Connection, source: _Source) -> dict[int, str]:
    """What the thread itself says the source answers: its parent, and what it quotes."""
    targets = {
        target: "quoted"
        for (target,) in db.execute(
            "SELECT target_cluster FROM links WHERE source_cluster = ? AND kind = 'quotes'",
            (source.id,),
        )
    }
    if source.parent_id is not None:
        targets[source.parent_id] = "parent"
    return targets


def _best(scores: dict[int, float], count: int) -> list[int]:
    return sorted(scores, key=scores.__getitem__, reverse=True)[:count]


def _scored_rows(
    db: sqlite3.Connection, source: _Source, elsewhere: list[int], query: str
) -> list[_Row]:
    """The comments worth scoring that have the typed words: the source's neighbourhood,
    ``elsewhere`` (wherever in the thread) and the nearest matches of the typed words.

    Never the source itself, nor a tombstone.
    """
    rows = {
        row[0]: _Row(*row)
        for row in db.execute(
            f"{_ROW} WHERE thread_id = ? AND seq BETWEEN ? AND ? AND NOT is_tombstone",
            (source.thread_id, source.seq - NEIGHBOURHOOD, source.seq + NEIGHBOURHOOD),
        )
    }
    typed = _words(query)
    wanted = set(elsewhere)
    if max(map(len, typed), default=0) >= MIN_SEARCH_WORD:
        wanted.update(_typed_matches(db, source, typed))
    missing = sorted(wanted - rows.keys())
    for start in range(0, len(missing), 500):
        chunk = missing[start : start + 500]
        rows.update(
            (row[0], _Row(*row))
            for row in db.execute(
                # "+thread_id": look the ids up, rather than walk the whole thread's index
                f"{_ROW} WHERE id IN ({', '.join('?' * len(chunk))}) AND +thread_id = ? "
                "AND NOT is_tombstone",
                (*chunk, source.thread_id),
            )
        )
    rows.pop(source.id, None)
    return [row for row in rows.values() if _has_words(row.text, typed)]


def _folded(text: str) -> str:
    """``text`` as FTS5 compares it: lower case, without diacritics."""
    text = text.lower()
    if text.isascii():
        return text
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def _words(text: str) -> list[str]:
    """The words of ``text`` as FTS5 indexes them."""
    return _WORD.findall(_folded(text))


def _rare_words(db: sqlite3.Connection, text: str) -> dict[str, int]:
    """The source's RARE_WORDS rarest words that some other comment also has, rarest first,
    each with the number of comments that have it.

    Rarity is the number of comments (in the whole database) with the word, counted up to
    COMMON_DOCS: each count stops there, so a common word costs no more than a rare one.
    """
    counts = {}
    for word in dict.fromkeys(w for w in _words(text) if len(w) >= MIN_SEARCH_WORD):
        if len(counts) == WORDS_LOOKED_UP:
            break
        (count,) = db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM clusters_fts WHERE clusters_fts MATCH ? LIMIT ?)",
            (f'"{word}"', COMMON_DOCS),
        ).fetchone()
        if 1 < count < COMMON_DOCS:
            counts[word] = count
    return dict(sorted(counts.items(), key=lambda item: item[1])[:RARE_WORDS])


def _named_words(db: sqlite3.Connection, rare: dict[str, int]) -> list[str]:
    """The rare words that count, so a reason may name them: bm25 gives no weight to a word
    in half the comments or more (in a small thread, "zeppelin" in two of four)."""
    (comments,) = db.execute("SELECT coalesce(max(id), 0) FROM clusters").fetchone()
    return [word for word, count in rare.items() if count < comments / 2]


def _word_scores(db: sqlite3.Connection, thread_id: int, rare: list[str]) -> dict[int, float]:
    """How much of the rare words each comment of the thread shares, as bm25 (higher is more)."""
    if not rare:
        return {}
    return {
        cluster_id: -bm25
        for cluster_id, bm25 in db.execute(
            "SELECT f.rowid, bm25(clusters_fts) FROM clusters_fts f CROSS JOIN clusters c "
            "ON c.id = f.rowid WHERE clusters_fts MATCH ? AND c.thread_id = ? "
            "AND NOT c.is_tombstone",
            (" OR ".join(f'"{word}"' for word in rare), thread_id),
        )
    }


def _typed_matches(db: sqlite3.Connection, source: _Source, typed: list[str]) -> list[int]:
    """Comments of the thread with the typed words (those long enough to search), nearest first.

    Walks the full-text index in id order (thread order, within an import) up from the source,
    and down from it only if that found fewer than SEARCH_POOL: every walk of a short prefix
    merges the postings of each word it starts, so common words get one walk.
    """
    words = fts_query(" ".join(word for word in typed if len(word) >= MIN_SEARCH_WORD))
    found: list[int] = []
    for direction, order in (("<", "DESC"), (">", "ASC")):
        found += [
            row[0]
            for row in db.execute(
                "SELECT f.rowid FROM clusters_fts f CROSS JOIN clusters c ON c.id = f.rowid "
                f"WHERE clusters_fts MATCH ? AND f.rowid {direction} ? AND c.thread_id = ? "
                f"AND NOT c.is_tombstone ORDER BY f.rowid {order} LIMIT ?",
                (words, source.id, source.thread_id, SEARCH_POOL - len(found)),
            )
        ]
        if len(found) == SEARCH_POOL:
            break
    return found


def _has_words(text: str, typed: list[str]) -> bool:
    """Whether each typed word starts a word of ``text``, as a full-text prefix search has it."""
    text = _folded(text)
    return all(word in text and _starts_word(word).search(text) for word in typed)


@functools.lru_cache(maxsize=64)
def _starts_word(word: str) -> re.Pattern:
    return re.compile(rf"(?<![^\W_]){re.escape(word)}")


def _reason(row: _Row, source_seq: int, named: list[str]) -> str:
    """The rarest words the comment shares with the source, else how far away it is."""
    shared = set(_words(row.text)).intersection(named)
    if shared:
        return "words: " + ", ".join(word for word in named if word in shared)
    distance = source_seq - row.seq
    return f"{distance} above" if distance > 0 else f"{-distance} below"
