"""Benchmark search and filtering in the reader: from the key to the first results on screen.

    python bench/search.py [--n 10000,100000,1000000] [--smoke]

For each N it takes the annotated database of the export benchmark (``bench/export.py``: the
benchmarks' synthetic thread, 10% of its comments tagged by one of three annotators, links and
notes) and copies it into ``bench.figures.cache_dir()``, so that pushing the copy out of the
operating system's page cache leaves every other benchmark's file alone.  Then, in-process at
80x24 with Pilot, as annotator ``ana``:

- a cold start: the copy's pages are dropped from the page cache (``posix_fadvise``), and the
  reader opens the thread;
- ``f untagged enter`` twice (cold, then warm), then ``/ copyright enter`` twice, each cleared
  with ``escape`` before the next, timing from the last key to the frame that first shows the
  filtered list ("first page") and to the frame whose status line shows the final count
  ("count"), and from ``f`` to the frame with the filter menu ("menu") and with its counts.

A frame is the moment Textual hands a screen update to the terminal driver (``App._display``),
so "on screen" means drawn, not just decided.  The baseline, in the same run: the bare SQL of
the same filter on a fresh ``sqlite3`` connection (median of three, warm): its first page
(``ORDER BY seq LIMIT k``, k the rows of two screens) and its ``count(*)``, so the ratio says
how much the reader adds to SQLite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.figures import Figure, cache_dir, own_peak_mb

ANNOTATOR = "ana"
WORD = "copyright"  # in about a quarter of the synthetic comments
TERMINAL_SIZE = (80, 24)
FIRST_PAGE_ROWS = 2 * TERMINAL_SIZE[1]  # the baseline's LIMIT: a screen and a page down
FIRST_PAGE_TARGET_MS = 100.0
COLD_TARGET_RATIO = 8.0  # the first search no more than this much slower than the next
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
SMOKE_SIZES = (500, 2_000)
TIMEOUT_S = 120.0

MINE = "SELECT 1 FROM annotations a WHERE a.cluster_id = c.id AND a.annotator = :annotator"
CONDITIONS = {
    "untagged": f"NOT EXISTS ({MINE}) AND NOT c.is_tombstone",
    "search": "c.id IN (SELECT rowid FROM clusters_fts WHERE clusters_fts MATCH :query)",
}


def database_for(n: int) -> Path:
    """This benchmark's own copy of the export benchmark's annotated database of N comments."""
    from bench import export

    source = export.database_for(n)
    path = cache_dir() / source.name.replace("export-", "search-", 1)
    if not path.exists():
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        shutil.copyfile(source, partial)
        partial.replace(path)
    return path


def drop_from_page_cache(path: Path) -> None:
    """Make the next reads of ``path`` come from the disk, as after a reboot."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


# -- the baseline -----------------------------------------------------------------------------


def bare_sql(db_path: Path, what: str, *, count: bool) -> tuple[float, int]:
    """Seconds (median of three fresh connections) and result of the filter's bare SQL."""
    from store.queries import fts_query

    head = "SELECT count(*)" if count else "SELECT c.id"
    tail = "" if count else f" ORDER BY c.seq LIMIT {FIRST_PAGE_ROWS}"
    sql = f"{head} FROM clusters c WHERE c.thread_id = :thread AND {CONDITIONS[what]}{tail}"
    args = {"thread": 1, "annotator": ANNOTATOR, "query": fts_query(WORD)}
    times, result = [], 0
    for _ in range(3):
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            start = time.perf_counter()
            rows = db.execute(sql, args).fetchall()
            times.append(time.perf_counter() - start)
        finally:
            db.close()
        result = rows[0][0] if count else len(rows)
    return statistics.median(times), result


# -- the reader -------------------------------------------------------------------------------


