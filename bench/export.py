"""Benchmark the exports on large annotated threads: time against a plain dump, and peak memory.

    python bench/export.py [--n 100000,1000000] [--formats csv,json,...] [--smoke]

For each N it builds (once; cached in ``bench.figures.cache_dir()`` by N and the versions of
the schema, the thread and the annotations) a database
holding the benchmarks' synthetic thread of N comments (``bench/datasets.py``, imported through
``store.ingest``), annotated as a team would: 10% of the comments tagged, 1% with a tagged
sentence (a segment), 2% linked (rebuts or supports a comment shortly before; a quarter of the
links sentence to sentence), and notes on 0.1% and on a tenth of the segments.

Then it exports the database to each format chosen (default: csv, json, qdpx and aif, those
that ``store.exporters.EXPORT_FORMATS`` has; never one that runs a program, as svg runs
Graphviz), each in a fresh process, through ``store.exporting.export`` into a file, and
against two baselines of the same rows (each comment's id, number, thread, position, author,
created_at and text):

- ``select-csv``: one ``SELECT`` written by Python's csv module: what every export is measured
  against;
- ``sqlite3-csv``: ``sqlite3 -csv`` of the same query, where the sqlite3 command exists.

seconds: the export itself, opening the database included, timed in the child (its interpreter
start and module imports are not counted; sqlite-utils, which the exporters import on first
use, is); for sqlite3, the process's wall time.  peak MB: the most resident memory the child and
the helper writing the second half of a large CSV held at once, imports included (Linux's
``VmHWM`` and ``VmRSS``, see ``bench.figures.HelpersPeak``); the sqlite3 command cannot report
one.  The targets (issue #11): csv within 2x of both dumps, json
within 3x of select-csv, and every format's peak memory at most 100 MB and flat in N (at most
FLAT_TARGET_GROWTH from the smallest N to the largest).

``figures(n)`` is the same measurement at one N for ``bench/run_all.py``: a Figure per format
of FIGURE_FORMATS, against sqlite3-csv (csv, where the command exists) or select-csv.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.figures import Figure, HelpersPeak, cache_dir
from store.database import SCHEMA_VERSION, now, open_database, open_for_reading, write
from store.exporters import EXPORT_FORMATS
from store.exporting import export
from store.sentences import sentences_of

ANNOTATION_VERSION = 1  # part of the cached file names: bump it when the annotations change
SEED = 20240610
DEFAULT_SIZES = (100_000, 1_000_000)
SMOKE_SIZES = (500, 2_000)
DEFAULT_FORMATS = ("csv", "json", "qdpx", "aif")
CSV_TARGET_RATIO = 2.0  # of both dumps
JSON_TARGET_RATIO = 3.0  # of select-csv
PEAK_TARGET_MB = 100
FIGURE_FORMATS = (
    *("csv", "json", "jsonl", "segments-csv", "links-csv"),
    *("qdpx", "aif", "argdown", "dot"),  # the interchange formats
)
FLAT_TARGET_GROWTH = 1.5  # peak memory from the smallest N to the largest: 10x the comments

ANNOTATORS = ("ana", "ben", "chen")
TAGGED = 0.10  # shares of the comments
SEGMENTED = 0.01
LINKED = 0.02
NOTED = 0.001
SENTENCE_LINKS = 0.25  # of the links, those between two sentences
NOTED_SEGMENTS = 0.10  # of the segments
LINK_REACH = 50  # a link's target is one of the comments this far before its source

PLAIN_DUMP = "select-csv"
SQLITE_DUMP = "sqlite3-csv"
DUMP_COLUMNS = ("id", "number", "thread", "position", "author", "created_at", "text")
DUMP_SQL = (
    "SELECT c.id, c.seq, c.thread_id, o.position, c.author, o.created_at, c.text "
    "FROM clusters c JOIN comments o ON o.id = c.canonical_comment_id ORDER BY c.id"
)


# -- the annotated database -------------------------------------------------------------------


def database_for(n: int) -> Path:
    """The annotated database of the N-comment thread, built unless an earlier run left it."""
    # Imported here, not at the top: what an import needs (rapidfuzz, the readers) would add
    # 20 MB to the peak memory of every child this file runs.
    from bench import datasets

    versions = f"s{SCHEMA_VERSION}-g{datasets.GENERATOR_VERSION}-a{ANNOTATION_VERSION}"
    path = cache_dir() / f"export-{versions}-{n}.db"
    if not path.exists():
        seconds = datasets.build_database(path, lambda partial: _build(partial, n))
        print(f"  {n:,}: built {path} in {seconds:.0f} s", flush=True)
    return path


def _build(db_path: Path, n: int) -> None:
    from bench.datasets import store_thread  # see database_for

    store_thread(db_path, n)
    db = open_database(db_path)
    try:
        with write(db):
            Annotations(db, random.Random(SEED)).insert()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


class Annotations:
    """A team's tags, segments, links and notes on a thread, inserted in bulk.

    The rows are the ones ``store.annotate`` writes, without their journal rows in ``events``
    (no export reads them), all in one transaction: through ``store.annotate`` each would be
    a transaction of its own, some 150,000 at a million comments.  A segment
    is a whole sentence of a comment that has more than one (of a one-sentence comment it would
    be the comment itself), so exports name it as the reader does: ``#4.2``.
    """

    def __init__(self, db, rng: random.Random) -> None:
        self.db = db
        self.rng = rng
        self.created_at = now()
        self.tag_ids = [tag_id for (tag_id,) in db.execute("SELECT id FROM tags ORDER BY id")]
        self.comment_ids = [
            cluster_id
            for (cluster_id,) in db.execute("SELECT id FROM clusters WHERE NOT is_tombstone")
        ]
        self.segments: dict[tuple[int, int, int], int] = {}  # (comment, start, end) -> id
        self.annotations: dict[tuple[int, int | None, int, str], None] = {}  # unique, in order
        self.links: dict[tuple[int, int | None, int, int | None, str, str], None] = {}
        self.notes: dict[tuple[int, int | None, str], str] = {}

    def insert(self) -> None:
        self._tag_comments()
        self._tag_sentences()
        self._link()
        self._note_comments()
        self._write()

    def _some(self, share: float) -> list[int]:
        count = max(1, round(share * len(self.comment_ids)))
        return sorted(self.rng.sample(self.comment_ids, min(count, len(self.comment_ids))))

    def _tag(self, cluster_id: int, segment: int | None) -> None:
        annotator = self.rng.choice(ANNOTATORS)
        self.annotations[(cluster_id, segment, self.rng.choice(self.tag_ids), annotator)] = None

    def _tag_comments(self) -> None:
        for cluster_id in self._some(TAGGED):
            self._tag(cluster_id, None)
            if self.rng.random() < 0.2:  # a second annotator's tag on the same comment
                self._tag(cluster_id, None)

    def _tag_sentences(self) -> None:
        for cluster_id in self._some(SEGMENTED):
            segment = self._sentence(cluster_id)
            if segment is None:
                continue
            self._tag(cluster_id, segment)
            if self.rng.random() < NOTED_SEGMENTS:
                self.notes[(cluster_id, segment, self.rng.choice(ANNOTATORS))] = self._note()

    def _link(self) -> None:
        for source in self._some(LINKED):
            target = source - self.rng.randint(1, LINK_REACH)
            if target < self.comment_ids[0]:
                continue
            source_segment = target_segment = None
            if self.rng.random() < SENTENCE_LINKS:
                source_segment, target_segment = self._sentence(source), self._sentence(target)
            kind = self.rng.choice(("rebuts", "supports"))
            annotator = self.rng.choice(ANNOTATORS)
            self.links[(source, source_segment, target, target_segment, kind, annotator)] = None

    def _note_comments(self) -> None:
        for cluster_id in self._some(NOTED):
            self.notes[(cluster_id, None, self.rng.choice(ANNOTATORS))] = self._note()

    def _sentence(self, cluster_id: int) -> int | None:
        """The segment id of a random sentence of the comment; None if it has only one."""
        row = self.db.execute("SELECT text FROM clusters WHERE id = ?", (cluster_id,)).fetchone()
        spans = sentences_of(row[0]) if row else []
        if len(spans) < 2:
            return None
        start, end = self.rng.choice(spans)
        return self.segments.setdefault((cluster_id, start, end), len(self.segments) + 1)

    def _note(self) -> str:
        return self.rng.choice(
            ("Check the source.", "Same claim as upthread.", "Sarcasm?", "Strong evidence here.")
        )

    def _write(self) -> None:
        db, created_at = self.db, self.created_at
        db.executemany(
            "INSERT INTO segments (id, cluster_id, start, end) VALUES (?, ?, ?, ?)",
            ((segment, *key) for key, segment in self.segments.items()),
        )
        db.executemany(
            "INSERT INTO annotations (cluster_id, segment_id, tag_id, annotator, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ((*key, created_at) for key in self.annotations),
        )
        db.executemany(
            "INSERT INTO links (source_cluster, source_segment, target_cluster, target_segment, "
            "kind, annotator, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((*key, created_at) for key in self.links),
        )
        db.executemany(
            "INSERT INTO notes (cluster_id, segment_id, annotator, text, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ((*key, text, created_at) for key, text in self.notes.items()),
        )


def annotation_counts(db_path: Path) -> str:
    """What the database holds, in a line: what the table's rows were exported from."""
    db = open_for_reading(db_path)
    try:
        counts = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("clusters", "annotations", "segments", "links", "notes")
        }
        (people_links,) = db.execute(
            "SELECT count(*) FROM links WHERE annotator IS NOT NULL"
        ).fetchone()
    finally:
        db.close()
    return (
        f"{counts['clusters']:,} unique comments, {counts['annotations']:,} tags, "
        f"{counts['segments']:,} segments, {people_links:,} links by people "
        f"({counts['links']:,} with replies and quotes), {counts['notes']:,} notes"
    )


