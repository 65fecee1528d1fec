"""Updating a thread from a newer scrape of it: new comments in, edits taken, every code kept.

Researchers scrape a live thread again as it grows.  A scrape of the same platform thread as
one already here (the same thread key, ``reddit:t3_abc``: see ``ParsedThread.thread_key``)
updates that thread instead of becoming another; ``--update THREAD`` names the thread, for a
source without a key or a thread imported before keys were kept (it then takes the key).
The rules:

- Matching.  A record matches the thread's first occurrence with its platform id, which holds
  the comment's current text; the scrape's own repeats of it say nothing more.  A source
  without ids (plain text, CSV or JSON Lines without an id column) has nothing to tell an
  edit by: a record matches an occurrence not yet matched with the same text and author, so
  an update adds only the texts not already there (a repeat as often as it repeats anew).
- Edits.  A matched record with a text its comment never had is an edit: the occurrence keeps
  its place and takes the new text, and the old text stays as another occurrence of the same
  comment (a comments row folded as "identity", after the thread's positions), so a JSON
  export read back, first position first, keeps the edit.  When the occurrence is its
  comment's canonical one, the comment's text and its full-text row change too (its
  ``text_group`` and quote links stay as they were), and a segment whose ``[start, end)`` no
  longer covers the words it was coded on is flagged, never moved: ``segments.coded_text``
  keeps those words (and is cleared if a later edit brings them back).  Whole-comment tags,
  notes and links stay as they are.  A text the comment had before is no edit: an older
  scrape imported after a newer one changes nothing (and A -> B -> A leaves it at B).
- Deleted and gone.  A comment that is a tombstone in the scrape keeps its text and codes and
  is counted as deleted; one missing from the scrape is kept as it was and counted as gone.
- New records fold as an import folds them (store.dedup.fold, with the thread's own threshold
  and fold mode), after the thread's comments, so that a repeat of a comment here folds into
  it; the thread's comments themselves stay as they are.  New comments take the thread's next
  numbers (``#N`` people wrote down never change, so they follow the thread's comments in the
  reader), their parent and depth from their parent's platform id, full-text rows, and
  ``replies_to`` and ``quotes`` links, as an import writes them (store.ingest).
- The thread takes the scrape's sha256 and file name: importing the same file again is
  "already imported", and an update with nothing new (the same scrape saved again) changes
  no comment.

The checks (:func:`check_update`: the thread exists, was read from the same format, and is of
the same platform thread when both have a key) run before anything is written and again in
the one write transaction that holds the whole update.  The new records fold inside it too,
so nothing another process writes can come between the thread read and the thread written
(the write lock is held while they fold).
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from store.database import write
from store.dedup import Progress, fold
from store.errors import ThreadmarkError
from store.ingest import (
    ImportOutcome,
    PreparedImport,
    read_thread,
    reply_depths,
    store_import,
    thread_with_key,
    thread_with_sha256,
    write_structural_links,
)
from store.records import CommentRecord, ParsedThread, ReadOptions

# How an occurrence folds, strongest first: a cluster shows the strongest of its members'.
FOLD_KINDS = ("near", "exact", "identity")


@dataclass(slots=True)
class PreparedUpdate:
    """A newer scrape of a thread, read but not folded: it is folded with the thread's comments
    when written.  ``thread_id`` None: the thread with the scrape's key, found then."""

    source: str
    sha256: str
    parsed: ParsedThread
    thread_id: int | None = None


@dataclass(slots=True)
class UpdateOutcome:
    """What an update did; ``already``: the same file (sha256) is imported, nothing changed."""

    thread_id: int
    already: bool = False
    new: int = 0  # records the thread did not have, stored as comments or as repeats
    folded: int = 0  # of them, repeats folded into earlier comments
    edited: int = 0
    deleted: int = 0
    gone: int = 0
    flagged: int = 0  # segments of edited comments whose words are not those coded

    def summary(self) -> str:
        """One line: "5 new comments, 2 edited, 1 deleted, 1 gone"."""
        new = _count(self.new, "new comment")
        if self.folded:
            new += f" ({self.folded:,} folded into earlier ones)"
        flagged = ""
        if self.flagged:
            segments = _count(self.flagged, "coded segment")
            flagged = f"; {segments} flagged: text changed since coded"
        return (
            f"{new}, {self.edited:,} edited, {self.deleted:,} deleted, {self.gone:,} gone{flagged}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def update_thread(
    db: sqlite3.Connection,
    path: Path,
    *,
    thread_id: int | None = None,
    format: str = "auto",
    options: ReadOptions | None = None,
    progress: Progress | None = None,
) -> UpdateOutcome:
    """Update thread ``thread_id`` (by default the one with the scrape's key) from ``path``:
    the library entry point for scripts."""
    sha256, parsed = read_thread(Path(path), format, options)
    return write_update(db, PreparedUpdate(Path(path).name, sha256, parsed, thread_id), progress)


