"""Importing a thread: read, fold duplicates, then write everything in one transaction.

The work is split in two so that bad input never touches the database: :func:`prepare` reads
and folds with no database at all, and :func:`write_import` stores a prepared thread in a
single ``BEGIN IMMEDIATE`` transaction.  :func:`import_file` does both.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from store.collector import collector_paused
from store.database import SIDE_SUFFIXES, database_exists, now, open_database, write
from store.dedup import (
    DEFAULT_FOLD,
    DEFAULT_THRESHOLD,
    FOLD_MODES,
    Folding,
    Progress,
    fold,
    no_progress,
)
from store.errors import ThreadmarkError
from store.files import special_kind
from store.fulltext import IndexBuiltAside, worth_building_aside
from store.merging import MergeReport, document_from_export, merge_document
from store.readers import read_bytes
from store.records import CommentRecord, ParsedThread, ReadOptions

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_RECORD_TEXT_FIELDS = ("text", "platform_id", "parent_id", "author", "created_at")
# A source is read whole, and reading and folding it peaks at about 7 times its size in
# memory (measured on 100 MB of text and of JSON Lines): 1 GiB needs some 7.5 GB, what a
# 16 GB machine can spare, and is ten times the largest real thread seen (about 100 MB).
MAX_SOURCE_BYTES = 2**30
_GROWTH_CHUNK = 2**24


@dataclass(slots=True)
class PreparedImport:
    """A thread read and folded, ready to be written."""

    source: str
    sha256: str
    parsed: ParsedThread
    folding: Folding | None  # None for a threadmark export, which is restored as it was
    threshold: float
    fold_mode: str
    title: str


@dataclass(slots=True)
class ImportOutcome:
    thread_id: int
    created: bool  # False when the same file (same sha256) was already imported
    restored: MergeReport | None = None  # what a threadmark export brought in


def file_sha256(path: Path) -> str:
    """The sha256 that identifies a source file, so the same file is never imported twice."""
    return hashlib.sha256(read_source(path)).hexdigest()


def read_source(path: Path) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_SOURCE_BYTES`.

    A FIFO or a device is refused before it is opened: reading one can wait forever
    (``mkfifo``) or never end (``/dev/zero``).  The file is opened without blocking and
    checked again, in case something else was put in its place in between.
    """
    try:
        _check_source(path, os.stat(path))
        with open(path, "rb", opener=_open_without_blocking) as source:
            opened = os.fstat(source.fileno())
            _check_source(path, opened)
            data = _read_at_most(source, opened.st_size, MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        raise ThreadmarkError(f"{path}: no such file") from None
    except OSError as error:
        raise ThreadmarkError(f"{path}: cannot read ({error.strerror})") from None
    _check_size(path, len(data))
    return data


def _check_source(path: Path, info: os.stat_result) -> None:
    kind = stat.S_IFMT(info.st_mode)
    if kind == stat.S_IFDIR:
        raise ThreadmarkError(f"{path} is a directory, not a thread")
    if kind != stat.S_IFREG:
        raise ThreadmarkError(
            f"{path} is {special_kind(info.st_mode)}, not a thread; save it to a file first"
        )
    _check_size(path, info.st_size)


def _check_size(path: Path, size: int) -> None:
    if size > MAX_SOURCE_BYTES:
        raise ThreadmarkError(
            f"{path} is larger than {MAX_SOURCE_BYTES // 2**30} GiB, the most threadmark reads"
        )


def _open_without_blocking(path: str, flags: int) -> int:
    """``open``'s opener: a FIFO put in the file's place cannot make the open wait."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _read_at_most(source: BinaryIO, size: int, limit: int) -> bytes:
    """Up to ``limit`` bytes: one read of the ``size`` the file had, then more while it grows.

    The first read holds the file once in memory (``read(limit)`` would allocate ``limit``
    bytes whatever the file's size); a file that grows, or one that reports no size (as in
    ``/proc``), is read on in chunks.
    """
    chunk = source.read(min(size + 1, limit))
    chunks, total = [chunk], len(chunk)
    while chunk and total < limit:
        chunk = source.read(min(_GROWTH_CHUNK, limit - total))
        if chunk:
            chunks.append(chunk)
            total += len(chunk)
    return b"".join(chunks)


def prepare(
    path: Path,
    *,
    format: str = "auto",
    options: ReadOptions | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    fold_mode: str = DEFAULT_FOLD,
    title: str | None = None,
    progress: Progress | None = None,
) -> PreparedImport:
    """Read and fold ``path`` without touching any database.

    ``fold_mode`` "by-author" folds only one person's repeats; "across-authors" also folds
    the same words from different people into one comment.
    """
    if not 0 <= threshold <= 100:
        raise ThreadmarkError(f"--threshold must be between 0 and 100, not {threshold:g}")
    if fold_mode not in FOLD_MODES:
        raise ThreadmarkError(f"--fold must be one of {', '.join(FOLD_MODES)}, not {fold_mode!r}")
    sha256, parsed = read_thread(path, format, options)
    return fold_thread(
        path,
        sha256,
        parsed,
        threshold=threshold,
        fold_mode=fold_mode,
        title=title,
        progress=progress,
    )


def read_thread(
    path: Path,
    format: str = "auto",
    options: ReadOptions | None = None,
    progress: Progress | None = None,
) -> tuple[str, ParsedThread]:
    """``path``'s sha256 and records, read but not folded: a new thread is folded alone
    (:func:`fold_thread`), a newer scrape of a thread here with its comments (store.rescrape).

    ``progress("read", bytes done, bytes)`` is called at the start, as a format read line by
    line goes, and at the end."""
    report = progress or no_progress
    report("read", 0, 1)
    data = read_source(path)
    report("read", 0, len(data))
    parsed = read_bytes(data, path.name, format, options, progress)
    report("read", len(data), len(data))
    _replace_lone_surrogates(parsed)
    return hashlib.sha256(data).hexdigest(), parsed


def fold_thread(
    path: Path,
    sha256: str,
    parsed: ParsedThread,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    fold_mode: str = DEFAULT_FOLD,
    title: str | None = None,
    progress: Progress | None = None,
) -> PreparedImport:
    """A thread read by :func:`read_thread`, folded to be imported as a new thread."""
    folding = None
    if parsed.document is None:
        with collector_paused():
            folding = fold(
                parsed.records,
                threshold,
                across_authors=fold_mode == "across-authors",
                progress=progress,
            )
    return PreparedImport(
        source=path.name,
        sha256=sha256,
        parsed=parsed,
        folding=folding,
        threshold=threshold,
        fold_mode=fold_mode,
        title=title or parsed.title or path.stem,
    )


def _replace_lone_surrogates(parsed: ParsedThread) -> None:
    """JSON can spell half a surrogate pair (``"\\ud83d"``), which no UTF-8 can store.

    Left in, it crashes the insert (and every export); it becomes U+FFFD, as a bad byte does.
    Text and CSV come from decoded bytes and cannot hold one.
    """
    if parsed.format in ("text", "csv"):
        return
    if parsed.title is not None:
        parsed.title = _LONE_SURROGATE.sub("\ufffd", parsed.title)
    for record in parsed.records:
        for name in _RECORD_TEXT_FIELDS:
            value = getattr(record, name)
            if value is not None and not value.isascii() and _LONE_SURROGATE.search(value):
                setattr(record, name, _LONE_SURROGATE.sub("\ufffd", value))


def thread_with_sha256(db: sqlite3.Connection, sha256: str) -> int | None:
    row = db.execute("SELECT id FROM threads WHERE sha256 = ?", (sha256,)).fetchone()
    return row[0] if row else None


def thread_with_key(db: sqlite3.Connection, thread_key: str | None) -> int | None:
    """The thread read from the platform thread ``thread_key`` names (the first, if several)."""
    if thread_key is None:
        return None
    row = db.execute("SELECT min(id) FROM threads WHERE thread_key = ?", (thread_key,)).fetchone()
    return row[0]


@contextmanager
def database_for_import(path: Path) -> Iterator[sqlite3.Connection]:
    """The database at ``path`` to store an import in, made if there is none yet.

    A new database is made beside ``path`` under a temporary name and put in its place only
    once the block is done (the import committed), so a failed or interrupted import (ctrl+c)
    leaves no file behind, nor its -wal and -shm: an empty file that stood there (``touch``)
    stays empty.  A database that exists is opened as it is; the import's own transaction
    keeps it exactly as it was on failure.
    """
    path = Path(path)
    if not _no_database_yet(path):  # a database, or something open_database refuses
        db = open_database(path)
        try:
            yield db
        finally:
            db.close()
        return
    partial = path.with_name(f".{path.name}.{os.getpid()}.importing")
    try:
        db = open_database(partial)
        try:
            # No one else can see the file yet: a rollback journal writes each page once,
            # where WAL writes it to the log and again at the checkpoint (a third off a 1M
            # import's write).  It is in WAL, as every database is, before it is put in place.
            db.execute("PRAGMA journal_mode = DELETE")
            with _loaded_in_bulk(db):
                yield db
            db.execute("PRAGMA journal_mode = WAL")
        finally:
            db.close()  # the last connection: SQLite checkpoints and removes -wal and -shm
        _put_in_place(partial, path)
    finally:
        for leftover in (partial, *(Path(f"{partial}{suffix}") for suffix in SIDE_SUFFIXES)):
            leftover.unlink(missing_ok=True)


@contextmanager
def _loaded_in_bulk(db: sqlite3.Connection) -> Iterator[None]:
    """A new database's rows written with no key checks and no secondary indexes on the bulk
    tables, the indexes then built once over the rows and every key checked in one pass.

    Only for a database no one else can see yet: with keys off, a delete would cascade
    nowhere (an import deletes nothing).  Checking a deferred key row by row costs a lookup
    per row, and so does each index: together a tenth to a fifth of a 100k import's write.
    A dangling key fails the import as a deferred one would at commit, and the file is not
    put in place.
    """
    indexes = db.execute(
        "SELECT m.name, m.sql FROM sqlite_master AS m "
        "WHERE m.type = 'index' AND m.sql IS NOT NULL "
        "AND m.tbl_name IN ('clusters', 'comments', 'links') "
        "AND NOT (SELECT i.[unique] FROM pragma_index_list(m.tbl_name) AS i "
        "WHERE i.name = m.name)"  # a unique index is a constraint the rows are written under
    ).fetchall()
    db.execute("PRAGMA foreign_keys = OFF")
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")
    yield
    with write(db):
        for _, sql in indexes:
            db.execute(sql)
    dangling = db.execute("PRAGMA foreign_key_check").fetchone()
    if dangling is not None:
        table, rowid, parent, _ = dangling
        raise ThreadmarkError(f"{table} row {rowid} refers to a {parent} row that is not there")


def _no_database_yet(path: Path) -> bool:
    """Nothing at ``path``, or an empty regular file (``touch``): no one's database yet."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return True
    return stat.S_ISREG(info.st_mode) and info.st_size == 0


def _put_in_place(partial: Path, path: Path) -> None:
    """Move a new database to ``path``, where there is no database; one made there meanwhile
    (another threadmark importing at the same moment) is never replaced."""
    try:
        os.link(partial, path)
    except FileExistsError:
        if database_exists(path):
            raise ThreadmarkError(
                f"{path} was created by another process during this import; "
                "import again to add to it"
            ) from None
        os.replace(partial, path)  # an empty file, which is no database yet


def write_import(
    db: sqlite3.Connection, prepared: PreparedImport, progress: Progress | None = None
) -> ImportOutcome:
    """Store a prepared thread; a file already imported (same sha256) is not stored again."""
    return write_imports(db, [prepared], progress)[0]


def write_imports(
    db: sqlite3.Connection,
    prepared_imports: Sequence[PreparedImport],
    progress: Progress | None = None,
) -> list[ImportOutcome]:
    """Store prepared threads in one transaction: all of them, or (on any failure) none."""
    with write(db):
        # A reply may come before its parent in the file (newest-first exports): check the
        # keys between clusters once, at commit, rather than row by row.
        db.execute("PRAGMA defer_foreign_keys = ON")
        return [store_import(db, prepared, progress) for prepared in prepared_imports]


def store_import(
    db: sqlite3.Connection, prepared: PreparedImport, progress: Progress | None = None
) -> ImportOutcome:
    """Store one prepared thread inside the caller's write transaction (keys deferred)."""
    existing = thread_with_sha256(db, prepared.sha256)
    if existing is not None:
        return ImportOutcome(existing, created=False)
    if prepared.parsed.document is not None:
        document = document_from_export(prepared.parsed.document, prepared.source)
        report = merge_document(db, document, prepared.source)
        first = (report.threads_added + report.threads_matched)[0]
        return ImportOutcome(first, created=report.changed, restored=report)
    thread_id = db.execute(
        "INSERT INTO threads (title, source, format, sha256, threshold, fold, imported_at, "
        "thread_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            prepared.title,
            prepared.source,
            prepared.parsed.format,
            prepared.sha256,
            prepared.threshold,
            prepared.fold_mode,
            now(),
            prepared.parsed.thread_key,
        ),
    ).lastrowid
    with collector_paused():
        _write_thread(db, thread_id, prepared, progress)
    return ImportOutcome(thread_id, created=True)