# -- one export, in a child process -----------------------------------------------------------


def run_export(what: str, db_path: Path, out_path: Path) -> None:
    """The child's side: one export (or the plain dump) to ``out_path``; prints its seconds and
    its peak memory as JSON."""
    start = time.perf_counter()
    db = open_for_reading(db_path)
    try:
        with out_path.open("wb") as out, HelpersPeak() as helpers:
            if what == PLAIN_DUMP:
                plain_dump(db, out)
            else:
                export(db, what, out)
    finally:
        db.close()
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_mb": helpers.mb}))


def plain_dump(db, out: BinaryIO) -> None:
    """The baseline: the comments' plain columns from one SELECT, through the csv module."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(DUMP_COLUMNS)
    writer.writerows(db.execute(DUMP_SQL))
    text.detach()  # flushes, and leaves ``out`` to its owner


@dataclass(frozen=True)
class Measurement:
    what: str
    n: int
    seconds: float
    peak_mb: float | None  # None for the sqlite3 command, which cannot say (see own_peak_mb)
    output_mb: float


def measure(what: str, n: int, db_path: Path, scratch: Path) -> Measurement:
    """Run one export in a fresh process and measure it (see the module docstring)."""
    out_path = scratch / f"{what}-{n}.out"
    if what == SQLITE_DUMP:
        command = [shutil.which("sqlite3"), "-csv", "-header", str(db_path), DUMP_SQL]
        with out_path.open("wb") as out:
            start = time.perf_counter()
            run_child(command, stdout=out)
            seconds, peak_mb = time.perf_counter() - start, None
    else:
        command = [sys.executable, __file__, "--child", what, str(db_path), str(out_path)]
        report = json.loads(run_child(command, stdout=subprocess.PIPE))
        seconds, peak_mb = report["seconds"], report["peak_mb"]
    output_mb = out_path.stat().st_size / 2**20
    out_path.unlink()
    return Measurement(what, n, seconds, peak_mb, output_mb)


def run_child(command: list[str], stdout) -> bytes | None:
    """Run ``command`` to its end; what it printed, when ``stdout`` is a pipe."""
    result = subprocess.run(command, stdout=stdout, stderr=subprocess.PIPE)
    if result.returncode:
        raise SystemExit(f"bench: {' '.join(command[:4])} failed:\n{result.stderr.decode()}")
    return result.stdout


def warm_page_cache(path: Path) -> None:
    """Read the database once, so the first export timed does not pay for the disk alone."""
    with path.open("rb") as file:
        while file.read(1 << 24):
            pass


# -- the table --------------------------------------------------------------------------------

COLUMNS = (
    ("format", 12),
    ("N", 10),
    ("seconds", 8),
    ("vs dump", 8),
    ("peak MB", 8),
    ("output MB", 10),
    ("peak growth", 12),
)


def print_table(results: list[Measurement]) -> None:
    """One row per format and N, formats in the order run; growth on each format's last row."""
    dump_s = {r.n: r.seconds for r in results if r.what == PLAIN_DUMP}
    print(_row(name for name, _ in COLUMNS))
    for what in dict.fromkeys(r.what for r in results):
        rows = [r for r in results if r.what == what]
        for row in rows:
            last = row is rows[-1] and len(rows) > 1 and row.peak_mb is not None
            growth = f"{peak_growth(rows):.2f}x" if last else ""
            print(
                _row(
                    (
                        what,
                        f"{row.n:,}",
                        f"{row.seconds:.2f}",
                        f"{row.seconds / dump_s[row.n]:.2f}x",
                        "-" if row.peak_mb is None else f"{row.peak_mb:.0f}",
                        f"{row.output_mb:.1f}",
                        growth,
                    )
                )
            )
    print(
        f"vs dump: seconds / {PLAIN_DUMP}'s at the same N; peak MB: the child's VmHWM; "
        "peak growth: from the smallest N to the largest."
    )


