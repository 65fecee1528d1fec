"""Inter-annotator agreement: how far the people who coded a thread agree, tag by tag.

Three tables, each a set of items that every annotator compared codes (nominal categories):

- comments: the unique comments that are not tombstones, coded for each tag present or absent
  by the annotator's whole-comment tags;
- sentences (``store.sentences``, the ``#4.2`` numbering) of the comments in which any
  annotator compared tagged a segment, coded for each tag by whether one of the annotator's
  segments with that tag marks the sentence: more than half of the sentence lies in the
  segment, or more than half of the segment lies in the sentence.  So a phrase tagged inside a
  sentence marks it, and a segment that runs a word into the next sentence does not mark that
  one.  Comments nobody segmented are left out: they would add only "absent" from everyone,
  which inflates agreement, and splitting every comment of a large thread would be slow;
- links: the (source unit, target unit) pairs, in that direction, that any annotator compared
  linked, a unit being a comment or one of its segments; coded by the kind, "absent", or the
  kinds joined with "+" when one annotator gave a pair several.  Reply and quote links, made at
  import, are not codings.

Coding is presence, so nothing is missing: what an annotator did not tag is absent, also in a
thread they never coded (when they are named, or every thread is compared).

For each table: Cohen's kappa for every pair of annotators (``cohen_kappa`` is the pair's with
two annotators, the mean of all pairs with more: Light's kappa), Fleiss' kappa, Krippendorff's
alpha (nominal), percent agreement (the share of agreeing pairs of codings on an item, averaged
over the items) and the number of items.  A statistic that is undefined (fewer than two
annotators, no items, every item coded the same) is None, with the reason in ``reasons``.
Everything returned is plain data, ready for JSON.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from itertools import combinations
from typing import TypedDict

import numpy as np

from store.adjudication import SETTLE
from store.errors import ThreadmarkError
from store.sentences import sentences_of
from store.sql import CODEBOOK_ORDER, HUMAN_KINDS, in_thread

ABSENT = 0  # the category of an item an annotator did not code
NEEDS_TWO = "agreement needs two annotators"
NO_ITEMS = "no items"
NOT_USED = "nobody used it: every item is absent"
NO_VARIATION = "no variation: every item coded the same"
SOME_PAIR_UNDEFINED = "undefined for some pair of annotators"
# The statistics an entry holds besides its items and pairs, in the order tables show them.
STATISTICS = ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "percent_agreement")


class Scores(TypedDict):
    """One table's agreement; ``reasons`` says why each None is None (``pairs`` per pair)."""

    cohen_kappa: float | None
    krippendorff_alpha: float | None
    fleiss_kappa: float | None
    percent_agreement: float | None
    items: int
    pairs: dict[str, float | None]
    reasons: dict[str, object]


class Report(TypedDict):
    """Agreement over a thread: per tag on comments and on sentences, and on links."""

    annotators: list[str]
    tags: dict[str, Scores]
    segments: dict[str, Scores]
    links: Scores


def thread_agreement(
    db: sqlite3.Connection, thread_id: int | None = None, annotators: Sequence[str] | None = None
) -> Report:
    """Agreement in one thread (every thread when None) between ``annotators``.

    By default everyone who tagged or linked there, in name order, but the adjudicators (who
    settled disagreements into a gold layer: see store.adjudication).  A name given must have
    tagged or linked somewhere in the database (a typo would otherwise read as "all absent");
    one who coded other threads but not this one codes every item here absent.
    """
    if annotators is None:  # the adjudicators' gold layer is no independent coding
        judges = {
            name
            for (name,) in db.execute(
                f"SELECT DISTINCT annotator FROM events WHERE action = '{SETTLE}'"
            )
        }
        chosen = [name for name in coders(db, thread_id) if name not in judges]
    else:
        chosen = list(dict.fromkeys(annotators))
        known = coders(db, None)
        if unknown := [name for name in chosen if name not in known]:
            raise ThreadmarkError(
                f"no tags or links by {', '.join(map(repr, unknown))} in the database "
                f"(annotators: {', '.join(map(repr, known)) or 'none'})"
            )
    query = Query(db, thread_id, chosen)
    tags = db.execute(f"SELECT t.id, t.name FROM tags t ORDER BY {CODEBOOK_ORDER}").fetchall()
    comments, comment_marks = _comment_marks(query)
    sentences, sentence_marks = _sentence_marks(query)
    return {
        "annotators": chosen,
        "tags": _per_tag(tags, comment_marks, comments, chosen),
        "segments": _per_tag(tags, sentence_marks, sentences, chosen),
        "links": scores(_link_codes(query), chosen),
    }


