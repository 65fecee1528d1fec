"""The counts behind ``threadmark stats``: the numbers every export and screen agrees with."""

from __future__ import annotations

import sqlite_utils

from store.schema import HUMAN_LINK_KINDS, STRUCTURAL_LINK_KINDS

# Every query takes :thread; NULL means the whole database.
_IN_THREAD = "(:thread IS NULL OR {column} = :thread)"


def thread_stats(db: sqlite_utils.Database, thread_id: int | None = None) -> dict[str, int]:
    """Counts over one thread, or over the whole database when ``thread_id`` is None.

    ``duplicates`` are occurrences folded into an earlier one (comments minus clusters);
    ``unique`` counts clusters that are not tombstones.  ``links`` are the links people made;
    the ``replies_to`` and ``quotes`` links made at import are ``structural_links``.
    """
    args = {"thread": thread_id}

    def scalar(sql: str, column: str = "thread_id") -> int:
        return db.execute(sql.format(where=_IN_THREAD.format(column=column)), args).fetchone()[0]

    def count_links(kinds: tuple[str, ...]) -> int:
        listed = ", ".join(f"'{kind}'" for kind in kinds)
        return scalar(
            "SELECT count(*) FROM links l JOIN clusters c ON c.id = l.source_cluster "
            f"WHERE l.kind IN ({listed}) AND {{where}}",
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
        "links": count_links(HUMAN_LINK_KINDS),
        "structural_links": count_links(STRUCTURAL_LINK_KINDS),
        "notes": scalar(
            "SELECT count(*) FROM notes n JOIN clusters c ON c.id = n.cluster_id WHERE {where}",
            "c.thread_id",
        ),
    }