def _row(cells) -> str:
    """The cells under COLUMNS: the format's name to the left, numbers to the right."""
    name, *numbers = cells
    widths = [width for _, width in COLUMNS]
    right = (f"{cell:>{width}}" for cell, width in zip(numbers, widths[1:], strict=True))
    return " ".join((f"{name:<{widths[0]}}", *right))


def peak_growth(rows: list[Measurement]) -> float:
    return max(rows, key=lambda r: r.n).peak_mb / min(rows, key=lambda r: r.n).peak_mb


def print_targets(results: list[Measurement]) -> None:
    dump_s = {(r.what, r.n): r.seconds for r in results if r.what not in EXPORT_FORMATS}
    for what, baseline, limit in (
        ("csv", PLAIN_DUMP, CSV_TARGET_RATIO),
        ("csv", SQLITE_DUMP, CSV_TARGET_RATIO),
        ("json", PLAIN_DUMP, JSON_TARGET_RATIO),
    ):
        ratios = [
            (r.n, r.seconds / dump_s[baseline, r.n])
            for r in results
            if r.what == what and (baseline, r.n) in dump_s
        ]
        if ratios:
            verdict = "PASS" if all(ratio <= limit for _, ratio in ratios) else "FAIL"
            cells = ", ".join(f"{ratio:.2f}x at {n:,}" for n, ratio in ratios)
            print(f"target: {what} within {limit:g}x of {baseline}: {cells}  {verdict}")
    formats = [what for what in dict.fromkeys(r.what for r in results) if what in EXPORT_FORMATS]
    peaks = [r for r in results if r.what in EXPORT_FORMATS]
    if peaks:
        highest = max(peaks, key=lambda r: r.peak_mb)
        verdict = "PASS" if highest.peak_mb <= PEAK_TARGET_MB else "FAIL"
        print(
            f"target: every format's peak memory at most {PEAK_TARGET_MB} MB: highest "
            f"{highest.peak_mb:.0f} MB ({highest.what} at {highest.n:,})  {verdict}"
        )
    sizes = sorted({r.n for r in results})
    if len(sizes) < 2:
        return
    for what in formats:
        growth = peak_growth([r for r in results if r.what == what])
        verdict = "PASS" if growth <= FLAT_TARGET_GROWTH else "FAIL"
        print(
            f"target: {what} peak memory flat from {sizes[0]:,} to {sizes[-1]:,} comments "
            f"(at most {FLAT_TARGET_GROWTH:g}x): {growth:.2f}x  {verdict}"
        )


