"""Read-side queries for a reader: threads, progress, and windows of a thread's rows.

A view never loads a whole thread into Python.  Unfiltered, row ``i`` of a thread is the
cluster with the thread's ``i``-th ``seq`` (an indexed range query); a filtered view keeps only
the matching cluster ids, as a compact integer array, and fetches rows for a window of them.
Finding every match takes a second at a million comments, so a reader first shows a screen of
them (:func:`first_matches`, a ``LIMIT`` over growing ranges of the thread) and the rest when
:func:`filtered_ids` has them.

Three numbers name a comment: ``id`` (unique across the database, stable: exports use it),
``seq`` (its number in its thread, the ``#N`` people see and type), and an occurrence's
``position`` (its place in the source file).
"""

from __future__ import annotations

import re
import sqlite3
from array import array
from typing import NamedTuple

from store.sql import CODEBOOK_ORDER, HUMAN_KINDS

SNIPPET_CHARS = 400


class Thread(NamedTuple):
    id: int
    title: str
    source: str
    format: str


class RowFilter(NamedTuple):
    """Which of a thread's comments a view shows.  The default shows them all."""

    hide_tombstones: bool = False
    tag_id: int | None = None
    untagged: bool = False
    has_links: bool = False
    has_note: bool = False
    search: str | None = None

    @property
    def is_everything(self) -> bool:
        return self == RowFilter()


class Row(NamedTuple):
    """What a list row shows of one unique comment, for one annotator."""

    id: int
    seq: int
    depth: int
    size: int
    author: str | None
    snippet: str
    tombstone: bool
    tag_ids: tuple[int, ...] = ()
    links_out: int = 0
    links_in: int = 0
    has_note: bool = False
    segment_tag_ids: tuple[int, ...] = ()  # tags on segments of it, each once
    others_tag_ids: tuple[int, ...] = ()  # other annotators' tags on it, when they are shown


def list_threads(db: sqlite3.Connection) -> list[Thread]:
    return [Thread(*row) for row in db.execute("SELECT id, title, source, format FROM threads")]