def coders(db: sqlite3.Connection, thread_id: int | None) -> list[str]:
    """Everyone with a tag on a comment there (or a segment of it) or a link from it."""
    rows = Query(db, thread_id, ()).execute(
        "SELECT a.annotator FROM annotations a JOIN clusters c ON c.id = a.cluster_id "
        "WHERE NOT c.is_tombstone AND {scope} "
        "UNION SELECT l.annotator FROM links l JOIN clusters c ON c.id = l.source_cluster "
        f"WHERE l.kind IN ({HUMAN_KINDS}) AND {{scope}}"
    )
    return sorted(name for (name,) in rows)


# -- the items and their codings ---------------------------------------------------------------
# A table's codings start as "marks": one row (tag id, annotator index, item index) for each
# item an annotator coded with a tag.


class Query:
    """What every query of a report shares: the comments in scope (``c``), the annotators.

    Rows by other annotators are dropped here, not in SQL: a condition on the annotator
    makes SQLite start from the annotator's index and look up every comment, slower on a
    large thread than going through the thread's comments.
    """

    def __init__(
        self, db: sqlite3.Connection, thread_id: int | None, annotators: Sequence[str]
    ) -> None:
        self.db = db
        self.thread_id = thread_id
        self.index = {name: position for position, name in enumerate(annotators)}

    def execute(self, sql: str) -> sqlite3.Cursor:
        """``sql`` run with its ``{scope}``, the condition on ``c.thread_id``, filled in."""
        scope = in_thread("c.thread_id", self.thread_id)
        return self.db.execute(sql.format(scope=scope), {"thread": self.thread_id})

    def rows(self, sql: str) -> list[tuple]:
        """The rows of ``sql`` whose second column is an annotator compared, the name turned
        into the annotator's column in the codings."""
        index = self.index
        return [(row[0], index[row[1]], *row[2:]) for row in self.execute(sql) if row[1] in index]

    def columns(self, sql: str, width: int) -> list[np.ndarray]:
        """:meth:`rows` of ``sql`` (all integers once the names are indexes) as columns."""
        rows = self.rows(sql)
        return list(np.array(rows, dtype=np.int64).reshape(len(rows), width).T)


def _comment_marks(query: Query) -> tuple[int, np.ndarray]:
    """The number of comments that are items, and the marks of whole-comment tags on them."""
    in_scope = "NOT c.is_tombstone AND {scope}"
    found = query.execute(f"SELECT c.id FROM clusters c WHERE {in_scope} ORDER BY c.id")
    items = np.array(found.fetchall(), dtype=np.int64).reshape(-1)
    tag_ids, who, cluster_ids = query.columns(
        "SELECT a.tag_id, a.annotator, a.cluster_id FROM annotations a "
        f"JOIN clusters c ON c.id = a.cluster_id WHERE a.segment_id IS NULL AND {in_scope}",
        3,
    )
    return len(items), np.column_stack((tag_ids, who, np.searchsorted(items, cluster_ids)))


