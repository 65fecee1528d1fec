"""Bringing threadmark's own data into a database: a JSON export (a restore) or another
database (``threadmark merge``), with nothing lost and nothing doubled.

Both arrive as a :class:`Document` in the shape of the JSON export (threads, tags, comments
with their occurrences, codes and segments, links), and are merged by one set of rules:

- Tags match by name.  Into a database where nothing has been done yet (no thread, nothing
  journaled, so its codebook is still the starter one: a restore into a new file) the
  incoming codebook replaces it, so that the round trip is exact.  Otherwise a
  tag already here keeps its colour, hotkey and description, and any difference is reported;
  a new tag keeps its hotkey when that is free.
- Threads match by the sha256 of their source.  A new thread comes in as it was: numbers,
  folding, replies and times, and its ids where they are free.
- Comments of a matched thread match by platform id, then by position; one the database
  lacks is added at the end of its thread (the next #N: numbers people wrote down never move).
- Every tag, note and link goes through :func:`store.annotate.apply_change`, dated as it was
  and journaled under its annotator (so undo works on it as on any change): one already here
  changes nothing, which makes merging the same file twice a no-op.  A note that differs
  from this annotator's note here keeps the later of the two.  A segment of a comment whose
  words differ here is not moved onto other words: it is left out and reported.

The caller holds the write transaction (:func:`store.database.write`): a merge is all or
nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.annotate import apply_change, note_text
from store.codebook import HOTKEYS, insert_tag, tag_by_name
from store.database import (
    OlderSchema,
    copy_database,
    now,
    open_database,
    read_snapshot,
    write,
)
from store.dedup import DEFAULT_FOLD, DEFAULT_THRESHOLD, FOLD_MODES
from store.errors import ThreadmarkError
from store.readers.common import Times
from store.schema import HUMAN_LINK_KINDS, LINK_KINDS
from store.segments import Span

_COLOR_DIGITS = frozenset("0123456789abcdefABCDEF")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(slots=True)
class Document:
    """threadmark data in the JSON export's shape; ``comments`` and ``links`` may stream."""

    threads: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    comments: Iterable[dict[str, Any]]
    links: Iterable[dict[str, Any]]


