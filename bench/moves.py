"""Benchmark cursor moves in the reader: from a key to its settled frame, and frames per key.

    python bench/moves.py [--sizes 11 10000 100000 1000000] [--presses 30] [--smoke]

``threadmark --db DB`` runs in a real 80x24 pseudo-terminal (``bench.reader.Pty``, which
answers Textual's question about synchronized output as a modern terminal does, so that every
frame it draws is bracketed by ``ESC[?2026h`` ... ``ESC[?2026l`` and can be counted).  Once it
has painted and gone quiet, a key's bytes are written and timed from the write to the last
byte of the frames it causes: the output is read until it has been quiet for QUIET_S after
that byte (nothing is subtracted; the window is only how the end is known).

Every press moves the cursor, at any N: ``j`` then ``k``, ``PgDn`` then ``g``, ``G`` then
``g``.  Then a burst: BURST ``j`` written at once, timed to the settled frame (known by
BURST_QUIET_S of quiet: the pane follows a burst a moment after it), with the frames it drew
(a reader that coalesces draws few; one that draws every move draws BURST).

The baseline, in the same run and driven the same way, press for press in alternation: a bare
Textual app showing one OptionList of the same number of rows (j, k, g, G bound to its cursor
actions), capped at BARE_ROWS_CAP rows, past which an OptionList takes minutes to build (it
measures every option's height up front); the table says when the cap applied.  N = 11 is the
seed thread, as ``threadmark --db new.db`` opens it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.figures import Figure, cache_dir
from bench.reader import SYNC_START, Pty, _terminal_env, byte_compile, database_for, percentile

SEED_N = 11
QUIET_S = 0.05
# A burst waits longer: the pane follows the reader's FOLLOW_S after the last move, then draws.
BURST_QUIET_S = 0.3
START_QUIET_S = 0.5  # quiet this long after the first paint: started, every late draw done
KEY_TIMEOUT_S = 30.0
BURST = 20
BARE_ROWS_CAP = 100_000
TARGET_RATIO = 2.0
READY = "tagged"  # the reader's header says "0/N tagged" once it has painted
BARE_READY = "bare row 1 "
KEYS = {"j": b"j", "k": b"k", "PgDn": b"\x1b[6~", "G": b"G", "g": b"g"}
PAIRS = (("j", "k"), ("PgDn", "g"), ("G", "g"))  # each press of a pair moves, at any N
BARE_APP = """
import sys
from textual.app import App
from textual.binding import Binding
from textual.widgets import OptionList


class Rows(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down"), Binding("k", "cursor_up"),
        Binding("g", "first"), Binding("G", "last"),
    ]


class Bare(App):
    def compose(self):
        rows = range(int(sys.argv[1]))
        yield Rows(*(f"bare row {i} by user{i % 3000}: the words of a comment" for i in rows))

    def on_mount(self):
        self.query_one(Rows).highlighted = 0


Bare().run()
"""


@dataclass
class Presses:
    """Per key name, each press's ms from the write to the settled frame and frames drawn."""

    ms: dict[str, list[float]]
    frames: dict[str, list[int]]
    burst_ms: float = 0.0
    burst_frames: int = 0
    peak_mb: float | None = None

    @classmethod
    def empty(cls) -> Presses:
        return cls({name: [] for name in KEYS}, {name: [] for name in KEYS})

    def p50(self, name: str) -> float:
        return percentile(self.ms[name], 0.5)

    def mean_frames(self, name: str) -> float:
        return statistics.fmean(self.frames[name])

    @property
    def all_frames(self) -> list[int]:
        return [count for counts in self.frames.values() for count in counts]


def press(pty: Pty, keys: bytes, quiet_s: float = QUIET_S) -> tuple[float, int]:
    """Write ``keys``; ms until the last byte of what they drew, and the frames in it."""
    before = len(pty.output)
    sent = pty.send(keys)
    if not pty.read(KEY_TIMEOUT_S):
        raise TimeoutError(f"nothing drawn after {keys!r}")
    pty.settle(quiet_s, KEY_TIMEOUT_S)
    return (pty.last_read - sent) * 1000, pty.output[before:].count(SYNC_START)


