"""What every benchmark reports to ``bench/run_all.py``: one ``Figure`` per thing measured.

A benchmark module that takes part defines ``figures(n: int) -> list[Figure]``: it measures
threadmark and its baseline at N comments, in the same run, and says which is which.
``run_all`` calls it in a fresh process per benchmark and N (so one benchmark's memory or
warm caches never colour the next), reading the figures back as JSON.

The data sets are built once and shared: ``cache_dir()`` is where a benchmark keeps what it
builds, ``$THREADMARK_BENCH_CACHE`` when ``run_all`` sets it, else the temporary directory.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

CACHE_ENV = "THREADMARK_BENCH_CACHE"


@dataclass(frozen=True)
class Figure:
    """One measurement: threadmark's figure against the baseline measured beside it.

    ``value`` and ``baseline`` are in ``unit`` (smaller is better); ``baseline`` is None where
    nothing comparable exists, and then the ratio is None too.  ``peak_mb`` is threadmark's
    peak resident memory for this measurement, where the benchmark can isolate it.
    ``target`` says what the figure should meet, as a reader would write it (``<= 2x``,
    ``<= 100 ms``), and ``met`` whether it did (None: no target).
    """

    benchmark: str
    what: str
    n: int
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    peak_mb: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.value / self.baseline

    def as_json(self) -> dict:
        return asdict(self)


def cache_dir() -> Path:
    """Where benchmarks keep the data sets they build, shared between benchmarks and runs."""
    path = Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "threadmark-bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def own_peak_mb() -> float:
    """This process's high-water mark of resident memory (Linux's ``VmHWM``), in MB.

    Not ``resource.getrusage``: ``RUSAGE_SELF`` of a child spawned by a benchmark would count
    the benchmark's own memory, and ``RUSAGE_CHILDREN`` every child's largest at once.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")
