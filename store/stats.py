"""The counts behind ``threadmark stats``: the numbers every export and screen agrees with."""

from __future__ import annotations

import sqlite3

from store.sql import HUMAN_KINDS, STRUCTURAL_KINDS, in_thread


def thread_stats(db: sqlite3.Connection, thread_id: int | None = None) -> dict[str, int]:
    """Counts over one thread, or over the whole database when ``thread_id`` is None.

    ``duplicates`` are occurrences folded into an earlier one (comments minus clusters);
    ``unique`` counts clusters that are not tombstones.  ``links`` are the links people made;
    the ``replies_to`` and ``quotes`` links made at import are ``structural_links``.
    ``annotations`` and ``notes`` count those on segments too; ``segments`` counts the ranges
    inside comments that people tagged, noted or linked.
    """
    args = {"thread": thread_id}

    def scalar(sql: str, column: str = "thread_id") -> int:
        return db.execute(sql.format(where=in_thread(column, thread_id)), args).fetchone()[0]

    def count_links(kinds: str) -> int:
        return scalar(
            "SELECT count(*) FROM links l JOIN clusters c ON c.id = l.source_cluster "
            f"WHERE l.kind IN ({kinds}) AND {{where}}",
            "c.thread_id",
        )

    comments = scalar("SELECT count(*) FROM comments WHERE {where}")
    clusters = scalar("SELECT count(*) FROM clusters WHERE {where}")
    tombstones = scalar("SELECT count(*) FROM clusters WHERE is_tombstone AND {where}")
    annotations_from = "FROM annotations a JOIN clusters c ON c.id = a.cluster_id WHERE {where}"
    return {
        "threads": scalar("SELECT count(*) FROM threads WHERE {where}", "id"),
        "comments": comments,
        "unique": clusters - tombstones,
        "tombstones": tombstones,
        "duplicates": comments - clusters,
        "tags": db.execute("SELECT count(*) FROM tags").fetchone()[0],
        "annotations": scalar(f"SELECT count(*) {annotations_from}", "c.thread_id"),
        "annotated": scalar(
            f"SELECT count(DISTINCT a.cluster_id) {annotations_from}", "c.thread_id"
        ),
        "links": count_links(HUMAN_KINDS),
        "structural_links": count_links(STRUCTURAL_KINDS),
        "notes": scalar(
            "SELECT count(*) FROM notes n JOIN clusters c ON c.id = n.cluster_id WHERE {where}",
            "c.thread_id",
        ),
        "segments": scalar(
            "SELECT count(*) FROM segments s JOIN clusters c ON c.id = s.cluster_id WHERE {where}",
            "c.thread_id",
        ),
    }