@dataclass(slots=True)
class MergeReport:
    """What a merge brought in, and one line for each thing it could not take as it was."""

    threads_added: list[int] = field(default_factory=list)
    threads_matched: list[int] = field(default_factory=list)
    comments: int = 0
    tags: int = 0
    annotations: int = 0
    notes: int = 0
    links: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        counts = (self.comments, self.tags, self.annotations, self.notes, self.links)
        return bool(self.threads_added) or any(counts)

    def summary(self) -> str:
        """One line: "2 threads (1 new), 40 comments, 12 tags applied, 3 notes, 5 links"."""
        threads = len(self.threads_added) + len(self.threads_matched)
        parts = [
            f"{_count(threads, 'thread')} ({len(self.threads_added)} new)",
            f"{_count(self.comments, 'new comment')}",
            f"{_count(self.tags, 'new tag')}",
            f"{_count(self.annotations, 'tagging')}",
            f"{_count(self.notes, 'note')}",
            f"{_count(self.links, 'link')}",
        ]
        return ", ".join(parts) if self.changed else f"{parts[0]}: nothing new"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def document_from_export(data: dict[str, Any], name: str) -> Document:
    """A parsed JSON export as a document, its top-level lists checked."""
    lists = {}
    for key in ("threads", "tags", "comments", "links"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise ThreadmarkError(f"{name}: {key!r} is not a list of objects")
        lists[key] = value
    # The export lists links by source comment; they are restored in the order they were
    # made, as a merge of the database itself would, so undo takes back the latest first.
    lists["links"] = sorted(lists["links"], key=_made_at)
    return Document(**lists)


def _made_at(link: dict[str, Any]) -> str:
    """A link's creation time, for ordering (a malformed one is refused later, by the merge)."""
    created_at = link.get("created_at")
    return created_at if isinstance(created_at, str) else ""


def document_from_database(other: sqlite3.Connection) -> Document:
    """Another database, read through the same walk as its JSON export (in the caller's read
    snapshot), one comment at a time."""
    from store.exporters.comments import export_comments, link_rows, tag_rows, thread_rows
    from store.exporters.structured import comment_object

    return Document(
        threads=thread_rows(other, None),
        tags=tag_rows(other),
        comments=(comment_object(comment) for comment in export_comments(other)),
        links=link_rows(other, None),
    )


def merge_database(db: sqlite3.Connection, other: sqlite3.Connection, name: str) -> MergeReport:
    """Merge the other database (see :func:`other_database`), called ``name``, into ``db``."""
    with read_snapshot(other), write(db):
        db.execute("PRAGMA defer_foreign_keys = ON")
        return merge_document(db, document_from_database(other), name)


def merge_document(db: sqlite3.Connection, document: Document, name: str) -> MergeReport:
    """Bring ``document`` (from the file or database called ``name``) into ``db``, inside the
    caller's write transaction, with foreign keys deferred to its end."""
    if not db.in_transaction:
        raise RuntimeError("merge_document needs the caller's write transaction")
    merge = _Merge(db, name)
    try:
        merge.codebook(document.tags)
        merge.threads(document.threads)
        for comment in document.comments:
            merge.comment(comment)
        merge.finish_comments()
        for link in document.links:
            merge.link(link)
    except (
        KeyError,
        TypeError,
        ValueError,
        IndexError,
        AttributeError,  # an object where a list of them belongs
        OverflowError,  # a number past what SQLite or a float holds
        sqlite3.IntegrityError,
        sqlite3.InterfaceError,
        sqlite3.ProgrammingError,  # a list or an object bound where a value belongs
    ) as error:
        raise ThreadmarkError(f"{name}: not a consistent threadmark export ({error!r})") from None
    merge.report.problems += merge.times.warnings()
    return merge.report


class _Merge:
    """One merge: the ids it has mapped so far, and its report."""

    def __init__(self, db: sqlite3.Connection, name: str) -> None:
        self.db = db
        self.name = name
        self.report = MergeReport()
        self.tag_ids: dict[str, int] = {}
        self.thread_ids: dict[Any, int] = {}
        self.new_threads: set[int] = set()
        self.cluster_ids: dict[Any, int] = {}  # the document's comment id -> ours
        self.same_words: dict[int, bool] = {}  # ours -> whether its text is the document's
        self.pending: list[tuple[int, str, Any]] = []  # (ours, column, document's id)
        self.matches: dict[int, tuple[dict[str, int], dict[int, int]]] = {}
        self.last_cluster = _max_id(db, "clusters")
        self.last_comment = _max_id(db, "comments")
        self.times = Times()  # comment times as any import reads them

    # --- the codebook ------------------------------------------------------------------

    def codebook(self, tags: list[dict[str, Any]]) -> None:
        db = self.db
        # Nothing has been done here yet (no thread, no journaled change, so no tag made,
        # renamed or recoloured): the codebook is still the starter one.
        fresh = db.execute(
            "SELECT NOT EXISTS (SELECT 1 FROM threads) AND NOT EXISTS (SELECT 1 FROM events)"
        ).fetchone()[0]
        if fresh and tags:
            db.execute("DELETE FROM tags")
        for tag in tags:
            name = _text(tag["name"], "a tag's name")
            existing = tag_by_name(db, name)
            if existing is None:
                self.tag_ids[name] = self._add_tag(name, tag)
                continue
            self.tag_ids[name] = existing.id
            for key, ours in (("color", existing.color), ("hotkey", existing.hotkey)):
                theirs = tag.get(key)
                if theirs is not None and theirs != ours:
                    self.report.problems.append(
                        f"tag {name}: kept its {key} {ours or 'none'} (theirs: {theirs})"
                    )
        for tag in tags:
            parent = tag.get("parent")
            if parent is not None and parent in self.tag_ids:
                db.execute(
                    "UPDATE tags SET parent_id = ? WHERE id = ? AND parent_id IS NULL",
                    (self.tag_ids[parent], self.tag_ids[tag["name"]]),
                )

    def _add_tag(self, name: str, tag: dict[str, Any]) -> int:
        hotkey = tag.get("hotkey")
        if (
            hotkey not in HOTKEYS
            or self.db.execute("SELECT 1 FROM tags WHERE hotkey = ?", (hotkey,)).fetchone()
        ):
            if hotkey is not None:
                self.report.problems.append(f"tag {name}: hotkey {hotkey} is taken, so it has none")
            hotkey = None
        color = tag.get("color")
        if not (isinstance(color, str) and len(color) == 7 and set(color[1:]) <= _COLOR_DIGITS):
            color = None
        description = tag.get("description")
        created = insert_tag(
            self.db,
            name,
            color=color,
            hotkey=hotkey,
            description=description if isinstance(description, str) else "",
        )
        if hotkey is None:  # insert_tag hands out a free hotkey; a merged tag keeps its own
            self.db.execute("UPDATE tags SET hotkey = NULL WHERE id = ?", (created.id,))
        self.report.tags += 1
        return created.id

    def _tag_id(self, name: str) -> int:
        """A tag the document uses but does not list: made, as the reader makes new tags."""
        if name not in self.tag_ids:
            existing = tag_by_name(self.db, name)
            self.tag_ids[name] = existing.id if existing else self._add_tag(name, {})
        return self.tag_ids[name]

    # --- threads and comments -----------------------------------------------------------

    def threads(self, threads: list[dict[str, Any]]) -> None:
        for thread in threads:
            sha256 = _thread_sha256(thread)
            row = self.db.execute("SELECT id FROM threads WHERE sha256 = ?", (sha256,)).fetchone()
            if row is not None:
                self.thread_ids[thread["id"]] = row[0]
                self.report.threads_matched.append(row[0])
                self._index_thread(row[0])
                continue
            wanted = thread["id"] if isinstance(thread["id"], int) else None
            taken = (
                wanted is None
                or self.db.execute("SELECT 1 FROM threads WHERE id = ?", (wanted,)).fetchone()
            )
            thread_id = self.db.execute(
                "INSERT INTO threads (id, title, source, format, sha256, threshold, fold, "
                "thread_key, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    None if taken else wanted,
                    _text(thread.get("title") or "", "a thread's title"),
                    _text(thread.get("source") or "", "a thread's source"),
                    _text(thread.get("format") or "threadmark", "a thread's format"),
                    sha256,
                    float(thread.get("threshold", DEFAULT_THRESHOLD)),
                    _fold_mode(thread.get("fold") or DEFAULT_FOLD),
                    _optional(thread.get("thread_key"), "a thread key"),
                    thread.get("imported_at") or now(),
                ),
            ).lastrowid
            self.thread_ids[thread["id"]] = thread_id
            self.new_threads.add(thread_id)
            self.report.threads_added.append(thread_id)

    def _index_thread(self, thread_id: int) -> None:
        """How a matched thread's comments are found: by platform id, and by position."""
        by_id: dict[str, int] = {}
        by_position: dict[int, int] = {}
        for platform_id, position, cluster_id in self.db.execute(
            "SELECT platform_id, position, cluster_id FROM comments WHERE thread_id = ?",
            (thread_id,),
        ):
            if platform_id is not None:
                by_id.setdefault(platform_id, cluster_id)
            by_position[position] = cluster_id
        self.matches[thread_id] = (by_id, by_position)

    def comment(self, comment: dict[str, Any]) -> None:
        thread_id = self.thread_ids[comment["thread"]]
        text = _words(comment["text"], "a comment's text")
        occurrences = comment.get("occurrences") or [{"position": None}]
        cluster_id = self._matched(thread_id, occurrences[0])
        if cluster_id is None:
            cluster_id = self._add_comment(thread_id, comment, text, occurrences)
            same = True
        else:
            ours = self.db.execute("SELECT text FROM clusters WHERE id = ?", (cluster_id,))
            same = ours.fetchone()[0] == text
        self.cluster_ids[comment["id"]] = cluster_id
        self.same_words[cluster_id] = same
        self._codes(cluster_id, None, comment)
        for segment in comment.get("segments") or []:
            span = (segment["start"], segment["end"])
            if not same or not 0 <= span[0] < span[1] <= len(text):
                self._left_out(f"segment {segment.get('unit', span)}", "its words differ here")
                continue
            self._codes(cluster_id, span, segment)
            if segment.get("coded_text") is not None:  # a re-scrape changed its words
                self.db.execute(
                    "UPDATE segments SET coded_text = ? WHERE cluster_id = ? AND start = ? "
                    "AND end = ? AND coded_text IS NULL",
                    (_text(segment["coded_text"], "a segment's words"), cluster_id, *span),
                )

    def _matched(self, thread_id: int, first: dict[str, Any]) -> int | None:
        if thread_id in self.new_threads:
            return None
        by_id, by_position = self.matches[thread_id]
        platform_id = first.get("platform_id")
        if platform_id is not None and platform_id in by_id:
            return by_id[platform_id]
        return by_position.get(first.get("position"))

    def _add_comment(
        self, thread_id: int, comment: dict[str, Any], text: str, occurrences: list[dict]
    ) -> int:
        """A comment (and its occurrences) this database lacks; its id kept where free."""
        db = self.db
        wanted = comment["id"]
        cluster_id = wanted if isinstance(wanted, int) and wanted > self.last_cluster else None
        cluster_id = cluster_id or self.last_cluster + 1
        self.last_cluster = cluster_id
        new_thread = thread_id in self.new_threads
        seq = comment.get("number") if new_thread else None
        if not isinstance(seq, int):
            seq = _max_in_thread(db, "clusters", "seq", thread_id) + 1
        first_position = _max_in_thread(db, "comments", "position", thread_id) + 1
        tombstone = comment.get("tombstone") is True
        folded = comment.get("folded")
        db.execute(
            "INSERT INTO clusters (id, thread_id, seq, canonical_comment_id, depth, author, "
            "text, size, folded, is_tombstone) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cluster_id,
                thread_id,
                seq,
                self.last_comment + 1,
                comment.get("depth") or 0,
                _optional(comment.get("author"), "an author"),
                text,
                len(occurrences),
                folded,
                int(tombstone),
            ),
        )
        for n, occurrence in enumerate(occurrences):
            self.last_comment += 1
            position = occurrence.get("position") if new_thread else None
            db.execute(
                "INSERT INTO comments (id, thread_id, cluster_id, position, platform_id, "
                "parent_platform_id, author, created_at, text, is_tombstone, folded) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self.last_comment,
                    thread_id,
                    cluster_id,
                    position if isinstance(position, int) else first_position + n,
                    _optional(occurrence.get("platform_id"), "a platform id"),
                    _optional(occurrence.get("parent_platform_id"), "a platform id"),
                    _optional(occurrence.get("author", comment.get("author")), "an author"),
                    self.times.iso_utc(occurrence.get("created_at")),
                    _words(occurrence.get("text", text), "an occurrence's text"),
                    int(tombstone),
                    None if n == 0 else folded,
                ),
            )
        db.execute("INSERT INTO clusters_fts (rowid, text) VALUES (?, ?)", (cluster_id, text))
        for column, key in (("parent_cluster_id", "parent"), ("text_group", "same_text")):
            if comment.get(key) is not None:
                self.pending.append((cluster_id, column, comment[key]))
        self.report.comments += 1
        return cluster_id

    def finish_comments(self) -> None:
        """Replies and "same words" groups, once every comment they may point at is in."""
        for cluster_id, column, theirs in self.pending:
            if theirs in self.cluster_ids:
                self.db.execute(
                    f"UPDATE clusters SET {column} = ? WHERE id = ?",
                    (self.cluster_ids[theirs], cluster_id),
                )

    # --- codes ------------------------------------------------------------------------

    def _codes(self, cluster_id: int, span: Span | None, unit: dict[str, Any]) -> None:
        """A comment's or a segment's taggings and notes."""
        where = {"cluster": cluster_id, **({"span": list(span)} if span else {})}
        for annotation in unit.get("annotations") or []:
            name = _text(annotation["tag"], "a tag's name")
            change = {**where, "tag": self._tag_id(name), "name": name}
            try:
                added = self._apply(annotation["annotator"], "tag", change, annotation)
            except ThreadmarkError as error:  # a tombstone: there are no words to tag
                self._left_out(f"tag {name} on comment {cluster_id}", str(error))
                continue
            self.report.annotations += added
        for note in unit.get("notes") or []:
            self._note(where, span, note)

    def _note(self, where: dict[str, Any], span: Span | None, note: dict[str, Any]) -> None:
        annotator = _text(note["annotator"], "an annotator")
        text = _text(note["text"], "a note")
        ours = note_text(self.db, where["cluster"], annotator, span)
        if ours is not None and ours != text:
            updated = self.db.execute(
                "SELECT n.updated_at FROM notes n LEFT JOIN segments s ON s.id = n.segment_id "
                "WHERE n.cluster_id = ? AND n.annotator = ? AND s.start IS ? AND s.end IS ?",
                (where["cluster"], annotator, *(span or (None, None))),
            ).fetchone()[0]
            kept = "theirs, the later" if (note.get("updated_at") or "") > updated else "ours"
            self.report.problems.append(
                f"{annotator}'s note on comment {where['cluster']} differs: kept {kept}"
            )
            if kept == "ours":
                return
        at = note.get("updated_at")
        self.report.notes += self._apply(annotator, "note", {**where, "after": text}, {"at": at})

    def link(self, link: dict[str, Any]) -> None:
        kind = link["kind"]
        if kind not in LINK_KINDS:
            raise ValueError(f"unknown link kind {kind!r}")
        source = self.cluster_ids.get(link["source"])
        target = self.cluster_ids.get(link["target"])
        if source is None or target is None:
            self._left_out(f"{kind} link {link['source']} -> {link['target']}", "no such comment")
            return
        if kind not in HUMAN_LINK_KINDS:  # the import's replies and quotes
            if self.thread_of(source) not in self.new_threads:
                return  # a thread here has its own, from its own folding
            self.db.execute(
                "INSERT OR IGNORE INTO links (source_cluster, target_cluster, kind, annotator, "
                "created_at) VALUES (?, ?, ?, NULL, ?)",
                (source, target, kind, link.get("created_at") or now()),
            )
            return
        change = {"source": source, "target": target, "kind": kind, "note": link.get("note") or ""}
        for end, cluster_id in (("source", source), ("target", target)):
            if link.get(f"{end}_start") is not None:
                if not self.same_words[cluster_id]:
                    self._left_out(f"{kind} link from {link.get('source_unit')}", "words differ")
                    return
                change[f"{end}_span"] = [link[f"{end}_start"], link[f"{end}_end"]]
        self.report.links += self._apply(link["annotator"], "link", change, link)

    def thread_of(self, cluster_id: int) -> int:
        return self.db.execute(
            "SELECT thread_id FROM clusters WHERE id = ?", (cluster_id,)
        ).fetchone()[0]

    def _apply(self, annotator: Any, action: str, change: dict, dated: dict[str, Any]) -> bool:
        at = dated.get("created_at", dated.get("at"))
        return apply_change(
            self.db,
            _text(annotator, "an annotator"),
            action,
            change,
            at=at if isinstance(at, str) else None,
        )

    def _left_out(self, what: str, why: str) -> None:
        self.report.problems.append(f"left out {what}: {why}")


