"""Ranking the comments a link could point to, for the link picker.

The parent comes first (most rebuttals answer it), then comments ranked by rapidfuzz
similarity: to the typed words when the user types, else to the linking comment's own text.
Only a neighbourhood of the thread plus full-text matches is scored, so a million-comment
thread ranks as fast as a small one.  ``#12`` names comment 12 exactly.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from store.queries import SNIPPET_CHARS, fts_query

NEIGHBOURHOOD = 300  # rows either side of the linking comment that are always scored
SEARCH_POOL = 500  # full-text matches scored when the user types words
MIN_SEARCH_WORD = 3  # a one- or two-letter prefix matches most of a big thread: not worth it
_EXACT_ID = re.compile(r"^\s*#(\d+)\s*$")


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    snippet: str
    author: str | None
    reason: str  # "parent", "#N", or the similarity score as text


def exact_id(query: str) -> int | None:
    """The comment id in a ``#12`` query, else None."""
    match = _EXACT_ID.match(query)
    return int(match.group(1)) if match else None


def link_candidates(
    db: sqlite3.Connection, source_id: int, query: str = "", limit: int = 50
) -> list[Candidate]:
    """Targets for a link from ``source_id``, best first."""
    wanted = exact_id(query)
    if wanted is not None:
        row = db.execute(
            f"SELECT id, substr(text, 1, {SNIPPET_CHARS}), author FROM clusters WHERE id = ? "
            "AND thread_id = (SELECT thread_id FROM clusters WHERE id = ?)",
            (wanted, source_id),
        ).fetchone()
        return [Candidate(*row, reason=f"#{wanted}")] if row and wanted != source_id else []

    source = db.execute(
        "SELECT thread_id, seq, parent_cluster_id, text FROM clusters WHERE id = ?", (source_id,)
    ).fetchone()
    if source is None:
        return []
    thread_id, seq, parent_id, source_text = source
    pool: dict[int, tuple[str, str | None]] = {}
    for cluster_id, snippet, author in db.execute(
        f"SELECT id, substr(text, 1, {SNIPPET_CHARS}), author FROM clusters WHERE thread_id = ? "
        "AND seq BETWEEN ? AND ? AND NOT is_tombstone",
        (thread_id, seq - NEIGHBOURHOOD, seq + NEIGHBOURHOOD),
    ):
        pool[cluster_id] = (snippet, author)
    words = query.strip()
    if max(map(len, words.split()), default=0) >= MIN_SEARCH_WORD:
        # The first matches in thread order, not the best by bm25: ranking every match of a
        # common word in a million comments took a second per keystroke.  rapidfuzz ranks them.
        for cluster_id, snippet, author in db.execute(
            f"SELECT c.id, substr(c.text, 1, {SNIPPET_CHARS}), c.author FROM clusters_fts f "
            "CROSS JOIN clusters c ON c.id = f.rowid "  # CROSS: the full-text match drives
            "WHERE clusters_fts MATCH ? AND c.thread_id = ? AND NOT c.is_tombstone LIMIT ?",
            (fts_query(words), thread_id, SEARCH_POOL),
        ):
            pool[cluster_id] = (snippet, author)
    pool.pop(source_id, None)

    ranked: list[Candidate] = []
    if parent_id is not None and not words:
        parent = (
            pool.pop(parent_id, None)
            or db.execute(
                f"SELECT substr(text, 1, {SNIPPET_CHARS}), author FROM clusters WHERE id = ?",
                (parent_id,),
            ).fetchone()
        )
        ranked.append(Candidate(parent_id, parent[0], parent[1], reason="parent"))
    ids = list(pool)
    matches = process.extract(
        words or source_text[:SNIPPET_CHARS],
        [pool[cluster_id][0] for cluster_id in ids],
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=30 if words else 0,
    )
    for _, score, index in matches:
        cluster_id = ids[index]
        snippet, author = pool[cluster_id]
        ranked.append(Candidate(cluster_id, snippet, author, reason=f"{score:.0f}%"))
    return ranked[:limit]
