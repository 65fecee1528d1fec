"""Benchmark the reader on large threads: first paint, and the latency from a key to its commit.

    python bench/reader.py [--sizes 10000 100000 1000000] [--presses 500] [--repeats 9]
                           [--back-to-back] [--smoke]

For each N it builds (once; cached in ``bench.figures.cache_dir()`` by N) a database holding one
synthetic thread of N comments, generated with a fixed seed and imported through the public store
API, then measures (``figures(n)`` the same, for ``bench/run_all.py``):

- first paint: from process start to the first comment text on the screen, for
  ``threadmark --db DB`` in a real 80x24 pseudo-terminal (``Pty``, shared with bench/moves.py),
  against a bare one-``Static`` Textual app run the same way, alternating the two so machine
  load hits both alike (median of ``--repeats``, after one untimed warm-up of each);
- first screen finished: the same runs, to the write from which on the terminal shows what it
  shows once the program has gone quiet, every cell and colour (the output is played into a
  terminal emulator, pyte).  The first text is not the whole screen: Textual can draw one
  pane, or a scrollbar, a frame after the rest;
  threadmark's own modules are byte-compiled first, as ``pip install`` and any first run do:
  where ``PYTHONDONTWRITEBYTECODE`` is set (it is on the machines here) an editable checkout
  would otherwise be compiled from source at every start, 50 ms that no installed copy pays;
- key to commit: in-process with Pilot, from just before ``pilot.press("1")`` (toggle tag 1, on
  a reader that has finished redrawing the last move) to the moment a second, independent
  sqlite3 connection sees the change.  ``store.annotate.
  toggle_tag`` is wrapped so that connection is asked right after the toggle returns, on the
  reader's writer thread (tui.writer), before the screen redraws; once the writer has
  reported back the change is asserted again.  The press round trip is shown too: it
  includes Pilot's own settling sleeps (at least two 20 ms ``wait_for_idle`` rounds), so it
  is not the reader's latency;
- the floor: ``store.annotate.toggle_tag`` called directly, timed the same way.

Folding is the dedup benchmark's business: up to FOLD_LIMIT comments the thread is folded for
real (``store.ingest.prepare``); above it every record is its own cluster, which the table says.
"""

from __future__ import annotations

import argparse
import codecs
import compileall
import fcntl
import json
import math
import os
import re
import select
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pyte

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.datasets import FOLD_LIMIT, GENERATOR_VERSION, OPENING, build_database, store_thread
from bench.figures import Figure, cache_dir, own_peak_mb
from store import annotate
from store.database import open_database, write

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tui", "store", "themes")
TERMINAL_SIZE = (80, 24)
PAINT_TIMEOUT_S = 120.0
# Quiet this long after its first text, a program has drawn its first screen (the reader looks
# for other annotators' changes every 0.5 s, and draws nothing when there are none).
FINISHED_QUIET_S = 0.6
PAINT_TARGET_N = 100_000
PAINT_TARGET_RATIO = 2.0
COMMIT_TARGET_MS = 16.0
TAG_HOTKEY = "1"
READER_ANNOTATOR = "bench-reader"
FLOOR_ANNOTATOR = "bench-floor"
BARE_TEXT = "Hello from a bare Textual app"
BARE_APP = f"""
from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static({BARE_TEXT!r})


Bare().run()
"""

# -- building the databases -------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltDatabase:
    path: Path
    build_s: float
    folded: bool
    cached: bool


def database_for(n: int) -> BuiltDatabase:
    """The database with the N-comment thread, built unless an earlier run left it cached."""
    path = cache_dir() / f"reader-v{GENERATOR_VERSION}-{n}.db"
    facts_path = path.with_suffix(".json")
    if path.exists() and facts_path.exists():
        facts = json.loads(facts_path.read_text())
        return BuiltDatabase(path, facts["build_s"], facts["folded"], cached=True)
    build_s = build_database(path, lambda partial: store_thread(partial, n))
    facts_path.write_text(json.dumps({"build_s": build_s, "folded": n <= FOLD_LIMIT}))
    return BuiltDatabase(path, build_s, n <= FOLD_LIMIT, cached=False)


# -- first paint in a pseudo-terminal ---------------------------------------------------------

_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: cursor moves, colours, modes
    r"|\x1b[\]P_^][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC, DCS, APC, PM strings
    r"|\x1b[@-Z\\-_]"  # two-character escapes
)


