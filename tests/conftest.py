"""Shared fixtures: temporary databases, the seed thread, and the command line as a subprocess.

The command line is always run as ``python -m tui.cli`` in a fresh interpreter, with its own
config and data directories, so a test sees exactly what a user sees (stderr lines, exit status,
no traceback) and never touches the real user's files.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from store import import_file, open_database
from tests.environment import clean_env

ROOT = Path(__file__).resolve().parents[1]
SEED_PATH = ROOT / "seeds" / "000_661a8b21aa12c001.txt"
CLI_TIMEOUT = 60

CliResult = tuple[int, str, str]
CliCall = tuple[Sequence[object], Mapping[str, str | None] | None]


def _command(args: Sequence[object]) -> list[str]:
    return [sys.executable, "-m", "tui.cli", *map(str, args)]


def _decode(data: bytes) -> str:
    # Exports are UTF-8; keep "\r\n" as written, so CSV line ends can be checked.
    return data.decode("utf-8")


@pytest.fixture
def reader_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """For a reader run in the test: its own config dir, and the working directory (where an
    export with the default name goes) in the test's tmp dir."""
    monkeypatch.setenv("THREADMARK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def keys_wait_for_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pilot.press`` returns once the changes its keys made are committed and shown.

    The reader saves on a writer thread (tui.writer) so that a locked database never freezes
    the keys; a test that presses a key and then reads the database waits for that, as a
    person waits for the status line to say "Tagged".  Moves faster than frames leave the
    pane to follow once they stop (``ReaderScreen.pane_behind``): that is waited for too.
    """
    from textual.pilot import Pilot

    press = Pilot.press

    async def press_and_wait(self: Pilot, *keys: str, wait_for_saves: bool = True) -> None:
        await press(self, *keys)
        writer = getattr(self.app, "writer", None)
        while wait_for_saves and writer is not None and writer.pending:
            await self.pause()
        reader = getattr(self.app, "reader", None)
        while reader is not None and reader.pane_behind:
            await self.pause()

    monkeypatch.setattr(Pilot, "press", press_and_wait)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where a test's database goes (not created)."""
    return tmp_path / "threadmark.db"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The bundled seed thread: 20 comments, 11 distinct texts, one of them a tombstone."""
    return SEED_PATH


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "seed.db"
    db = open_database(path)
    import_file(db, SEED_PATH)
    db.close()
    return path


@pytest.fixture
def seeded_db(db_path: Path, seeded_template: Path) -> Path:
    """A database file with the seed thread imported as thread 1 (closed, WAL checkpointed)."""
    shutil.copyfile(seeded_template, db_path)
    return db_path


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """``run_cli(*args, env=None, cwd=None)`` -> (returncode, stdout, stderr).

    Runs ``python -m tui.cli ARGS`` with a tmp ``THREADMARK_CONFIG_DIR``; ``cwd`` defaults
    to the test's tmp dir.
    """

    def run(
        *args: object, env: Mapping[str, str | None] | None = None, cwd: Path | None = None
    ) -> CliResult:
        done = subprocess.run(
            _command(args),
            env=clean_env(tmp_path, env),
            cwd=cwd or tmp_path,
            capture_output=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        return done.returncode, _decode(done.stdout), _decode(done.stderr)

    return run


def run_parallel(calls: Sequence[CliCall], base_dir: Path) -> list[CliResult]:
    """Run independent CLI calls (each ``(args, env)``) a few at a time; results in order."""
    jobs = max(2, os.cpu_count() or 2)
    results: list[CliResult | None] = [None] * len(calls)
    pending = list(enumerate(calls))
    running: list[tuple[int, subprocess.Popen]] = []
    while pending or running:
        while pending and len(running) < jobs:
            index, (args, env) = pending.pop(0)
            process = subprocess.Popen(
                _command(args),
                env=clean_env(base_dir, env),
                cwd=base_dir,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            running.append((index, process))
        index, process = running.pop(0)
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT)
        results[index] = (process.returncode, _decode(stdout), _decode(stderr))
    return results  # type: ignore[return-value]


@pytest.fixture(scope="session")
def cli_batch() -> Callable[[Sequence[CliCall], Path], list[CliResult]]:
    """``cli_batch(calls, base_dir)``: :func:`run_parallel` for fixtures wider than a test."""
    return run_parallel


@pytest.fixture
def run_cli_many(tmp_path: Path) -> Callable[[Sequence[CliCall]], list[CliResult]]:
    """Run several independent CLI calls at once (each ``(args, env)``); results in order.

    Only for calls that do not depend on each other: it saves interpreter start-up time.
    """
    return lambda calls: run_parallel(calls, tmp_path)


@pytest.fixture
def call_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliResult]:
    """``call_cli(*args, env=None)``: ``tui.cli.main`` in this process, same result shape.

    For the many cases of a contract that ``run_cli`` proves end to end: an exception that
    escapes ``main`` fails the test just as a traceback would.  Never for stdout exports.
    """
    from tui.cli import main

    def call(*args: object, env: Mapping[str, str | None] | None = None) -> CliResult:
        with monkeypatch.context() as patch:
            wanted = clean_env(tmp_path, env)
            for key in [key for key in os.environ if key not in wanted]:
                patch.delenv(key)
            for key, value in wanted.items():
                if os.environ.get(key) != value:
                    patch.setenv(key, value)
            capsys.readouterr()
            try:
                returncode = main([str(arg) for arg in args])
            except SystemExit as exit:  # --version, --help
                returncode = exit.code if isinstance(exit.code, int) else 1
            stdout, stderr = capsys.readouterr()
        return returncode, stdout, stderr

    return call


def file_state(path: Path) -> str | None:
    """The sha256 of a file's bytes, and of what its -wal holds, or None when there is no such
    file.

    A database change can sit in the -wal file until the last connection closes (and an
    in-process command's connection lingers until the collector frees it), so the -wal counts
    too: a test that a command left the database unchanged could not fail otherwise.
    """
    if not path.exists():
        return None
    if path.is_dir():
        return "directory:" + ",".join(sorted(p.name for p in path.iterdir()))
    digest = hashlib.sha256(path.read_bytes())
    wal = path.with_name(path.name + "-wal")
    if wal.is_file() and wal.stat().st_size:
        digest.update(b"-wal:" + wal.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="session")
def fingerprint() -> Callable[[Path], str | None]:
    """``fingerprint(path)``: the sha256 of the file (None if absent), to prove it unchanged."""
    return file_state


@pytest.fixture
def open_db(db_path: Path) -> Iterator[Callable[..., object]]:
    """``open_db(path=db_path)``: open a threadmark database, closed again after the test."""
    opened = []

    def opener(path: Path | None = None):
        db = open_database(path or db_path)
        opened.append(db)
        return db

    yield opener
    for db in opened:
        db.close()