class Frames:
    """Watches the frames the app draws: when each awaited condition first held on screen."""

    def __init__(self, app) -> None:
        self.awaited: dict[str, Callable[[], bool]] = {}
        self.seen: dict[str, float] = {}
        draw = app._display

        def display(screen, renderable) -> None:
            draw(screen, renderable)
            if renderable is not None:
                self._drawn()

        app._display = display

    def expect(self, **conditions: Callable[[], bool]) -> None:
        self.seen.clear()
        self.awaited = dict(conditions)

    def _drawn(self) -> None:
        now = time.perf_counter()
        for name, condition in list(self.awaited.items()):
            if condition():
                self.seen[name] = now
                del self.awaited[name]

    async def wait(self) -> None:
        deadline = time.perf_counter() + TIMEOUT_S
        while self.awaited:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"never drawn: {', '.join(self.awaited)}")
            await asyncio.sleep(0.002)


@dataclass(frozen=True)
class Timing:
    """Milliseconds from the key to each moment, for one filter applied once."""

    first_page_ms: float
    count_ms: float
    menu_ms: float | None = None
    menu_counts_ms: float | None = None


async def _run_reader(db_path: Path, expected: dict[str, int]) -> dict[str, list[Timing]]:
    from store.queries import RowFilter
    from tui.app import ThreadmarkApp
    from tui.screens.filter import FilterPicker
    from tui.widgets.status_line import StatusLine

    filters = {"untagged": RowFilter(untagged=True), "search": RowFilter(search=WORD)}
    app = ThreadmarkApp(db_path, ANNOTATOR, thread_id=1)
    frames = Frames(app)
    timings: dict[str, list[Timing]] = {what: [] for what in filters}
    async with app.run_test(size=TERMINAL_SIZE) as pilot:
        while app.reader is None or app.reader.selected_id is None:
            await pilot.pause()
        reader = app.reader
        comments = reader.comment_list
        status = reader.query_one(StatusLine)

        def showing(what: str) -> Callable[[], bool]:
            return lambda: (
                app.screen is reader
                and comments.view.filter == filters[what]
                and comments.row_count > 0
            )

        def counted(what: str) -> Callable[[], bool]:
            shown = f"{expected[what]} shown"
            return lambda: (
                showing(what)()
                and comments.row_count == expected[what]
                and status.view.replace(",", "").startswith(shown)
            )

        for what in filters:
            for _ in range(2):  # cold, then warm
                menu = None
                if what == "untagged":
                    frames.expect(
                        menu=lambda: isinstance(app.screen, FilterPicker),
                        counts=lambda: (
                            isinstance(app.screen, FilterPicker)
                            and getattr(app.screen, "counts", None) is not None
                        ),
                    )
                    start = time.perf_counter()
                    await pilot.press("f")
                    await frames.wait()
                    menu = {name: (at - start) * 1000 for name, at in frames.seen.items()}
                    await pilot.press(*"untagged")
                else:
                    await pilot.press("slash", *WORD)
                frames.expect(first=showing(what), count=counted(what))
                start = time.perf_counter()
                await pilot.press("enter")
                await frames.wait()
                await app.workers.wait_for_complete()
                timings[what].append(
                    Timing(
                        (frames.seen["first"] - start) * 1000,
                        (frames.seen["count"] - start) * 1000,
                        menu and menu["menu"],
                        menu and menu["counts"],
                    )
                )
                await pilot.press("escape")
                while comments.view.filter != RowFilter():
                    await pilot.pause()
                await app.workers.wait_for_complete()
    return timings


# -- figures ----------------------------------------------------------------------------------