def _text(value: object, what: str) -> str:
    """A string the document must hold, with U+FFFD for half a surrogate pair (which no UTF-8
    can store), as an import keeps it."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string")
    return _LONE_SURROGATE.sub("\ufffd", value)


def _words(value: object, what: str) -> str:
    """A comment's words as an import keeps them: also no NUL, which ends strings in C, SQLite
    tools and terminals."""
    return _text(value, what).replace("\0", "\ufffd")


def _optional(value: object, what: str) -> str | None:
    return None if value is None else _text(value, what)


def _fold_mode(value: object) -> str:
    if value not in FOLD_MODES:
        raise ValueError(f"no fold mode {value!r}")
    return value


def _thread_sha256(thread: dict[str, Any]) -> str:
    """What identifies the thread's source; a hand-made export may lack it, and then its own
    words do, so that importing it twice still adds it once."""
    sha256 = thread.get("sha256")
    if sha256 is None:
        return hashlib.sha256(json.dumps(thread, sort_keys=True).encode()).hexdigest()
    return _text(sha256, "a thread's sha256")


def _max_id(db: sqlite3.Connection, table: str) -> int:
    return db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]


def _max_in_thread(db: sqlite3.Connection, table: str, column: str, thread_id: int) -> int:
    row = db.execute(
        f"SELECT coalesce(max({column}), 0) FROM {table} WHERE thread_id = ?", (thread_id,)
    )
    return row.fetchone()[0]


@contextmanager
def other_database(path: Path) -> Iterator[sqlite3.Connection]:
    """The other database of a merge, opened read-only, so that a bad one is refused before
    anything is written; from an older threadmark, an upgraded copy in a temporary directory
    (the original is never written)."""
    try:
        conn = open_database(path, read_only=True)
    except OlderSchema:
        with tempfile.TemporaryDirectory(prefix="threadmark-merge-") as temp:
            copy = Path(temp) / "other.db"
            copy_database(path, copy)
            conn = open_database(copy)
            try:
                yield conn
            finally:
                conn.close()
        return
    try:
        yield conn
    finally:
        conn.close()