def write_update(
    db: sqlite3.Connection, update: PreparedUpdate, progress: Progress | None = None
) -> UpdateOutcome:
    """One update in its own write transaction."""
    (outcome,) = write_batch(db, [update], progress)
    return outcome  # an update's


def write_batch(
    db: sqlite3.Connection,
    items: Sequence[PreparedImport | PreparedUpdate],
    progress: Progress | None = None,
) -> list[ImportOutcome | UpdateOutcome]:
    """Store new threads and updates in one transaction: all of them, or (on any failure)
    none.  In order, so an update may be of the thread an earlier item imports."""
    with write(db):
        db.execute("PRAGMA defer_foreign_keys = ON")  # new replies may come before parents
        return [
            apply_update(db, item, progress)
            if isinstance(item, PreparedUpdate)
            else store_import(db, item, progress)
            for item in items
        ]


def check_update(db: sqlite3.Connection, update: PreparedUpdate) -> int:
    """The id of the thread ``update`` updates, once checked that it may update it."""
    return _target(db, update).id


def apply_update(
    db: sqlite3.Connection, update: PreparedUpdate, progress: Progress | None = None
) -> UpdateOutcome:
    """Update a thread from a newer scrape, inside the caller's write transaction."""
    already = thread_with_sha256(db, update.sha256)
    if already is not None:
        return UpdateOutcome(already, already=True)
    thread = _target(db, update)
    stored = _Stored(db, thread.id)
    changes = _compare(stored, update.parsed.records)
    numbers = _Numbers(db, thread.id)
    outcome = UpdateOutcome(
        thread.id,
        new=len(changes.new),
        edited=len(changes.edits),
        deleted=changes.deleted,
        gone=changes.gone,
    )
    outcome.flagged = _take_edits(db, thread.id, stored, numbers, changes.edits)
    outcome.folded = _add(db, thread, stored, numbers, changes.new, progress)
    db.execute(
        "UPDATE threads SET sha256 = ?, source = ?, thread_key = coalesce(thread_key, ?) "
        "WHERE id = ?",
        (update.sha256, update.source, update.parsed.thread_key, thread.id),
    )
    return outcome


# --- the thread updated ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Thread:
    id: int
    format: str
    key: str | None
    threshold: float
    fold: str