def figures(n: int) -> list[Figure]:
    """The reader's search and untagged filter at N comments, cold and warm, against bare SQL."""
    db_path = database_for(n)
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-search-") as config:
        os.environ["THREADMARK_CONFIG_DIR"] = config  # the reader remembers nothing of this run
        bare_sql(db_path, "untagged", count=True)  # the copy's pages once, for the baselines
        baselines = {
            (what, count): bare_sql(db_path, what, count=count)
            for what in CONDITIONS
            for count in (False, True)
        }
        expected = {what: baselines[(what, True)][1] for what in CONDITIONS}
        drop_from_page_cache(db_path)
        timings = asyncio.run(_run_reader(db_path, expected))
    peak = own_peak_mb()
    result = []
    for what, label in (("untagged", "filter untagged"), ("search", f"search “{WORD}”")):
        first_sql = baselines[(what, False)][0] * 1000
        count_sql = baselines[(what, True)][0] * 1000
        for run, timing in zip(("cold", "warm"), timings[what], strict=True):
            result.append(
                Figure(
                    "search",
                    f"{label}, {run}: key to first page",
                    n,
                    timing.first_page_ms,
                    "ms",
                    f"bare SQL LIMIT {FIRST_PAGE_ROWS}",
                    first_sql,
                    peak,
                    f"<= {FIRST_PAGE_TARGET_MS:.0f} ms",
                    timing.first_page_ms <= FIRST_PAGE_TARGET_MS,
                )
            )
            result.append(
                Figure(
                    "search",
                    f"{label}, {run}: key to count",
                    n,
                    timing.count_ms,
                    "ms",
                    "bare SQL count(*)",
                    count_sql,
                    peak,
                )
            )
        cold, warm = timings[what]
        result.append(
            Figure(
                "search",
                f"{label}: first page, cold vs warm",
                n,
                cold.first_page_ms,
                "ms",
                "the same, warm",
                warm.first_page_ms,
                peak,
                f"<= {COLD_TARGET_RATIO:.0f}x",
                cold.first_page_ms <= COLD_TARGET_RATIO * warm.first_page_ms,
            )
        )
    for run, timing in zip(("cold", "warm"), timings["untagged"], strict=True):
        result.append(
            Figure(
                "search",
                f"filter menu, {run}: f to menu",
                n,
                timing.menu_ms,
                "ms",
                f"bare SQL LIMIT {FIRST_PAGE_ROWS}",
                baselines[("untagged", False)][0] * 1000,
                peak,
                f"<= {FIRST_PAGE_TARGET_MS:.0f} ms",
                timing.menu_ms <= FIRST_PAGE_TARGET_MS,
            )
        )
        result.append(
            Figure("search", f"filter menu, {run}: f to counts", n, timing.menu_counts_ms, "ms")
        )
    return result


# -- the table --------------------------------------------------------------------------------


def print_table(rows: list[Figure]) -> None:
    columns = (("N", 10), ("what", 48), ("ms", 9), ("baseline", 26), ("ms", 9), ("ratio", 8))
    columns += (("target", 9), ("met", 4))
    print(
        " ".join(
            f"{name:>{width}}" if i != 1 else f"{name:<{width}}"
            for i, (name, width) in enumerate(columns)
        )
    )
    for row in rows:
        cells = (
            f"{row.n:,}",
            row.what,
            f"{row.value:.1f}",
            row.baseline_name,
            "" if row.baseline is None else f"{row.baseline:.1f}",
            "" if row.ratio is None else f"{row.ratio:.1f}x",
            row.target,
            {None: "", True: "yes", False: "NO"}[row.met],
        )
        print(
            " ".join(
                f"{cell:>{width}}" if i != 1 else f"{cell:<{width}}"
                for i, (cell, (_, width)) in enumerate(zip(cells, columns, strict=True))
            )
        )
    print(
        "cold: the database dropped from the page cache, a fresh reader; warm: the same again.\n"
        "first page: the last key to the frame showing the filtered list; count: to the frame\n"
        "whose status line shows how many match.  Baselines: bare SQL on a fresh connection."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--n",
        type=lambda value: [int(n) for n in value.split(",")],
        default=list(DEFAULT_SIZES),
        help="comma-separated thread sizes",
    )
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    args = parser.parse_args()
    sizes = sorted(SMOKE_SIZES if args.smoke else args.n)
    print(f"search benchmark: N {', '.join(f'{n:,}' for n in sizes)}; {os.cpu_count()} cores")
    rows: list[Figure] = []
    for n in sizes:
        rows += figures(n)
        print(f"  {n:,}: done", flush=True)
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