def peak_mb(pty: Pty) -> float:
    """The program's high-water mark of resident memory (Linux's ``VmHWM``), in MB."""
    for line in Path(f"/proc/{pty.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def started(command: list[str], ready: str, env: dict[str, str]) -> Pty:
    """``command`` on a pty, painted and gone quiet, drawing frames in sync brackets."""
    pty = Pty(command, env)
    try:
        pty.wait_for(ready)
        pty.settle(START_QUIET_S)
        if SYNC_START not in pty.output:
            raise RuntimeError("no synchronized output: frames cannot be counted")
    except BaseException:
        pty.__exit__(None, None, None)
        raise
    return pty


def measure(db_path: Path, rows: int, presses: int, scratch: Path) -> tuple[Presses, Presses]:
    """``presses`` of each pair in the reader on ``db_path`` and in the bare app, alternating,
    then a burst in each: (reader, bare)."""
    env = _terminal_env(scratch)
    bare_script = scratch / "bare_options.py"
    bare_script.write_text(BARE_APP)
    threadmark = str(Path(sys.executable).with_name("threadmark"))
    reader_command = [threadmark, "--db", str(db_path)]
    bare_command = [sys.executable, str(bare_script), str(min(rows, BARE_ROWS_CAP))]
    results = {"reader": Presses.empty(), "bare": Presses.empty()}
    with (
        started(reader_command, READY, env) as reader,
        started(bare_command, BARE_READY, env) as bare,
    ):
        ptys = {"reader": reader, "bare": bare}
        for attempt in range(presses + 1):  # the first round warms caches and is not counted
            for pair in PAIRS:
                for name, pty in ptys.items():
                    for key in pair:
                        ms, frames = press(pty, KEYS[key])
                        if attempt:
                            results[name].ms[key].append(ms)
                            results[name].frames[key].append(frames)
        for name, pty in ptys.items():
            result = results[name]
            result.burst_ms, result.burst_frames = press(pty, KEYS["j"] * BURST, BURST_QUIET_S)
            press(pty, KEYS["g"])
            result.peak_mb = peak_mb(pty)
    return results["reader"], results["bare"]


def database(n: int) -> Path:
    """The seed thread (N = SEED_N) or the synthetic N-comment thread, built once."""
    if n != SEED_N:
        return database_for(n).path
    from bench.datasets import GENERATOR_VERSION, build_database
    from store import import_file, open_database
    from store.seeds import SEED_THREAD_TITLE, seed_thread_path

    def build(partial: Path) -> None:
        db = open_database(partial)
        try:
            import_file(db, seed_thread_path(), title=SEED_THREAD_TITLE)
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()

    path = cache_dir() / f"moves-seed-v{GENERATOR_VERSION}-{seed_thread_path().stem}.db"
    if not path.exists():
        build_database(path, build)
    return path


def run(n: int, presses: int) -> tuple[Presses, Presses]:
    byte_compile()
    with tempfile.TemporaryDirectory(prefix="threadmark-bench-moves-") as scratch:
        return measure(database(n), n, presses, Path(scratch))


# -- the table and the figures ----------------------------------------------------------------


def print_table(results: dict[int, tuple[Presses, Presses]]) -> None:
    header = ("N", "key", "reader p50 ms", "p90", "frames", "bare p50 ms", "frames", "ratio")
    widths = (9, 6, 14, 7, 7, 12, 7, 6)
    print(" ".join(f"{name:>{width}}" for name, width in zip(header, widths, strict=True)))
    for n, (reader, bare) in results.items():
        rows = [
            (
                key,
                reader.p50(key),
                percentile(reader.ms[key], 0.9),
                reader.mean_frames(key),
                bare.p50(key),
                bare.mean_frames(key),
            )
            for key in KEYS
        ]
        rows.append(
            (
                f"{BURST}j",
                reader.burst_ms,
                reader.burst_ms,
                reader.burst_frames,
                bare.burst_ms,
                bare.burst_frames,
            )
        )
        for key, ms, p90, frames, bare_ms, bare_frames in rows:
            cells = (
                f"{n:,}" + ("*" if n > BARE_ROWS_CAP else ""),
                key,
                f"{ms:.1f}",
                f"{p90:.1f}",
                f"{frames:.2f}",
                f"{bare_ms:.1f}",
                f"{bare_frames:.2f}",
                f"{ms / bare_ms:.2f}",
            )
            print(" ".join(f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True)))
    print(
        f"ms: from writing the key to the last byte it drew (known by {QUIET_S * 1000:.0f} ms of "
        "quiet after it, not subtracted); frames: mean ESC[?2026h per key; "
        f"{BURST}j: that many j in one write ({BURST_QUIET_S * 1000:.0f} ms of quiet).\n"
        f"bare: a Textual app with one OptionList of N rows (* capped at {BARE_ROWS_CAP:,}); "
        "ratio = reader / bare; N = 11 is the seed thread."
    )


def print_targets(results: dict[int, tuple[Presses, Presses]]) -> None:
    for n, (reader, bare) in results.items():
        for key in ("j", "PgDn", "G"):
            ratio = reader.p50(key) / bare.p50(key)
            verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
            print(
                f"target: {key} at {n:,} within {TARGET_RATIO:g}x the bare app (p50): "
                f"{ratio:.2f}x  {verdict}"
            )
        frames = reader.all_frames
        verdict = "PASS" if set(frames) == {1} else "FAIL"
        print(f"target: one frame per key at {n:,}: {min(frames)}-{max(frames)} frames  {verdict}")


def figures(n: int) -> list[Figure]:
    """Key to settled frame for j, PgDn and G, frames per key, and a burst, against the bare
    OptionList app, at N comments (N = 11: the seed thread)."""
    reader, bare = run(n, presses=10)
    baseline = f"bare OptionList of {min(n, BARE_ROWS_CAP):,} rows"
    found = []
    for key in ("j", "PgDn", "G"):
        found.append(
            Figure(
                "moves",
                f"{key}: key to settled frame, p50",
                n,
                reader.p50(key),
                "ms",
                baseline,
                bare.p50(key),
                reader.peak_mb,
                f"<= {TARGET_RATIO:g}x",
                reader.p50(key) <= TARGET_RATIO * bare.p50(key),
            )
        )
    frames = reader.all_frames
    found.append(
        Figure(
            "moves",
            "frames drawn per key (mean)",
            n,
            statistics.fmean(frames),
            "frames",
            baseline,
            statistics.fmean(bare.all_frames),
            target="1 per key",
            met=set(frames) == {1},
        )
    )
    found.append(
        Figure(
            "moves",
            f"{BURST} j at once: to settled frame",
            n,
            reader.burst_ms,
            "ms",
            baseline,
            bare.burst_ms,
        )
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[SEED_N, 10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--presses", type=int, default=30, help="timed presses of each pair")
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.presses = [SEED_N, 2_000], 3
    print(f"moves benchmark: sizes {args.sizes}, {args.presses} presses of each pair", flush=True)
    results = {}
    for n in args.sizes:
        results[n] = run(n, args.presses)
        print(f"  {n:,}: done", flush=True)
    print()
    print_table(results)
    print_targets(results)


if __name__ == "__main__":
    main()