def get_thread(db: sqlite3.Connection, thread_id: int) -> Thread | None:
    row = db.execute(
        "SELECT id, title, source, format FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    return Thread(*row) if row else None


def thread_to_open(db: sqlite3.Connection, preferred: int | None) -> int | None:
    """``preferred`` if the database still has it, else the newest thread, else None."""
    row = db.execute(
        "SELECT id FROM threads ORDER BY id = ? DESC, id DESC LIMIT 1", (preferred,)
    ).fetchone()
    return row[0] if row else None


def thread_of(db: sqlite3.Connection, cluster_id: int) -> int | None:
    """The thread a comment belongs to, or None if there is no such comment."""
    row = db.execute("SELECT thread_id FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
    return row[0] if row else None


class ThreadSize(NamedTuple):
    """The three counts of a thread, which the reader must tell apart for its user.

    ``rows``: unique comments, the list's rows (``comments`` that can be annotated plus
    ``deleted`` tombstones); ``occurrences``: records in the source, repeats included.
    """

    rows: int
    comments: int
    deleted: int
    occurrences: int


def thread_size(db: sqlite3.Connection, thread_id: int) -> ThreadSize:
    """Index probes only (seq and position run 1..n without gaps), so a big thread opens fast."""
    first, last, tombstones, occurrences = db.execute(
        "SELECT (SELECT min(seq) FROM clusters WHERE thread_id = :t), "
        "(SELECT max(seq) FROM clusters WHERE thread_id = :t), "
        "(SELECT count(*) FROM clusters WHERE thread_id = :t AND is_tombstone), "
        "(SELECT max(position) FROM comments WHERE thread_id = :t)",
        {"t": thread_id},
    ).fetchone()
    rows = 0 if first is None else last - first + 1
    return ThreadSize(rows, rows - tombstones, tombstones, occurrences or 0)


def number_of(db: sqlite3.Connection, cluster_id: int) -> int | None:
    """A comment's number in its thread (the ``#N`` the reader shows), or None."""
    row = db.execute("SELECT seq FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
    return row[0] if row else None


def cluster_by_number(db: sqlite3.Connection, thread_id: int, number: int) -> int | None:
    """The comment a user means by ``#number`` in a thread, or None if there is none."""
    row = db.execute(
        "SELECT id FROM clusters WHERE thread_id = ? AND seq = ?", (thread_id, number)
    ).fetchone()
    return row[0] if row else None


def annotated_count(db: sqlite3.Connection, thread_id: int, annotator: str) -> int:
    """Comments of the thread this annotator has tagged at least once (of ThreadSize.comments)."""
    return db.execute(
        "SELECT count(DISTINCT a.cluster_id) FROM annotations a JOIN clusters c "
        "ON c.id = a.cluster_id WHERE c.thread_id = ? AND a.annotator = ? AND NOT c.is_tombstone",
        (thread_id, annotator),
    ).fetchone()[0]


class ThreadView:
    """The rows of one thread under a filter, as an annotator sees them."""

    def __init__(
        self,
        db: sqlite3.Connection,
        thread_id: int,
        annotator: str,
        row_filter: RowFilter | None = None,
        *,
        ids: array | None = None,
        complete: bool = True,
        show_others: bool = False,
    ) -> None:
        """``ids``: the filter's matches if already found (say, by a worker with its own
        connection, since at a million comments a filter takes a second); else found here.
        ``complete`` False: ``ids`` are only the first of them (:func:`first_matches`), shown
        while the rest are found.
        ``show_others``: rows also carry the other annotators' tags (blind coding hides them).
        """
        self.db = db
        self.show_others = show_others
        self.thread_id = thread_id
        self.annotator = annotator
        self.filter = row_filter or RowFilter()
        self.complete = complete
        # seq runs 1..n without gaps: two index probes give the size, with no scan.
        first, last = db.execute(
            "SELECT (SELECT min(seq) FROM clusters WHERE thread_id = :t), "
            "(SELECT max(seq) FROM clusters WHERE thread_id = :t)",
            {"t": thread_id},
        ).fetchone()
        self._first_seq = first or 1
        self._count = 0 if first is None else last - first + 1
        self._ids: array | None = None
        if not self.filter.is_everything:
            if ids is None:
                ids = filtered_ids(db, thread_id, annotator, self.filter)
            self._ids = ids
            self._count = len(ids)

    def count(self) -> int:
        return self._count

    def window(self, first: int, n: int) -> list[Row]:
        """Rows ``first`` to ``first + n - 1`` (fewer at the end), in view order."""
        if first >= self._count or n <= 0:
            return []
        if self._ids is None:
            where, args = (
                "c.thread_id = ? AND c.seq BETWEEN ? AND ?",
                [
                    self.thread_id,
                    self._first_seq + first,
                    self._first_seq + first + n - 1,
                ],
            )
        else:
            ids = list(self._ids[first : first + n])
            where, args = f"c.id IN ({', '.join('?' * len(ids))})", ids
        rows = self.db.execute(
            f"SELECT c.id, c.seq, c.depth, c.size, c.author, substr(c.text, 1, {SNIPPET_CHARS}), "
            "c.is_tombstone FROM clusters c "
            f"WHERE {where} ORDER BY c.seq",
            args,
        ).fetchall()
        ids = [row[0] for row in rows]
        details = self._row_details(ids)
        return [
            Row(*row[:6], bool(row[6]), *details.get(row[0], ((), 0, 0, False, (), ())))
            for row in rows
        ]

    def index_of(self, cluster_id: int) -> int | None:
        """The row at which ``cluster_id`` shows in this view, or None if it is filtered out."""
        if self._ids is not None:
            try:
                return self._ids.index(cluster_id)
            except ValueError:
                return None
        row = self.db.execute(
            "SELECT seq FROM clusters WHERE id = ? AND thread_id = ?", (cluster_id, self.thread_id)
        ).fetchone()
        return None if row is None else row[0] - self._first_seq

    def next_untagged(self, after: int, step: int = 1) -> int | None:
        """The next row (``step`` 1) or the previous (-1) that this annotator has not tagged."""
        forward = step > 0
        if self._ids is None:
            seq = self._first_untagged(
                f"c.seq {'>' if forward else '<'} ?", [self._first_seq + after], forward
            )
            return None if seq is None else seq - self._first_seq
        chunk = 1000
        index = after + 1 if forward else after - 1
        while 0 <= index < self._count:
            lo, hi = (index, index + chunk) if forward else (max(index - chunk + 1, 0), index + 1)
            ids = list(self._ids[lo:hi])
            seq = self._first_untagged(f"c.id IN ({', '.join('?' * len(ids))})", ids, forward)
            if seq is not None:
                return self.index_of(self._cluster_at_seq(seq))
            index = hi if forward else lo - 1
        return None

    def _first_untagged(self, where: str, args: list, forward: bool) -> int | None:
        row = self.db.execute(
            f"SELECT c.seq FROM clusters c WHERE c.thread_id = ? AND {where} "
            "AND NOT c.is_tombstone AND NOT EXISTS (SELECT 1 FROM annotations a "
            "WHERE a.cluster_id = c.id AND a.annotator = ?) "
            f"ORDER BY c.seq {'ASC' if forward else 'DESC'} LIMIT 1",
            [self.thread_id, *args, self.annotator],
        ).fetchone()
        return None if row is None else row[0]

    def _cluster_at_seq(self, seq: int) -> int:
        return self.db.execute(
            "SELECT id FROM clusters WHERE thread_id = ? AND seq = ?", (self.thread_id, seq)
        ).fetchone()[0]

    def _row_details(self, ids: list[int]) -> dict[int, tuple]:
        """Tags (the comment's and its segments'), link counts and note flag for a window of
        rows, in four small queries."""
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        tags: dict[int, list[int]] = {}
        segment_tags: dict[int, dict[int, None]] = {}
        for cluster_id, tag_id, on_segment in self.db.execute(
            "SELECT a.cluster_id, a.tag_id, a.segment_id IS NOT NULL FROM annotations a "
            f"JOIN tags t ON t.id = a.tag_id WHERE a.cluster_id IN ({marks}) AND a.annotator = ? "
            f"ORDER BY {CODEBOOK_ORDER}",
            [*ids, self.annotator],
        ):
            if on_segment:
                segment_tags.setdefault(cluster_id, {})[tag_id] = None
            else:
                tags.setdefault(cluster_id, []).append(tag_id)
        links_out = dict(
            self.db.execute(
                f"SELECT source_cluster, count(*) FROM links WHERE source_cluster IN ({marks}) "
                f"AND kind IN ({HUMAN_KINDS}) AND annotator = ? GROUP BY source_cluster",
                [*ids, self.annotator],
            ).fetchall()
        )
        links_in = dict(
            self.db.execute(
                f"SELECT target_cluster, count(*) FROM links WHERE target_cluster IN ({marks}) "
                f"AND kind IN ({HUMAN_KINDS}) AND annotator = ? GROUP BY target_cluster",
                [*ids, self.annotator],
            ).fetchall()
        )
        noted = {
            row[0]
            for row in self.db.execute(
                f"SELECT cluster_id FROM notes WHERE cluster_id IN ({marks}) AND annotator = ?",
                [*ids, self.annotator],
            )
        }
        others: dict[int, list[int]] = {}
        if self.show_others:
            for cluster_id, tag_id in self.db.execute(
                "SELECT DISTINCT a.cluster_id, a.tag_id FROM annotations a "
                f"JOIN tags t ON t.id = a.tag_id WHERE a.cluster_id IN ({marks}) "
                f"AND a.segment_id IS NULL AND a.annotator != ? ORDER BY {CODEBOOK_ORDER}",
                [*ids, self.annotator],
            ):
                others.setdefault(cluster_id, []).append(tag_id)
        return {
            cluster_id: (
                tuple(tags.get(cluster_id, ())),
                links_out.get(cluster_id, 0),
                links_in.get(cluster_id, 0),
                cluster_id in noted,
                tuple(segment_tags.get(cluster_id, ())),
                tuple(others.get(cluster_id, ())),
            )
            for cluster_id in ids
        }


def filtered_ids(
    db: sqlite3.Connection, thread_id: int, annotator: str, row_filter: RowFilter
) -> array:
    """The ids of a thread's comments that pass ``row_filter``, in thread order."""
    where, args = _filter_sql(thread_id, annotator, row_filter)
    rows = db.execute(f"SELECT c.id FROM clusters c WHERE {where} ORDER BY c.seq", args)
    return array("q", (row[0] for row in rows))


# The first run of a filter reads the thread in ranges of numbers, each this many times the last.
FIRST_RANGE = 4096
RANGE_GROWTH = 8


class FirstMatches(NamedTuple):
    """The start of a filter's matches: ``ids`` in thread order, from ``keep`` if it passes.

    ``complete``: these are all the matches (they start at the thread's first and are fewer
    than were asked for); else the rest must be found (:func:`filtered_ids`).
    """

    ids: array
    complete: bool


def first_matches(
    db: sqlite3.Connection,
    thread_id: int,
    annotator: str,
    row_filter: RowFilter,
    limit: int,
    keep: int | None = None,
) -> FirstMatches:
    """Up to ``limit`` matches of ``row_filter``, from comment ``keep`` on if it passes (so it
    can stay selected), else from the thread's start: a screen of results without finding them
    all, which at a million comments takes a second.

    The thread is read in growing ranges of numbers (``seq``) until ``limit`` pass: one range
    for a common filter, a few for a rare one; full-text search asks the index only for the
    ids of the range, so it never lists every match of a common word.
    """
    first, last = db.execute(
        "SELECT (SELECT min(seq) FROM clusters WHERE thread_id = :t), "
        "(SELECT max(seq) FROM clusters WHERE thread_id = :t)",
        {"t": thread_id},
    ).fetchone()
    start = None if keep is None else number_of(db, keep)
    if start is None or _in_range(db, thread_id, annotator, row_filter, start, start, 1) != [keep]:
        start = first
    from_top = start == first
    ids = array("q")
    span = FIRST_RANGE
    while start is not None and start <= last and len(ids) < limit:
        end = min(start + span - 1, last)
        wanted = limit - len(ids)
        ids.extend(
            _in_range(
                db, thread_id, annotator, row_filter, start, end, wanted, until_end=end == last
            )
        )
        start, span = end + 1, span * RANGE_GROWTH
    return FirstMatches(ids, complete=from_top and len(ids) < limit)


def _in_range(
    db: sqlite3.Connection,
    thread_id: int,
    annotator: str,
    row_filter: RowFilter,
    first: int,
    last: int,
    limit: int,
    *,
    until_end: bool = False,
) -> list[int]:
    """The first ``limit`` ids that pass among comments ``first`` to ``last`` (numbers);
    ``until_end``: ``last`` is the thread's last."""
    args: dict[str, object] = {"first": first, "last": last, "limit": limit}
    # The range's ids bound the full-text index's answer, unless the range runs to the
    # thread's end: finding them would read as many rows as that answer has.
    bounded = bool(row_filter.search) and not until_end
    if bounded:
        args["low"], args["high"] = db.execute(
            "SELECT min(id), max(id) FROM clusters WHERE thread_id = ? AND seq BETWEEN ? AND ?",
            (thread_id, first, last),
        ).fetchone()
    where, filter_args = _filter_sql(thread_id, annotator, row_filter, bounded=bounded)
    rows = db.execute(
        f"SELECT c.id FROM clusters c WHERE {where} AND c.seq BETWEEN :first AND :last "
        "ORDER BY c.seq LIMIT :limit",
        {**filter_args, **args},
    )
    return [row[0] for row in rows]


def _filter_sql(
    thread_id: int, annotator: str, row_filter: RowFilter, *, bounded: bool = False
) -> tuple[str, dict[str, object]]:
    """The WHERE clause (over ``clusters c``) and its arguments for a filter's matches.

    ``bounded``: the full-text condition asks the index only for ids between ``:low`` and
    ``:high``, which the caller supplies.
    """
    clauses = ["c.thread_id = :thread"]
    args: dict[str, object] = {"thread": thread_id, "annotator": annotator}
    mine = "SELECT 1 FROM annotations a WHERE a.cluster_id = c.id AND a.annotator = :annotator"
    if row_filter.hide_tombstones:
        clauses.append("NOT c.is_tombstone")
    if row_filter.tag_id is not None:
        clauses.append(f"EXISTS ({mine} AND a.tag_id = :tag)")
        args["tag"] = row_filter.tag_id
    if row_filter.untagged:
        clauses.append(f"NOT EXISTS ({mine}) AND NOT c.is_tombstone")
    if row_filter.has_links:
        mine_linked = f"FROM links WHERE kind IN ({HUMAN_KINDS}) AND annotator = :annotator"
        clauses.append(
            f"c.id IN (SELECT source_cluster {mine_linked} "
            f"UNION SELECT target_cluster {mine_linked})"
        )
    if row_filter.has_note:
        clauses.append("c.id IN (SELECT cluster_id FROM notes WHERE annotator = :annotator)")
    if row_filter.search:
        bounds = " AND rowid BETWEEN :low AND :high" if bounded else ""
        clauses.append(
            f"c.id IN (SELECT rowid FROM clusters_fts WHERE clusters_fts MATCH :q{bounds})"
        )
        args["q"] = fts_query(row_filter.search)
    return " AND ".join(clauses), args


class FilterCounts(NamedTuple):
    """How many of a thread's rows each filter of the filter menu would show."""

    rows: int
    untagged: int
    has_links: int
    has_note: int
    by_tag: dict[int, int]


def filter_counts(
    db: sqlite3.Connection, thread_id: int, annotator: str, *, hide_tombstones: bool = False
) -> FilterCounts:
    """One annotator's counts, over the thread (less its deleted comments if they are hidden).

    Grouped queries over this annotator's annotations, links and notes, through indexes that
    start with the annotator: far fewer rows than a big thread has comments.
    """
    args = {"thread": thread_id, "annotator": annotator}
    by_tag = dict(
        db.execute(
            "SELECT a.tag_id, count(DISTINCT a.cluster_id) FROM annotations a "
            "JOIN clusters c ON c.id = a.cluster_id "
            "WHERE a.annotator = :annotator AND c.thread_id = :thread GROUP BY a.tag_id",
            args,
        ).fetchall()
    )
    linked = f"FROM links WHERE kind IN ({HUMAN_KINDS}) AND annotator = :annotator"
    shown = "AND NOT c.is_tombstone" if hide_tombstones else ""
    has_links, has_note = db.execute(
        f"SELECT (SELECT count(*) FROM (SELECT source_cluster AS id {linked} "
        f"UNION SELECT target_cluster {linked}) u JOIN clusters c ON c.id = u.id "
        f"WHERE c.thread_id = :thread {shown}), "
        "(SELECT count(DISTINCT n.cluster_id) FROM notes n JOIN clusters c ON c.id = n.cluster_id "
        f"WHERE n.annotator = :annotator AND c.thread_id = :thread {shown})",
        args,
    ).fetchone()
    size = thread_size(db, thread_id)
    untagged = size.comments - annotated_count(db, thread_id, annotator)
    rows = size.comments if hide_tombstones else size.rows
    return FilterCounts(rows, untagged, has_links, has_note, by_tag)


_FTS_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """A user's search as an FTS5 query that cannot be a syntax error: each word a quoted prefix."""
    words = _FTS_WORD.findall(text)
    return " ".join(f'"{word}"*' for word in words) or '""'