def import_file(
    db: sqlite3.Connection,
    path: Path,
    *,
    format: str = "auto",
    options: ReadOptions | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    fold_mode: str = DEFAULT_FOLD,
    title: str | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import one file into ``db``: the library entry point for scripts."""
    existing = thread_with_sha256(db, file_sha256(Path(path)))
    if existing is not None:
        return ImportOutcome(existing, created=False)
    prepared = prepare(
        Path(path),
        format=format,
        options=options,
        threshold=threshold,
        fold_mode=fold_mode,
        title=title,
        progress=progress,
    )
    return write_import(db, prepared, progress)


def _write_thread(
    db: sqlite3.Connection,
    thread_id: int,
    prepared: PreparedImport,
    progress: Progress | None,
) -> None:
    """Insert clusters, occurrences, FTS rows and structural links for one thread.

    Ids are allocated here, inside the write lock, in thread order after the clusters already
    stored, so a database's first thread is numbered #1, #2, ... in reading order.
    """
    records = prepared.parsed.records
    folding = prepared.folding
    canonicals = [i for i, canonical in enumerate(folding.canonical) if canonical == i]
    first_cluster_id = _next_id(db, "clusters")
    first_comment_id = _next_id(db, "comments")
    # Each record's cluster id, by record index (a record comes after its canonical one): a
    # list, where a dict of a million canonical records would take 100 MB more.
    cluster_id_of: list[int] = []
    next_cluster_id = first_cluster_id
    for i, canonical in enumerate(folding.canonical):
        if canonical == i:
            cluster_id_of.append(next_cluster_id)
            next_cluster_id += 1
        else:
            cluster_id_of.append(cluster_id_of[canonical])
    # Each cluster's size and how its repeats folded, by its canonical record: a count, and
    # a set only for the few clusters that have repeats (not a list of members for each).
    size = [0] * len(records)
    fold_kinds: dict[int, set[str]] = {}
    for i, canonical in enumerate(folding.canonical):
        size[canonical] += 1
        if folding.folded[i] is not None:
            fold_kinds.setdefault(canonical, set()).add(folding.folded[i])

    index_of_platform_id: dict[str, int] = {}
    for i, record in enumerate(records):
        if record.platform_id is not None:
            index_of_platform_id.setdefault(record.platform_id, i)

    def parent_index(i: int) -> int | None:
        parent_id = records[i].parent_id
        return None if parent_id is None else index_of_platform_id.get(parent_id)

    parent_of: dict[int, int | None] = {}
    for index in canonicals:
        parent = parent_index(index)
        parent_cluster = None if parent is None else cluster_id_of[folding.canonical[parent]]
        own = cluster_id_of[index]
        parent_of[own] = None if parent_cluster == own else parent_cluster
    depth_of = reply_depths(parent_of)

    def cluster_rows() -> Iterator[tuple]:
        """The clusters' rows, made as they are written: a million at once would hold 250 MB."""
        for seq, index in enumerate(canonicals, start=1):
            kinds = fold_kinds.get(index, ())
            folded = next((kind for kind in ("near", "exact", "identity") if kind in kinds), None)
            same_text = folding.same_text.get(index)
            record = records[index]
            yield (
                cluster_id_of[index],
                thread_id,
                seq,
                first_comment_id + index,
                parent_of[cluster_id_of[index]],
                depth_of[cluster_id_of[index]],
                record.author,
                record.text,
                size[index],
                folded,
                int(record.is_tombstone),
                None if same_text is None else cluster_id_of[same_text],
            )

    # A large thread's index is built on the other core while its rows are written, if the
    # database's index is empty (store.fulltext).
    aside = None
    if worth_building_aside(db, len(canonicals)):
        aside = IndexBuiltAside(db, first_cluster_id, [records[i].text for i in canonicals])
    try:
        _write_rows(
            db,
            thread_id,
            prepared,
            first_comment_id,
            cluster_rows(),
            len(canonicals),
            cluster_id_of,
            parent_index,
            progress,
        )
        if aside is None:
            db.execute(
                "INSERT INTO clusters_fts (rowid, text) "
                "SELECT id, text FROM clusters WHERE thread_id = ?",
                (thread_id,),
            )
        else:
            aside.copy_into(db)
    finally:
        if aside is not None:
            aside.discard()
    if progress:
        progress("store", len(records) + len(canonicals), len(records) + len(canonicals))


def _write_rows(
    db: sqlite3.Connection,
    thread_id: int,
    prepared: PreparedImport,
    first_comment_id: int,
    cluster_rows: Iterator[tuple],
    clusters: int,
    cluster_id_of: list[int],
    parent_index: Callable[[int], int | None],
    progress: Progress | None,
) -> None:
    """The thread's ``clusters`` (``cluster_rows``), comments and structural links, in that
    order; ``cluster_id_of`` is each record's cluster id."""
    records = prepared.parsed.records
    folding = prepared.folding
    db.executemany(
        "INSERT INTO clusters (id, thread_id, seq, canonical_comment_id, parent_cluster_id, "
        "depth, author, text, size, folded, is_tombstone, text_group) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        cluster_rows,
    )
    if progress:
        progress("store", clusters, len(records) + clusters)
    db.executemany(
        "INSERT INTO comments (id, thread_id, cluster_id, position, platform_id, "
        "parent_platform_id, author, created_at, text, is_tombstone, folded) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            (
                first_comment_id + i,
                thread_id,
                cluster_id_of[folding.canonical[i]],
                i + 1,
                record.platform_id,
                record.parent_id,
                record.author,
                record.created_at,
                record.text,
                int(record.is_tombstone),
                folding.folded[i],
            )
            for i, record in enumerate(records)
        ),
    )
    write_structural_links(db, records, folding, cluster_id_of, parent_index)