def baselines() -> list[str]:
    """The dumps every export is measured against: sqlite3's only where it is installed."""
    return [PLAIN_DUMP, SQLITE_DUMP] if shutil.which("sqlite3") else [PLAIN_DUMP]


def measure_all(n: int, formats: list[str], scratch: Path) -> list[Measurement]:
    """The baselines, then each format, at N comments, each in a fresh process."""
    db_path = database_for(n)
    print(f"  {n:,}: {annotation_counts(db_path)}", flush=True)
    warm_page_cache(db_path)
    results = []
    for what in [*baselines(), *formats]:
        result = measure(what, n, db_path, scratch)
        print(f"  {n:,} {what}: {result.seconds:.2f} s", flush=True)
        results.append(result)
    return results


def figures(n: int) -> list[Figure]:
    """Every format of FIGURE_FORMATS at N comments against its baseline, in the same run:
    csv against ``sqlite3 -csv`` (where installed; else select-csv), every other against
    select-csv; the targets where issue #11 sets them (csv, json: time and memory; the
    interchange formats: memory)."""
    formats = [what for what in FIGURE_FORMATS if what in EXPORT_FORMATS]
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-export-") as scratch:
        results = {r.what: r for r in measure_all(n, formats, Path(scratch))}
    found = []
    for what in formats:
        result = results[what]
        baseline = SQLITE_DUMP if what == "csv" and SQLITE_DUMP in results else PLAIN_DUMP
        ratio = result.seconds / results[baseline].seconds
        limit = {"csv": CSV_TARGET_RATIO, "json": JSON_TARGET_RATIO}.get(what)
        small = result.peak_mb <= PEAK_TARGET_MB
        memory = f"<= {PEAK_TARGET_MB} MB"
        found.append(
            Figure(
                "export",
                f"{what} export",
                n,
                result.seconds,
                "s",
                baseline,
                results[baseline].seconds,
                result.peak_mb,
                memory if limit is None else f"<= {limit:g}x, {memory}",
                small if limit is None else small and ratio <= limit,
            )
        )
    return found


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