def _sentence_marks(query: Query) -> tuple[int, np.ndarray]:
    """The number of sentences that are items, and the marks of tagged segments on them.

    The segmented comments are laid end to end on one line (each text from its own offset, a
    gap after it), so one sorted search finds, for every segment, the sentences it meets.
    """
    tag_ids, who, cluster_ids, starts, ends = query.columns(
        "SELECT a.tag_id, a.annotator, s.cluster_id, s.start, s.end FROM annotations a "
        "JOIN segments s ON s.id = a.segment_id JOIN clusters c ON c.id = s.cluster_id "
        "WHERE NOT c.is_tombstone AND {scope}",
        5,
    )
    offsets: dict[int, int] = {}  # cluster id -> where its text starts on the line
    lengths: dict[int, int] = {}
    sentence_starts: list[int] = []
    sentence_ends: list[int] = []
    line = 0
    for cluster_id, text in query.db.execute(
        "SELECT id, text FROM clusters WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
        (json.dumps(sorted(set(cluster_ids.tolist()))),),
    ):
        offsets[cluster_id], lengths[cluster_id] = line, len(text)
        for start, end in sentences_of(text):
            sentence_starts.append(line + start)
            sentence_ends.append(line + end)
        line += len(text) + 1
    sentence_start = np.array(sentence_starts, dtype=np.int64)
    sentence_end = np.array(sentence_ends, dtype=np.int64)
    # A segment stays where it was coded when a re-scrape shortens the text: cut it to the
    # text, so that it never reaches the next comment's sentences.
    base = np.array([offsets[c] for c in cluster_ids.tolist()], dtype=np.int64)
    limit = np.array([lengths[c] for c in cluster_ids.tolist()], dtype=np.int64)
    segment_start = base + np.minimum(starts, limit)
    segment_end = base + np.minimum(ends, limit)
    # Segment j meets sentences first[j] .. first[j] + met[j] - 1: from the first that ends
    # after it starts to the last that starts before it ends.  Each (segment, sentence) pair:
    first = np.searchsorted(sentence_end, segment_start, side="right")
    met = np.maximum(np.searchsorted(sentence_start, segment_end, side="left") - first, 0)
    segment = np.repeat(np.arange(len(met)), met)
    sentence = np.repeat(first - np.cumsum(met) + met, met) + np.arange(met.sum())
    overlap = np.minimum(segment_end[segment], sentence_end[sentence]) - np.maximum(
        segment_start[segment], sentence_start[sentence]
    )
    shorter = np.minimum(
        segment_end[segment] - segment_start[segment],
        sentence_end[sentence] - sentence_start[sentence],
    )
    marks = 2 * overlap > shorter
    return len(sentence_start), np.column_stack(
        (tag_ids[segment][marks], who[segment][marks], sentence[marks])
    )


def _per_tag(
    tags: list[tuple[int, str]], marks: np.ndarray, items: int, annotators: list[str]
) -> dict[str, Scores]:
    """Each tag's scores, the items coded present where marked, absent elsewhere."""
    result = {}
    for tag_id, name in tags:
        marked = marks[marks[:, 0] == tag_id]
        codes = np.full((items, len(annotators)), ABSENT, dtype=np.int64)
        codes[marked[:, 2], marked[:, 1]] = 1
        result[name] = scores(codes, annotators)
    return result


def _link_codes(query: Query) -> np.ndarray:
    """The link items (pairs of units anyone linked), each annotator's code for each.

    Codes number the categories in the order met: ``ABSENT``, then each kind (or "+"-joined
    kinds) as it first appears.
    """
    kinds: dict[tuple[int, int, int, int], dict[int, list[str]]] = {}
    for kind, annotator, *units in query.rows(
        "SELECT l.kind, l.annotator, l.source_cluster, coalesce(l.source_segment, 0), "
        "l.target_cluster, coalesce(l.target_segment, 0) "
        "FROM links l JOIN clusters c ON c.id = l.source_cluster "
        f"WHERE l.kind IN ({HUMAN_KINDS}) AND {{scope}}"
    ):
        kinds.setdefault(tuple(units), {}).setdefault(annotator, []).append(kind)
    categories = {"absent": ABSENT}
    codes = np.full((len(kinds), len(query.index)), ABSENT, dtype=np.int64)
    for item, by_annotator in enumerate(kinds.values()):
        for annotator, given in by_annotator.items():
            category = "+".join(sorted(given))
            codes[item, annotator] = categories.setdefault(category, len(categories))
    return codes


# -- the statistics ----------------------------------------------------------------------------


