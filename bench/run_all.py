"""Every benchmark at every size in one table: threadmark's figure, its same-run baseline, ratio.

    python bench/run_all.py [--n 10000,100000,1000000] [--only import,moves,...] [--smoke]
                            [--json FILE]

Each benchmark module named in BENCHMARKS defines ``figures(n)`` (``bench/figures.py``): it
measures threadmark and its baseline at N comments in the same call.  This runs each one in a
fresh process per N, so that no benchmark's memory, warm caches or imports colour the next,
and the data sets they build are kept in one cache directory (``$THREADMARK_BENCH_CACHE``,
by default ``threadmark-bench`` in the temporary directory) so that each is built once, for
every benchmark and every later run.

After the table of every figure comes the growth table: how each cost grows from the smallest
N to the largest (10x the comments should cost about 10x the time where the work is linear,
and nothing more than the screen where it is windowed).  ``--smoke`` runs every benchmark at
a tiny N, as the test suite does, so that none can rot between full runs.  The exit status is
1 if any benchmark failed to run (a target missed is reported, not an error).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import date
from importlib import import_module
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from bench.figures import CACHE_ENV, Figure, cache_dir

# The benchmarks, in the order a user meets what they measure; extra sizes a benchmark is
# also run at whatever --n says (moves: the 11-comment seed thread, n = SEED_N).
BENCHMARKS = ("importing", "dedup", "reader", "moves", "search", "export", "concurrency")
SEED_N = 11
EXTRA_SIZES = {"moves": (SEED_N,)}
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
SMOKE_SIZE = 500
CHILD_TIMEOUT_S = 3 * 3600


def run_child(benchmark: str, n: int) -> list[Figure]:
    """``bench.<benchmark>.figures(n)`` in a fresh interpreter, its figures read back.

    What the benchmark prints on the way goes to a log beside the cached data sets, named on
    failure, so that a long run's table is not buried in its progress lines.
    """
    log_path = cache_dir() / f"run_all-{benchmark}-{n}.log"
    with log_path.open("w") as log:
        result = subprocess.run(
            [sys.executable, __file__, "--child", benchmark, str(n)],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            timeout=CHILD_TIMEOUT_S,
        )
    if result.returncode:
        last = (log_path.read_text().strip().splitlines() or ["(nothing on stderr)"])[-1]
        raise RuntimeError(f"exit {result.returncode}: {last} (see {log_path})")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return [Figure(**figure) for figure in figures]


def child(benchmark: str, n: int) -> None:
    """The child's side: one benchmark's figures at N as one JSON line, after whatever the
    benchmark itself printed (sent to stderr, so that stdout's last line is the figures)."""
    stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        figures = import_module(f"bench.{benchmark}").figures(n)
    finally:
        sys.stdout = stdout
    print(json.dumps([figure.as_json() for figure in figures]))


# -- the tables -------------------------------------------------------------------------------


def machine() -> str:
    """The facts a reader needs to compare these figures with their own."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        memory = f", {kb / 2**20:.0f} GB"
    return (
        f"{model}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"Textual {version('textual')}, rapidfuzz {version('rapidfuzz')}"
    )


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".rstrip()


def print_table(figures: list[Figure]) -> None:
    """Every figure, one row each, as a Markdown table (the README's performance section)."""
    print("| benchmark | what | N | threadmark | baseline | ratio | peak MB | target | met |")
    print("|---|---|--:|--:|---|--:|--:|---|---|")
    for f in figures:
        baseline = f"{f.baseline_name} {_number(f.baseline, f.unit)}" if f.baseline_name else "-"
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}x"
        met = {True: "yes", False: "**no**", None: ""}[f.met]
        peak = "-" if f.peak_mb is None else f"{f.peak_mb:,.0f}"
        print(
            f"| {f.benchmark} | {f.what} | {f.n:,} | {_number(f.value, f.unit)} | {baseline} "
            f"| {ratio} | {peak} | {f.target} | {met} |"
        )


def print_growth(figures: list[Figure]) -> None:
    """How each figure grows with N: its value at each size, and the factor per 10x."""
    sizes = sorted({f.n for f in figures if f.n != SEED_N})
    if len(sizes) < 2:
        return
    by_name: dict[tuple[str, str], dict[int, Figure]] = {}
    for f in figures:
        by_name.setdefault((f.benchmark, f.what), {})[f.n] = f
    print("| benchmark | what | " + " | ".join(f"{n:,}" for n in sizes) + " | per 10x |")
    print("|---|---|" + "--:|" * (len(sizes) + 1))
    for (benchmark, what), at in by_name.items():
        known = [n for n in sizes if n in at]
        if len(known) < 2:
            continue
        cells = [_number(at[n].value, at[n].unit) if n in at else "-" for n in sizes]
        first, last = at[known[0]].value, at[known[-1]].value
        decades = max(len(str(known[-1])) - len(str(known[0])), 1)
        per_10x = f"{(last / first) ** (1 / decades):.1f}x" if first > 0 else "-"
        print(f"| {benchmark} | {what} | " + " | ".join(cells) + f" | {per_10x} |")


# -- the command line -------------------------------------------------------------------------


def sizes_list(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=sizes_list, default=list(DEFAULT_SIZES), help="comma list")
    parser.add_argument("--only", help="comma list of benchmarks (default: all)")
    parser.add_argument("--smoke", action="store_true", help="every benchmark at a tiny N")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)  # benchmark, n
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    chosen = BENCHMARKS if not args.only else tuple(args.only.split(","))
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    sizes = [SMOKE_SIZE] if args.smoke else args.n
    os.environ[CACHE_ENV] = str(cache_dir())
    print(f"threadmark benchmarks, {date.today().isoformat()}: N = {sizes}", flush=True)
    print(machine(), flush=True)
    print(f"data sets cached in {os.environ[CACHE_ENV]}", flush=True)
    figures: list[Figure] = []
    failed = []
    for benchmark in chosen:
        for n in sorted({*sizes, *(() if args.smoke else EXTRA_SIZES.get(benchmark, ()))}):
            start = time.perf_counter()
            try:
                got = run_child(benchmark, n)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                failed.append(benchmark)
                print(f"  {benchmark} at {n:,}: FAILED ({error})", flush=True)
                continue
            figures += got
            seconds = time.perf_counter() - start
            print(f"  {benchmark} at {n:,}: {len(got)} figures in {seconds:.0f} s", flush=True)
    print()
    print_table(figures)
    print()
    print_growth(figures)
    if args.json:
        args.json.write_text(json.dumps([f.as_json() for f in figures], indent=1) + "\n")
    if failed:
        print(f"\nfailed: {', '.join(dict.fromkeys(failed))}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