def _target(db: sqlite3.Connection, update: PreparedUpdate) -> _Thread:
    name, parsed = update.source, update.parsed
    if parsed.document is not None:
        raise ThreadmarkError(
            f"{name} is a threadmark export: import it without --update, which restores it"
        )
    thread_id = update.thread_id
    if thread_id is None:
        thread_id = thread_with_key(db, parsed.thread_key)
        if thread_id is None:
            raise ThreadmarkError(f"{name}: no thread here was read from the same platform thread")
    row = db.execute(
        "SELECT id, format, thread_key, threshold, fold FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    if row is None:
        raise ThreadmarkError(f"no thread {thread_id} in the database")
    thread = _Thread(*row)
    if parsed.format != thread.format:
        raise ThreadmarkError(
            f"{name} is a {parsed.format} thread, but thread {thread.id} was read from "
            f"{thread.format}"
        )
    if None not in (parsed.thread_key, thread.key) and parsed.thread_key != thread.key:
        raise ThreadmarkError(
            f"{name} is a scrape of {parsed.thread_key}, but thread {thread.id} is of {thread.key}"
        )
    return thread


@dataclass(slots=True)
class _Occurrence:
    id: int
    cluster_id: int
    platform_id: str | None
    parent_platform_id: str | None
    author: str | None
    created_at: str | None
    text: str
    is_tombstone: bool


@dataclass(slots=True)
class _Cluster:
    id: int
    parent_id: int | None
    author: str | None
    text: str
    is_tombstone: bool
    text_group: int | None
    canonical_comment_id: int
    folded: str | None


class _Stored:
    """The thread as stored: its comments in thread order, its occurrences by platform id."""

    def __init__(self, db: sqlite3.Connection, thread_id: int) -> None:
        self.clusters = [
            _Cluster(*row)
            for row in db.execute(
                "SELECT id, parent_cluster_id, author, text, is_tombstone, text_group, "
                "canonical_comment_id, folded FROM clusters WHERE thread_id = ? ORDER BY seq",
                (thread_id,),
            )
        ]
        self.index_of_cluster = {cluster.id: i for i, cluster in enumerate(self.clusters)}
        occurrences = {
            row[0]: _Occurrence(*row)
            for row in db.execute(
                "SELECT id, cluster_id, platform_id, parent_platform_id, author, created_at, "
                "text, is_tombstone FROM comments WHERE thread_id = ? ORDER BY id",
                (thread_id,),
            )
        }
        self.canonical = [occurrences[cluster.canonical_comment_id] for cluster in self.clusters]
        self.first_with_id: dict[str, _Occurrence] = {}
        self.texts_of: defaultdict[str, set[str]] = defaultdict(set)
        self.without_id: Counter[tuple[str, str | None]] = Counter()
        for occurrence in occurrences.values():
            if occurrence.platform_id is None:
                self.without_id[(occurrence.text, occurrence.author)] += 1
            else:
                self.first_with_id.setdefault(occurrence.platform_id, occurrence)
                self.texts_of[occurrence.platform_id].add(occurrence.text)

    def cluster_of(self, occurrence: _Occurrence) -> _Cluster:
        return self.clusters[self.index_of_cluster[occurrence.cluster_id]]

    def records(self) -> list[CommentRecord]:
        """Each comment as a record to fold new ones against: its text and author, and its
        canonical occurrence's ids and time (for quotes of a parent, and tombstones)."""
        return [
            CommentRecord(
                text=cluster.text,
                platform_id=occurrence.platform_id,
                parent_id=occurrence.parent_platform_id,
                author=cluster.author,
                created_at=occurrence.created_at,
                is_tombstone=bool(cluster.is_tombstone),
            )
            for cluster, occurrence in zip(self.clusters, self.canonical, strict=True)
        ]


class _Numbers:
    """The next free ids, and the thread's next number and position."""

    def __init__(self, db: sqlite3.Connection, thread_id: int) -> None:
        self.cluster, self.comment, self.seq, self.position = db.execute(
            "SELECT (SELECT coalesce(max(id), 0) + 1 FROM clusters), "
            "(SELECT coalesce(max(id), 0) + 1 FROM comments), "
            "(SELECT coalesce(max(seq), 0) + 1 FROM clusters WHERE thread_id = :t), "
            "(SELECT coalesce(max(position), 0) + 1 FROM comments WHERE thread_id = :t)",
            {"t": thread_id},
        ).fetchone()

    def clusters(self, count: int) -> tuple[range, range]:
        """Ids and numbers (``seq``) for ``count`` new comments."""
        ids, seqs = range(self.cluster, self.cluster + count), range(self.seq, self.seq + count)
        self.cluster, self.seq = ids.stop, seqs.stop
        return ids, seqs

    def occurrences(self, count: int) -> tuple[range, range]:
        """Ids and positions for ``count`` new occurrences."""
        ids = range(self.comment, self.comment + count)
        positions = range(self.position, self.position + count)
        self.comment, self.position = ids.stop, positions.stop
        return ids, positions


# --- what the scrape changes -------------------------------------------------------------------


@dataclass(slots=True)
class _Changes:
    new: list[CommentRecord] = field(default_factory=list)
    edits: list[tuple[_Occurrence, CommentRecord]] = field(default_factory=list)
    deleted: int = 0
    gone: int = 0


def _compare(stored: _Stored, records: Sequence[CommentRecord]) -> _Changes:
    """The scrape's records matched with the thread's occurrences (the module's rules)."""
    changes = _Changes()
    seen: set[str] = set()
    unmatched = Counter(stored.without_id)
    for record in records:
        platform_id = record.platform_id
        occurrence = None if platform_id is None else stored.first_with_id.get(platform_id)
        if occurrence is None:
            same = (record.text, record.author)
            if platform_id is None and unmatched[same] > 0:
                unmatched[same] -= 1
            else:
                changes.new.append(record)
        elif platform_id not in seen:
            seen.add(platform_id)
            if record.is_tombstone:
                changes.deleted += not occurrence.is_tombstone
            elif record.text not in stored.texts_of[platform_id]:
                changes.edits.append((occurrence, record))
    changes.gone = len(stored.first_with_id) - len(seen) + sum(unmatched.values())
    return changes


_INSERT_OCCURRENCES = (
    "INSERT INTO comments (id, thread_id, cluster_id, position, platform_id, "
    "parent_platform_id, author, created_at, text, is_tombstone, folded) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def _take_edits(
    db: sqlite3.Connection,
    thread_id: int,
    stored: _Stored,
    numbers: _Numbers,
    edits: list[tuple[_Occurrence, CommentRecord]],
) -> int:
    """Store each edit (the module's rules); returns how many segments are flagged."""
    ids, positions = numbers.occurrences(len(edits))
    db.executemany(
        _INSERT_OCCURRENCES,
        (
            (
                comment_id,
                thread_id,
                old.cluster_id,
                position,
                old.platform_id,
                old.parent_platform_id,
                old.author,
                old.created_at,
                old.text,
                int(old.is_tombstone),
                "identity",
            )
            for (old, _), comment_id, position in zip(edits, ids, positions, strict=True)
        ),
    )
    flagged = 0
    for old, record in edits:
        db.execute(
            "UPDATE comments SET text = ?, is_tombstone = 0 WHERE id = ?", (record.text, old.id)
        )
        cluster = stored.cluster_of(old)
        cluster.folded = _strongest({cluster.folded, "identity"})
        db.execute(
            "UPDATE clusters SET size = size + 1, folded = ? WHERE id = ?",
            (cluster.folded, cluster.id),
        )
        if cluster.canonical_comment_id == old.id:
            flagged += _flag_segments(db, cluster.id, cluster.text, record.text)
            _set_text(db, cluster, record.text)
    return flagged


def _flag_segments(db: sqlite3.Connection, cluster_id: int, old: str, new: str) -> int:
    """Flag the comment's segments whose words change from ``old`` to ``new`` (and unflag one
    whose coded words are back); returns how many are flagged."""
    flagged = 0
    for segment_id, start, end, coded_text in db.execute(
        "SELECT id, start, end, coded_text FROM segments WHERE cluster_id = ?", (cluster_id,)
    ).fetchall():
        coded = old[start:end] if coded_text is None else coded_text
        flag = None if new[start:end] == coded else coded
        if flag != coded_text:
            db.execute("UPDATE segments SET coded_text = ? WHERE id = ?", (flag, segment_id))
        flagged += flag is not None
    return flagged


def _set_text(db: sqlite3.Connection, cluster: _Cluster, text: str) -> None:
    """A comment's new text, and its full-text row: ``clusters_fts`` takes its content from
    ``clusters``, so the old row is deleted with the old text before the text changes."""
    db.execute(
        "INSERT INTO clusters_fts (clusters_fts, rowid, text) VALUES ('delete', ?, ?)",
        (cluster.id, cluster.text),
    )
    db.execute("UPDATE clusters SET text = ?, is_tombstone = 0 WHERE id = ?", (text, cluster.id))
    db.execute("INSERT INTO clusters_fts (rowid, text) VALUES (?, ?)", (cluster.id, text))
    cluster.text, cluster.is_tombstone = text, False


def _strongest(kinds: set[str | None]) -> str | None:
    return next((kind for kind in FOLD_KINDS if kind in kinds), None)


def _add(
    db: sqlite3.Connection,
    thread: _Thread,
    stored: _Stored,
    numbers: _Numbers,
    new: list[CommentRecord],
    progress: Progress | None,
) -> int:
    """Fold the new records after the thread's comments and store them; returns how many
    folded into earlier comments.

    Indexes below ``known`` are the thread's comments (one record each), the rest the new
    records: the folding's indexes, as store.ingest writes a thread from them.
    """
    if not new:
        return 0
    records = [*stored.records(), *new]
    known = len(stored.clusters)
    folding = fold(
        records, thread.threshold, across_authors=thread.fold == "across-authors", progress=progress
    )
    for i in range(known):  # the thread's comments stay as they are, however they fold now
        folding.canonical[i], folding.folded[i] = i, None
    folding.quotes = [(quoting, quoted) for quoting, quoted in folding.quotes if quoting >= known]
    added = range(known, len(records))
    heads = [i for i in added if folding.canonical[i] == i]
    cluster_ids, seqs = numbers.clusters(len(heads))
    comment_ids, positions = numbers.occurrences(len(new))
    cluster_id_of = {i: cluster.id for i, cluster in enumerate(stored.clusters)}
    cluster_id_of.update(zip(heads, cluster_ids, strict=True))
    comment_id_of = dict(zip(added, comment_ids, strict=True))
    first_new_with_id: dict[str, int] = {}
    for i in added:
        if records[i].platform_id is not None:
            first_new_with_id.setdefault(records[i].platform_id, i)

    def parent_index(i: int) -> int | None:
        """The record a new one replies to: a comment here, or a new record."""
        parent_id = records[i].parent_id
        if i < known or parent_id is None:
            return None
        parent = stored.first_with_id.get(parent_id)
        if parent is not None:
            return stored.index_of_cluster[parent.cluster_id]
        return first_new_with_id.get(parent_id)

    parent_of = {cluster.id: cluster.parent_id for cluster in stored.clusters}
    for head in heads:
        parent = parent_index(head)
        parent_cluster = None if parent is None else cluster_id_of[folding.canonical[parent]]
        own = cluster_id_of[head]
        parent_of[own] = None if parent_cluster == own else parent_cluster
    depth_of = reply_depths(parent_of)
    members: defaultdict[int, list[int]] = defaultdict(list)
    for i in added:
        members[folding.canonical[i]].append(i)

    def group_id(first: int) -> int:
        """The ``text_group`` of the same-words group whose first comment is ``first``."""
        if first >= known:
            return cluster_id_of[first]
        return stored.clusters[first].text_group or stored.clusters[first].id

    db.executemany(
        "INSERT INTO clusters (id, thread_id, seq, canonical_comment_id, parent_cluster_id, "
        "depth, author, text, size, folded, is_tombstone, text_group) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            (
                cluster_id,
                thread.id,
                seq,
                comment_id_of[head],
                parent_of[cluster_id],
                depth_of[cluster_id],
                records[head].author,
                records[head].text,
                len(members[head]),
                _strongest({folding.folded[i] for i in members[head]}),
                int(records[head].is_tombstone),
                None if head not in folding.same_text else group_id(folding.same_text[head]),
            )
            for head, cluster_id, seq in zip(heads, cluster_ids, seqs, strict=True)
        ),
    )
    for index in [index for index in members if index < known]:
        cluster = stored.clusters[index]
        cluster.folded = _strongest({cluster.folded, *(folding.folded[i] for i in members[index])})
        db.execute(
            "UPDATE clusters SET size = size + ?, folded = ? WHERE id = ?",
            (len(members[index]), cluster.folded, cluster.id),
        )
    joined = {folding.same_text[head] for head in heads if head in folding.same_text}
    db.executemany(  # comments here that new ones now say the same words as
        "UPDATE clusters SET text_group = ? WHERE id = ?",
        (
            (group_id(first), stored.clusters[index].id)
            for index, first in folding.same_text.items()
            if index < known and first in joined and stored.clusters[index].text_group is None
        ),
    )
    db.executemany(
        _INSERT_OCCURRENCES,
        (
            (
                comment_id_of[i],
                thread.id,
                cluster_id_of[folding.canonical[i]],
                position,
                records[i].platform_id,
                records[i].parent_id,
                records[i].author,
                records[i].created_at,
                records[i].text,
                int(records[i].is_tombstone),
                folding.folded[i],
            )
            for i, position in zip(added, positions, strict=True)
        ),
    )
    db.executemany(
        "INSERT INTO clusters_fts (rowid, text) VALUES (?, ?)",
        ((cluster_id_of[head], records[head].text) for head in heads),
    )
    write_structural_links(db, records, folding, cluster_id_of, parent_index)
    return len(new) - len(heads)