# -- the command line -------------------------------------------------------------------------


def chosen_formats(parser: argparse.ArgumentParser, names: str | None) -> list[str]:
    """The formats asked for ("all": every one registered that runs no program of its own), or
    the default ones that are registered, saying which are not.

    A format that runs a program (svg runs Graphviz's dot) would time that program: refused.
    """
    if names is None:
        missing = [name for name in DEFAULT_FORMATS if name not in EXPORT_FORMATS]
        if missing:
            print(f"not registered yet, left out: {', '.join(missing)}")
        return [name for name in DEFAULT_FORMATS if name in EXPORT_FORMATS]
    if names == "all":
        return [name for name, format in EXPORT_FORMATS.items() if format.needs is None]
    formats = [name.strip() for name in names.split(",") if name.strip()]
    for name in formats:
        if name not in EXPORT_FORMATS:
            parser.error(f"unknown format {name!r} (registered: {', '.join(EXPORT_FORMATS)})")
        if EXPORT_FORMATS[name].needs is not None:
            parser.error(f"{name} runs {EXPORT_FORMATS[name].needs}, which this benchmark does not")
    return formats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n",
        type=lambda value: [int(n) for n in value.split(",")],
        default=list(DEFAULT_SIZES),
        help="comma-separated thread sizes",
    )
    parser.add_argument(
        "--formats", help=f"comma-separated, or all (default: {','.join(DEFAULT_FORMATS)})"
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # what, database, output
    args = parser.parse_args()
    if args.child:
        what, db_path, out_path = args.child
        run_export(what, Path(db_path), Path(out_path))
        return
    sizes = sorted(SMOKE_SIZES if args.smoke else args.n)
    formats = chosen_formats(parser, args.formats)
    if SQLITE_DUMP not in baselines():
        print("the sqlite3 command is not installed: its baseline is left out")
    print(f"export benchmark: N {', '.join(f'{n:,}' for n in sizes)}; {', '.join(formats)}")
    print(f"{os.cpu_count()} cores, load average {load_average()}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-export-") as scratch:
        for n in sizes:
            results += measure_all(n, formats, Path(scratch))
    print()
    print_table(results)
    print_targets(results)
    print(f"load average at the end: {load_average()} (other work on the machine slows every row)")


if __name__ == "__main__":
    main()
