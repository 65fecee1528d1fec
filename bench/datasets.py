"""The data the benchmarks share: a synthetic thread of N comments, and databases of it.

The thread is generated with a fixed seed, so every run and every benchmark sees the same one;
a database of it is imported through the public store API (``store.ingest``) and built under a
temporary name, so an interrupted build never leaves a file that a later run takes as cached.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from store.database import open_database
from store.dedup import Folding
from store.ingest import DEFAULT_FOLD, PreparedImport, file_sha256, prepare, write_import
from store.readers import read_bytes

SEED = 20240601
GENERATOR_VERSION = 2  # part of the cached file names: bump it when the thread or schema changes
# Folding is the dedup benchmark's business: up to this many comments a thread is folded for
# real (``store.ingest.prepare``); above it every record is its own cluster, in seconds
# rather than minutes.
FOLD_LIMIT = 100_000
OPENING = "Opening post:"  # the first comment starts with it: the reader's first paint waits for it

VOCABULARY = """the to and a of is that it in i you for this not be are they on with have but as was
what if do just can so like about people would all there their or more an think because no will
at from my one we how your by don't it's even get them than only should when who which some make
any know really these also been other were much then why things way still same those most could
copyright law ai model models training data artists images art copies database fair use court
infringement ruling lawsuit companies generative style work works creators human machine
learning paint brush tool product profit license open source legal regulation"""
WORDS = VOCABULARY.split()


def synthetic_thread(n: int, seed: int = SEED) -> list[dict]:
    """N JSON Lines records of a plausible thread, in depth-first reading order.

    Texts run 40-800 characters (log-normal, median ~180); replies nest up to 10 deep; about 2%
    repeat a recent comment's text, 0.2% are pagination repeats of an earlier record (same id)
    and 0.5% are tombstones.
    """
    rng = random.Random(seed)
    records: list[dict] = []
    path: list[str] = []  # the ancestors of the next comment, then the last comment itself
    recent_texts: deque[str] = deque(maxlen=200)
    while len(records) < n:
        if records and rng.random() < 0.002:
            records.append(dict(rng.choice(records)))
            continue
        roll = rng.random()
        if roll < 0.10 or not path:
            path = []
        elif roll > 0.55 or len(path) > 10:
            path = path[: rng.randrange(len(path))]
        comment_id = f"c{len(records)}"
        if not records:
            text = f"{OPENING} {_text(rng, 300)}"
        elif rng.random() < 0.005:
            text = "[deleted]"
        elif recent_texts and rng.random() < 0.02:
            text = rng.choice(recent_texts)
        else:
            text = _text(rng, min(800, max(40, int(rng.lognormvariate(5.2, 0.7)))))
            recent_texts.append(text)
        records.append(
            {
                "id": comment_id,
                "parent": path[-1] if path else None,
                "author": f"user{rng.randrange(3000)}",
                "created": 1_700_000_000 + 7 * len(records),
                "text": text,
            }
        )
        path.append(comment_id)
    return records


def _text(rng: random.Random, length: int) -> str:
    sentences: list[str] = []
    size = 0
    while size < length:
        sentence = " ".join(rng.choices(WORDS, k=rng.randint(5, 18))).capitalize() + "."
        sentences.append(sentence)
        size += len(sentence) + 1
    return " ".join(sentences)[:length].rstrip()


def write_jsonl(path: Path, n: int) -> Path:
    """The N-comment thread as a JSON Lines file at ``path``, what ``threadmark import`` reads."""
    with path.open("w", encoding="utf-8") as out:
        for record in synthetic_thread(n):
            out.write(json.dumps(record) + "\n")
    return path


def store_thread(db_path: Path, n: int, *, fold_limit: float = FOLD_LIMIT) -> None:
    """Import the N-comment thread into the database at ``db_path`` (created if need be).

    It is folded for real up to ``fold_limit`` comments (``math.inf``: always); above it each
    record is its own cluster.
    """
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-") as scratch:
        source = write_jsonl(Path(scratch) / f"thread-{n}.jsonl", n)
        prepared = _prepare(source, n, fold=n <= fold_limit)
    db = open_database(db_path)
    try:
        write_import(db, prepared)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def _prepare(source: Path, n: int, *, fold: bool) -> PreparedImport:
    title = f"Synthetic thread of {n:,} comments"
    if fold:
        return prepare(source, format="jsonl", title=title)
    parsed = read_bytes(source.read_bytes(), source.name, "jsonl")
    count = len(parsed.records)
    return PreparedImport(
        source=source.name,
        sha256=file_sha256(source),
        parsed=parsed,
        folding=Folding(canonical=list(range(count)), folded=[None] * count, quotes=[]),
        threshold=100.0,
        fold_mode=DEFAULT_FOLD,
        title=title,
    )


def build_database(path: Path, build: Callable[[Path], None]) -> float:
    """Build a database at ``path`` by calling ``build`` on a temporary name beside it, then
    renaming it into place; the seconds it took.  Nothing of a failed build is left behind.

    The build runs in a forked process: building a million comments peaks near 1 GB, which
    would otherwise be the high-water mark a benchmark reports for itself whenever its data
    set was not cached yet.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    start = time.perf_counter()
    try:
        builder = multiprocessing.get_context("fork").Process(target=build, args=(partial,))
        builder.start()
        builder.join()
        if builder.exitcode != 0:
            raise RuntimeError(f"building {path.name} failed (exit {builder.exitcode})")
        partial.replace(path)
    finally:
        for leftover in (partial, *(Path(f"{partial}{end}") for end in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return time.perf_counter() - start