def reply_depths(parent_of: dict[int, int | None]) -> dict[int, int]:
    """Each cluster's reply depth, whatever order parents and replies came in.

    Walks up each chain once (iteratively: threads can be deep), and a cycle in bad data
    counts as reaching the top.
    """
    depth_of: dict[int, int] = {}
    for start in parent_of:
        chain: list[int] = []
        on_chain: set[int] = set()
        node: int | None = start
        while node is not None and node not in depth_of and node not in on_chain:
            chain.append(node)
            on_chain.add(node)
            node = parent_of.get(node)
        depth = -1 if node is None or node in on_chain else depth_of[node]
        for member in reversed(chain):
            depth += 1
            depth_of[member] = depth
    return depth_of


def write_structural_links(
    db: sqlite3.Connection,
    records: list[CommentRecord],
    folding: Folding,
    cluster_id_of: Mapping[int, int] | Sequence[int],
    parent_index: Callable[[int], int | None],
) -> None:
    """``replies_to`` from the thread's tree and ``quotes`` from quote detection.

    One already stored is left as it is: an update of a thread (store.rescrape) can fold a
    new reply into a comment whose reply link is there; and the repeats of a link (each of a
    cluster's occurrences replies to the same parent) are left out by the same unique index,
    rather than by a set of a million links held in memory.
    """
    created_at = now()

    def links() -> Iterator[tuple[int, int, str, str]]:
        for i in range(len(records)):
            parent = parent_index(i)
            if parent is None:
                continue
            source = cluster_id_of[folding.canonical[i]]
            target = cluster_id_of[folding.canonical[parent]]
            if source != target:
                yield source, target, "replies_to", created_at
        for quoting, quoted in folding.quotes:
            yield cluster_id_of[quoting], cluster_id_of[quoted], "quotes", created_at

    db.executemany(
        "INSERT OR IGNORE INTO links (source_cluster, target_cluster, kind, annotator, "
        "created_at) VALUES (?, ?, ?, NULL, ?)",
        links(),
    )


def _next_id(db: sqlite3.Connection, table: str) -> int:
    return db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