def scores(codes: np.ndarray, annotators: Sequence[str]) -> Scores:
    """Every statistic of ``codes`` (items x annotators, categories numbered from 0).

    Nothing is missing: every item has one code from each annotator.
    """
    items, raters = codes.shape
    pairs = {f"{annotators[a]}|{annotators[b]}": (a, b) for a, b in combinations(range(raters), 2)}
    values: dict[str, float | None] = dict.fromkeys(STATISTICS)
    pair_values: dict[str, float | None] = dict.fromkeys(pairs)
    if raters < 2 or items == 0:
        reason = NEEDS_TWO if raters < 2 else NO_ITEMS
        reasons: dict[str, object] = dict.fromkeys(STATISTICS, reason)
        pair_reasons = dict.fromkeys(pairs, reason)
    else:
        categories = int(codes.max()) + 1
        pair_reasons = {}
        for name, (a, b) in pairs.items():
            if reason := _constant(codes[:, [a, b]]):
                pair_reasons[name] = reason
            else:
                pair_values[name] = cohen_kappa(codes[:, a], codes[:, b], categories)
        reasons = {}
        if not pair_reasons:
            values["cohen_kappa"] = float(np.mean(list(pair_values.values())))
        elif raters == 2:
            reasons["cohen_kappa"] = next(iter(pair_reasons.values()))
        else:
            reasons["cohen_kappa"] = SOME_PAIR_UNDEFINED
        counts = _category_counts(codes, categories)
        values["percent_agreement"] = 100 * observed_agreement(counts)
        if reason := _constant(codes):
            reasons["fleiss_kappa"] = reasons["krippendorff_alpha"] = reason
        else:
            values["fleiss_kappa"] = fleiss_kappa(counts)
            values["krippendorff_alpha"] = krippendorff_alpha(counts)
    if pair_reasons:
        reasons["pairs"] = pair_reasons
    return {
        "cohen_kappa": values["cohen_kappa"],
        "krippendorff_alpha": values["krippendorff_alpha"],
        "fleiss_kappa": values["fleiss_kappa"],
        "percent_agreement": values["percent_agreement"],
        "items": items,
        "pairs": pair_values,
        "reasons": reasons,
    }


def _constant(codes: np.ndarray) -> str | None:
    """Why chance-corrected agreement is undefined on ``codes``: one category everywhere."""
    if (codes != codes.flat[0]).any():
        return None
    return NOT_USED if codes.flat[0] == ABSENT else NO_VARIATION


def _category_counts(codes: np.ndarray, categories: int) -> np.ndarray:
    """items x categories: how many annotators gave each item each category."""
    items = codes.shape[0]
    cells = (np.arange(items)[:, None] * categories + codes).ravel()
    return np.bincount(cells, minlength=items * categories).reshape(items, categories)


def cohen_kappa(first: np.ndarray, second: np.ndarray, categories: int) -> float:
    """Cohen's kappa of two annotators' codes: (observed - chance) / (1 - chance), chance
    from each annotator's own shares of the categories."""
    cells = np.bincount(first * categories + second, minlength=categories * categories)
    table = cells.reshape(categories, categories) / len(first)
    observed = np.trace(table)
    chance = table.sum(axis=1) @ table.sum(axis=0)
    return float((observed - chance) / (1 - chance))


def observed_agreement(counts: np.ndarray) -> float:
    """The share of agreeing pairs of codings on an item, averaged over the items."""
    raters = counts[0].sum()
    return float((((counts**2).sum(axis=1) - raters) / (raters * (raters - 1))).mean())


def fleiss_kappa(counts: np.ndarray) -> float:
    """Fleiss' kappa from ``counts`` (items x categories), chance from the pooled shares."""
    shares = counts.sum(axis=0) / counts.sum()
    chance = float((shares**2).sum())
    return (observed_agreement(counts) - chance) / (1 - chance)


def krippendorff_alpha(counts: np.ndarray) -> float:
    """Krippendorff's alpha (nominal) from ``counts``, every item coded by every annotator.

    1 - (n - 1) * D / E over the n codings: D the disagreeing pairs within items, each item's
    weighted by 1 / (annotators - 1), and E the disagreeing pairs among all n codings.
    """
    raters = int(counts[0].sum())
    values = int(counts.sum())
    disagreeing = float((raters**2 - (counts**2).sum(axis=1)).sum()) / (raters - 1)
    expected = float(values**2 - (counts.sum(axis=0) ** 2).sum())
    return 1 - (values - 1) * disagreeing / expected