SYNC_QUERY = b"\x1b[?2026$p"  # Textual asks whether the terminal draws synchronized output
SYNC_REPLY = b"\x1b[?2026;2$y"  # and, as most terminals today, this one says it does
SYNC_START = b"\x1b[?2026h"  # then every frame starts with this and ends with "...l"


class Pty:
    """A program on an 80x24 pseudo-terminal, read without pause (a child blocked on a full
    pty would stall), that answers Textual's question about synchronized output as a modern
    terminal does: so each frame it draws is bracketed, and frames can be counted.

    ``output`` is every byte it wrote; leaving the ``with`` block kills it.
    """

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        columns, rows = TERMINAL_SIZE
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.output = bytearray()
        self.last_read = self.started  # when the latest bytes arrived
        self.arrivals: list[tuple[float, int]] = []  # (seconds from the start, output length)

    def __enter__(self) -> Pty:
        return self

    def __exit__(self, *exc_info: object) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        os.close(self.master)

    def send(self, data: bytes) -> float:
        """Type ``data``; the moment it was written."""
        os.write(self.master, data)
        return time.perf_counter()

    def read(self, timeout: float) -> bool:
        """Add what the program writes within ``timeout`` seconds; False if nothing came."""
        if not select.select([self.master], [], [], max(0.0, timeout))[0]:
            return False
        try:
            chunk = os.read(self.master, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            chunk = b""
        if not chunk:
            raise RuntimeError(f"exited: {self.screen_tail()}")
        self.last_read = time.perf_counter()
        self.arrivals.append((self.last_read - self.started, len(self.output) + len(chunk)))
        if SYNC_QUERY in self.output[1 - len(SYNC_QUERY) :] + chunk:  # asked in this chunk
            os.write(self.master, SYNC_REPLY)
        self.output += chunk
        return True

    def wait_for(self, expected: str, timeout: float = PAINT_TIMEOUT_S) -> float:
        """Seconds from the start until ``expected`` shows (escape sequences removed)."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text, seen = "", 0
        while expected not in _ESCAPE.sub("", text):
            remaining = self.started + timeout - time.perf_counter()
            if remaining <= 0 or not self.read(remaining):
                raise TimeoutError(f"{expected!r} never showed: {self.screen_tail()}")
            text += decoder.decode(bytes(self.output[seen:]))
            seen = len(self.output)
        return self.last_read - self.started

    def settle(self, quiet_s: float, timeout: float = PAINT_TIMEOUT_S) -> None:
        """Read until the program has written nothing for ``quiet_s`` seconds."""
        deadline = time.perf_counter() + timeout
        while self.read(quiet_s):
            if time.perf_counter() > deadline:
                raise TimeoutError(f"never went quiet: {self.screen_tail()}")

    def screen_tail(self) -> str:
        text = bytes(self.output).decode("utf-8", errors="replace")
        return repr(_ESCAPE.sub("", text)[-300:])

    def finished_at(self) -> float:
        """Seconds from the start to the write from which on the terminal showed what it
        shows now, played back through a terminal emulator (after the fact, so emulating
        costs the timing nothing)."""
        screen = pyte.Screen(*TERMINAL_SIZE)
        stream = pyte.ByteStream(screen)
        shown, fed = [], 0
        for seconds, end in self.arrivals:
            stream.feed(bytes(self.output[fed:end]))
            fed = end
            shown.append((seconds, _cells(screen)))
        final = shown[-1][1]
        since = shown[-1][0]
        for seconds, cells in reversed(shown):
            if cells != final:
                break
            since = seconds
        return since


def _cells(screen: pyte.Screen) -> tuple:
    """Every cell of the screen: its character, colours and attributes."""
    columns, rows = TERMINAL_SIZE
    return tuple(tuple(screen.buffer[y][x] for x in range(columns)) for y in range(rows))


@dataclass(frozen=True)
class Paint:
    """Seconds from a program's start to its first text, and to its finished first screen."""

    text_s: float
    finished_s: float


def time_to_paint(command: list[str], expected: str, env: dict[str, str]) -> Paint:
    """Start ``command`` in an 80x24 pty: when ``expected`` showed, and when the first screen
    was finished (see :meth:`Pty.finished_at`)."""
    with Pty(command, env) as pty:
        text_s = pty.wait_for(expected)
        pty.settle(FINISHED_QUIET_S)
        return Paint(text_s, pty.finished_at())


def byte_compile() -> None:
    """Compile threadmark's modules as an install does, so no timed start compiles them."""
    for package in PACKAGES:
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise SystemExit(f"bench: could not byte-compile {ROOT / package}")


def first_paints(db_path: Path, repeats: int, scratch: Path) -> tuple[Paint, Paint]:
    """Median first paints of the reader on ``db_path`` and of the bare app."""
    bare_script = scratch / "bare_app.py"
    bare_script.write_text(BARE_APP)
    env = _terminal_env(scratch)
    threadmark = str(Path(sys.executable).with_name("threadmark"))
    commands = {
        "reader": ([threadmark, "--db", str(db_path)], OPENING),
        "bare": ([sys.executable, str(bare_script)], BARE_TEXT),
    }
    paints: dict[str, list[Paint]] = {name: [] for name in commands}
    for attempt in range(repeats + 1):  # the first round warms caches and is not counted
        for name, (command, expected) in commands.items():
            paint = time_to_paint(command, expected, env)
            if attempt:
                paints[name].append(paint)
    return _median_paint(paints["reader"]), _median_paint(paints["bare"])


def _median_paint(paints: list[Paint]) -> Paint:
    return Paint(
        statistics.median(paint.text_s for paint in paints),
        statistics.median(paint.finished_s for paint in paints),
    )


def _terminal_env(scratch: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEXTUAL", "THREADMARK")) and key not in ("COLUMNS", "LINES")
    }
    env |= {
        "TERM": "xterm-256color",
        "COLORTERM": "",
        "THREADMARK_CONFIG_DIR": str(scratch / "config"),
        "THREADMARK_ANNOTATOR": READER_ANNOTATOR,
    }
    return env


# -- key to commit ----------------------------------------------------------------------------


class Observer:
    """A second, read-only sqlite3 connection: what any other process would see committed."""

    def __init__(self, db_path: Path, tag_id: int) -> None:
        # Asked from the reader's writer thread, right after the change commits there.
        self.connection = sqlite3.connect(
            f"file:{db_path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        self.tag_id = tag_id

    def tagged(self, cluster_id: int, annotator: str) -> bool:
        return (
            self.connection.execute(
                "SELECT 1 FROM annotations WHERE cluster_id = ? AND tag_id = ? AND annotator = ?",
                (cluster_id, self.tag_id, annotator),
            ).fetchone()
            is not None
        )

    def close(self) -> None:
        self.connection.close()


@dataclass(frozen=True)
class Latencies:
    """Key to commit, the press round trip, and the direct ``toggle_tag`` floor, in ms."""

    commit_ms: list[float]
    round_trip_ms: list[float]
    floor_ms: list[float]


def key_latencies(db_path: Path, presses: int, *, back_to_back: bool = False) -> Latencies:
    """Toggle tag 1 on ``presses`` successive comments, in the reader and then directly.

    Between presses ``j`` moves to the next comment, and the reader is let finish redrawing
    the move (``pilot.pause``), as it does while a person reads the comment before tagging
    it.  With ``back_to_back`` the ``1`` follows as soon as Pilot returns from the ``j``, and
    may wait behind that redraw.
    """
    import asyncio

    db = open_database(db_path)
    try:
        tag_id, thread_id = _tag_and_thread(db)
        _forget(db, (READER_ANNOTATOR, FLOOR_ANNOTATOR))
        observer = Observer(db_path, tag_id)
        try:
            commit_ms, round_trip_ms = asyncio.run(
                _press_in_reader(db_path, thread_id, observer, presses, back_to_back)
            )
            floor_ms = _toggle_directly(db, thread_id, tag_id, observer, presses)
        finally:
            observer.close()
            _forget(db, (READER_ANNOTATOR, FLOOR_ANNOTATOR))
    finally:
        db.close()
    return Latencies(commit_ms, round_trip_ms, floor_ms)


def _tag_and_thread(db) -> tuple[int, int]:
    tag_id = db.execute("SELECT id FROM tags WHERE hotkey = ?", (TAG_HOTKEY,)).fetchone()[0]
    thread_id = db.execute("SELECT min(id) FROM threads").fetchone()[0]
    return tag_id, thread_id


def _forget(db, annotators: tuple[str, ...]) -> None:
    """Remove the benchmark's own annotations and journal rows, so the cached database stays."""
    with write(db):
        for annotator in annotators:
            db.execute("DELETE FROM annotations WHERE annotator = ?", (annotator,))
            db.execute("DELETE FROM events WHERE annotator = ?", (annotator,))


async def _press_in_reader(
    db_path: Path, thread_id: int, observer: Observer, presses: int, back_to_back: bool
) -> tuple[list[float], list[float]]:
    from tui.app import ThreadmarkApp

    seen_at: list[float] = []
    toggle_tag = annotate.toggle_tag

    def observed_toggle_tag(db, cluster_id: int, tag_id: int, annotator: str, span=None) -> bool:
        tagged = toggle_tag(db, cluster_id, tag_id, annotator, span)
        if observer.tagged(cluster_id, annotator) != tagged:
            raise AssertionError(f"toggle_tag returned before #{cluster_id} was committed")
        seen_at.append(time.perf_counter())
        return tagged

    commit_ms: list[float] = []
    round_trip_ms: list[float] = []
    app = ThreadmarkApp(db_path, READER_ANNOTATOR, thread_id=thread_id)
    with mock.patch.object(annotate, "toggle_tag", observed_toggle_tag):
        async with app.run_test(size=TERMINAL_SIZE) as pilot:
            while app.reader is None or app.reader.selected_id is None:
                await pilot.pause()
            for _ in range(presses):
                cluster_id = app.reader.selected_id
                start = time.perf_counter()
                await pilot.press(TAG_HOTKEY)
                while app.writer.pending:  # the change runs on the writer thread
                    await pilot.pause()
                returned = time.perf_counter()
                if len(seen_at) != len(commit_ms) + 1 or not observer.tagged(
                    cluster_id, READER_ANNOTATOR
                ):
                    raise AssertionError(f"pressing {TAG_HOTKEY} did not tag #{cluster_id}")
                commit_ms.append((seen_at[-1] - start) * 1000)
                round_trip_ms.append((returned - start) * 1000)
                await pilot.press("j")
                if not back_to_back:
                    await pilot.pause()
    return commit_ms, round_trip_ms


def _toggle_directly(db, thread_id: int, tag_id: int, observer: Observer, presses: int) -> list:
    clusters = [
        row[0]
        for row in db.execute(
            "SELECT id FROM clusters WHERE thread_id = ? ORDER BY seq LIMIT ?",
            (thread_id, presses),
        )
    ]
    floor_ms = []
    for cluster_id in clusters:
        start = time.perf_counter()
        annotate.toggle_tag(db, cluster_id, tag_id, FLOOR_ANNOTATOR)
        if not observer.tagged(cluster_id, FLOOR_ANNOTATOR):
            raise AssertionError(f"toggle_tag returned before #{cluster_id} was committed")
        floor_ms.append((time.perf_counter() - start) * 1000)
    return floor_ms


# -- the table --------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with ``fraction`` of them at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass(frozen=True)
class Result:
    n: int
    database: BuiltDatabase
    reader_paint: Paint
    bare_paint: Paint
    latencies: Latencies

    @property
    def ratio(self) -> float:
        return self.reader_paint.text_s / self.bare_paint.text_s

    @property
    def finished_ratio(self) -> float:
        return self.reader_paint.finished_s / self.bare_paint.finished_s


COLUMNS = (
    ("N", 9),
    ("fold", 5),
    ("build s", 9),
    ("paint s", 8),
    ("bare s", 7),
    ("ratio", 6),
    ("finished s", 11),
    ("bare s", 7),
    ("ratio", 6),
    ("commit p50", 11),
    ("p99", 6),
    ("max", 6),
    ("round trip p50", 15),
    ("floor p50", 10),
    ("p99", 6),
)


def print_table(results: list[Result]) -> None:
    print(" ".join(f"{name:>{width}}" for name, width in COLUMNS))
    for result in results:
        commit = result.latencies.commit_ms
        floor = result.latencies.floor_ms
        build = f"{result.database.build_s:.1f}" + ("*" if result.database.cached else "")
        cells = (
            f"{result.n:,}",
            "yes" if result.database.folded else "no",
            build,
            f"{result.reader_paint.text_s:.3f}",
            f"{result.bare_paint.text_s:.3f}",
            f"{result.ratio:.2f}",
            f"{result.reader_paint.finished_s:.3f}",
            f"{result.bare_paint.finished_s:.3f}",
            f"{result.finished_ratio:.2f}",
            f"{percentile(commit, 0.5):.2f}",
            f"{percentile(commit, 0.99):.2f}",
            f"{max(commit):.2f}",
            f"{percentile(result.latencies.round_trip_ms, 0.5):.1f}",
            f"{percentile(floor, 0.5):.2f}",
            f"{percentile(floor, 0.99):.2f}",
        )
        print(" ".join(f"{cell:>{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True)))
    print(
        "paint: median seconds to the first comment text in an 80x24 pty; ratio = reader / bare."
        "\nfinished: to the finished first screen, every cell as it stays.\n"
        "commit (ms): key press to an independent connection seeing the commit, on a settled "
        "reader unless --back-to-back.\n"
        "round trip (ms): until pilot.press returns, redraw included (and Pilot's >= 40 ms of "
        "settling sleeps).\n"
        "floor (ms): store.annotate.toggle_tag called directly.\n"
        f"build: * = cached from an earlier run; fold no = above {FOLD_LIMIT:,} comments every "
        "record is its own cluster."
    )


def print_targets(results: list[Result]) -> None:
    paint = next((r for r in results if r.n == PAINT_TARGET_N), max(results, key=lambda r: r.n))
    verdict = "PASS" if paint.ratio <= PAINT_TARGET_RATIO else "FAIL"
    print(
        f"target: first paint at {paint.n:,} within {PAINT_TARGET_RATIO:g}x the bare app: "
        f"{paint.ratio:.2f}x  {verdict}"
    )
    for result in results:
        p99 = percentile(result.latencies.commit_ms, 0.99)
        verdict = "PASS" if p99 < COMMIT_TARGET_MS else "FAIL"
        print(
            f"target: key-to-commit p99 under {COMMIT_TARGET_MS:g} ms at {result.n:,}: "
            f"{p99:.2f} ms  {verdict}"
        )


FIGURES_REPEATS = 5
FIGURES_PRESSES = 100
PAINT_FIGURE_RATIO = 1.3  # issue 11's target for first paint, at any N


def figures(n: int) -> list[Figure]:
    """First paint against the bare app, and key to commit against ``toggle_tag`` called
    directly, at N comments."""
    byte_compile()
    database = database_for(n)
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-") as scratch:
        os.environ["THREADMARK_CONFIG_DIR"] = str(Path(scratch) / "config")
        reader, bare = first_paints(database.path, FIGURES_REPEATS, Path(scratch))
        latencies = key_latencies(database.path, min(FIGURES_PRESSES, n))
    commit_p99 = percentile(latencies.commit_ms, 0.99)
    return [
        Figure(
            "reader",
            "first paint",
            n,
            reader.text_s,
            "s",
            "bare Textual app (one Static)",
            bare.text_s,
            target=f"<= {PAINT_FIGURE_RATIO:g}x",
            met=reader.text_s <= PAINT_FIGURE_RATIO * bare.text_s,
        ),
        Figure(
            "reader",
            "first screen finished",
            n,
            reader.finished_s,
            "s",
            "bare Textual app (one Static)",
            bare.finished_s,
        ),
        Figure(
            "reader",
            "key to commit, p99",
            n,
            commit_p99,
            "ms",
            "store.annotate.toggle_tag alone",
            percentile(latencies.floor_ms, 0.99),
            own_peak_mb(),
            f"< {COMMIT_TARGET_MS:g} ms",
            commit_p99 < COMMIT_TARGET_MS,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--presses", type=int, default=500, help="timed presses of tag 1")
    parser.add_argument("--repeats", type=int, default=9, help="first paints per app and N")
    parser.add_argument(
        "--back-to-back",
        action="store_true",
        help="press 1 without letting the reader finish redrawing the move before it",
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.presses, args.repeats = [2_000], 20, 2
    if any(args.presses > n for n in args.sizes):
        parser.error("--presses must not exceed the smallest size")

    byte_compile()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"reader benchmark: sizes {args.sizes}, {args.repeats} paints, {args.presses} presses")
    print(f"{os.cpu_count()} cores, load average {load}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-") as scratch:
        os.environ["THREADMARK_CONFIG_DIR"] = str(Path(scratch) / "config")
        for n in args.sizes:
            database = database_for(n)
            print(f"  {n:,}: database ready ({database.build_s:.1f} s)", flush=True)
            reader, bare = first_paints(database.path, args.repeats, Path(scratch))
            print(
                f"  {n:,}: first paint {reader.text_s:.3f} s (bare {bare.text_s:.3f} s), "
                f"finished {reader.finished_s:.3f} s (bare {bare.finished_s:.3f} s)",
                flush=True,
            )
            latencies = key_latencies(database.path, args.presses, back_to_back=args.back_to_back)
            results.append(Result(n, database, reader, bare, latencies))
    print()
    print_table(results)
    print_targets(results)


if __name__ == "__main__":
    main()
