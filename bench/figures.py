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
import threading
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


def _status_mb(status: Path, field: str) -> float | None:
    """A memory ``field`` of a ``/proc/PID/status`` in MB; None once the process is gone."""
    try:
        lines = status.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None  # a zombie: its memory is already gone


def _children() -> list[int]:
    """This process's child processes, from ``/proc`` (every kernel has it; ``children``
    files only some).  Only the processes numbered after this one are read: a child's number
    is higher unless the numbers wrapped round, and reading every process's ``stat`` on every
    sample would take the interpreter from the work being measured."""
    me, found = os.getpid(), []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) <= me:
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == me:
            found.append(int(entry.name))
    return found


class HelpersPeak:
    """The most memory this process and the helper processes threadmark starts (the fold's
    shingling child, the import's search-index builder, the CSV export's second half) held at
    once while this is entered: :attr:`mb`.

    Sampled every SAMPLE_SECONDS from ``/proc``, since a helper's own ``VmHWM`` goes with it
    and ``RUSAGE_CHILDREN`` counts, for a child started by fork or vfork, the memory of its
    parent.  Each sample adds this process's resident memory to the high-water marks of the
    helpers alive at that moment: helpers that run one after the other (the shingling child
    ends before the index builder starts) are not added together, and a helper counts with
    its largest, so the figure errs high.  This process's own ``VmHWM`` is the floor.
    """

    SAMPLE_SECONDS = 0.05

    def __init__(self) -> None:
        self._most = 0.0
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> HelpersPeak:
        self._sampler.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._sampler.join()

    def _sample(self) -> None:
        while not self._done.wait(self.SAMPLE_SECONDS):
            helpers = (_status_mb(Path(f"/proc/{pid}/status"), "VmHWM") for pid in _children())
            together = _status_mb(Path("/proc/self/status"), "VmRSS") or 0.0
            together += sum(peak for peak in helpers if peak is not None)
            self._most = max(self._most, together)

    @property
    def mb(self) -> float:
        return max(self._most, own_peak_mb())
