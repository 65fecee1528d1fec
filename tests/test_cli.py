"""The command-line contract (README.md, "Command line").

Each promise is proved end to end at least once with ``run_cli`` (a real ``python -m tui.cli``
subprocess: exit status, stderr lines, no traceback).  The many variations of a promise run
``tui.cli.main`` in-process with ``call_cli``, which costs no interpreter start-up.

Bad input must give exactly one ``threadmark: error:`` line on stderr, exit status 2, no
traceback, and leave the database byte for byte as it was (or still absent).
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import shutil
import sqlite3
import struct
import zlib
from importlib.metadata import version
from pathlib import Path

import platformdirs
import pytest

from store import add_link, open_database, set_note, toggle_tag
from store.exporters import EXPORT_FORMATS, ExportFormat

SEED_COUNTS = {"threads": 1, "comments": 20, "unique": 10, "tombstones": 1, "duplicates": 9}
STATS_KEYS = {
    "threads", "comments", "unique", "tombstones", "duplicates", "tags", "annotations",
    "links", "annotated",
}  # fmt: skip


def installed(format: ExportFormat) -> bool:
    """Whether the program a format runs (svg runs Graphviz's dot), if any, is installed."""
    return format.needs is None or shutil.which(format.needs) is not None


def export_params(*, binary: bool) -> list:
    """The registry's text (or binary) formats as test parameters, each skipped where the
    program it runs is not installed, saying which."""
    return [
        pytest.param(
            name,
            marks=pytest.mark.skipif(
                not installed(format), reason=f"{format.needs} is not installed"
            ),
        )
        for name, format in EXPORT_FORMATS.items()
        if format.binary == binary
    ]


# Every format of the registry, so that a new one is checked here without editing a list, but
# those whose program is missing here (see export_params, and the test that they say so).
TEXT_EXPORTS = tuple(
    name for name, format in EXPORT_FORMATS.items() if not format.binary and installed(format)
)
BINARY_EXPORTS = tuple(
    name for name, format in EXPORT_FORMATS.items() if format.binary and installed(format)
)
APPLICATION_ID = 0x544D524B


def assert_bad_input(result, *, mentions: str | None = None) -> str:
    """Exit 2, nothing on stdout, one ``threadmark: error:`` line on stderr, no traceback."""
    returncode, stdout, stderr = result
    assert "Traceback" not in stdout + stderr, stderr
    assert returncode == 2, (returncode, stderr)
    assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("threadmark: error: "), stderr
    if mentions is not None:
        assert mentions in lines[0]
    return lines[0]


def stats_json(cli, db: Path, *extra: object) -> dict:
    returncode, stdout, stderr = cli("stats", "--db", db, "--json", *extra)
    assert returncode == 0, stderr
    return json.loads(stdout)


def write_other_thread(path: Path) -> Path:
    """A small second thread: 3 comments, 2 unique, 1 exact repeat."""
    path.write_text("alpha comment one\nbeta comment two\nalpha comment one\n", encoding="utf-8")
    return path


# --- import and stats ------------------------------------------------------------------------


def test_import_then_stats_json_counts_the_seed(run_cli, db_path, seed_path):
    returncode, stdout, stderr = run_cli("import", seed_path, "--db", db_path)
    assert returncode == 0, stderr
    assert stdout == ""
    assert stderr.startswith(f"imported {seed_path} as thread 1: 20 comments")

    counts = stats_json(run_cli, db_path)
    assert {key: counts[key] for key in SEED_COUNTS} == SEED_COUNTS
    assert counts.keys() >= STATS_KEYS
    assert all(type(value) is int for value in counts.values()), counts
    assert counts["tags"] == 9  # the starter codebook
    assert counts["annotations"] == counts["annotated"] == counts["links"] == 0


def test_reimport_says_so_and_adds_nothing(run_cli, seeded_db, seed_path, fingerprint):
    before = fingerprint(seeded_db)
    returncode, stdout, stderr = run_cli("import", seed_path, "--db", seeded_db)
    assert (returncode, stdout) == (0, "")
    assert stderr.splitlines() == [f"threadmark: {seed_path} is already imported as thread 1"]
    assert fingerprint(seeded_db) == before


def test_same_file_twice_in_one_import_is_stored_once(call_cli, db_path, seed_path, tmp_path):
    copy = tmp_path / "renamed copy.txt"  # same bytes, another name: still the same thread
    copy.write_bytes(seed_path.read_bytes())
    returncode, _, stderr = call_cli("import", seed_path, copy, "--db", db_path)
    assert returncode == 0, stderr
    assert stderr.splitlines()[-1].endswith("renamed copy.txt is already imported as thread 1")
    assert stats_json(call_cli, db_path)["comments"] == 20


def test_import_title(run_cli, db_path, seed_path):
    returncode, _, stderr = run_cli("import", seed_path, "--db", db_path, "--title", "AI & ©")
    assert returncode == 0, stderr
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT id, title FROM threads").fetchall() == [(1, "AI & ©")]


def test_db_flag_beats_env_and_env_beats_the_data_dir(
    run_cli_many, call_cli, tmp_path, seed_path, monkeypatch
):
    flag_db, env_db = tmp_path / "flag.db", tmp_path / "env.db"
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))  # as run_cli sets it
    default_db = Path(platformdirs.user_data_dir("threadmark")) / "threadmark.db"
    assert tmp_path in default_db.parents

    both, env_only, neither = run_cli_many(
        [
            (["import", seed_path, "--db", flag_db], {"THREADMARK_DB": str(env_db)}),
            (["stats", "--json"], {"THREADMARK_DB": str(tmp_path / "missing.db")}),
            (["import", seed_path], {"HOME": str(home)}),
        ]
    )
    assert both[0] == 0, both[2]
    assert flag_db.exists() and not env_db.exists()
    # Without --db, $THREADMARK_DB is the database: here it names none yet.
    assert_bad_input(env_only, mentions="missing.db")
    assert neither[0] == 0, neither[2]
    assert default_db.exists()

    assert call_cli("import", seed_path, env={"THREADMARK_DB": str(env_db)})[0] == 0
    assert env_db.exists()


def test_version(run_cli):
    assert run_cli("--version") == (0, f"threadmark {version('threadmark')}\n", "")


def test_stats_without_json_is_a_readable_table(run_cli, call_cli, seeded_db):
    returncode, stdout, stderr = run_cli("stats", "--db", seeded_db)
    assert (returncode, stderr) == (0, "")
    assert not stdout.lstrip().startswith("{")
    table = {}
    for line in stdout.splitlines():
        key, value = line.split()
        assert line.startswith(key + " ")
        table[key] = int(value)
    assert table == stats_json(call_cli, seeded_db)
    # The values line up in one column.
    assert len({line.rindex(" ") for line in stdout.splitlines()}) == 1


def test_thread_filter(run_cli, call_cli, seeded_db, tmp_path):
    other = write_other_thread(tmp_path / "other.txt")
    returncode, _, stderr = call_cli("import", other, "--db", seeded_db)
    assert returncode == 0, stderr
    assert "as thread 2: 3 comments" in stderr

    everything = stats_json(call_cli, seeded_db)
    first = stats_json(call_cli, seeded_db, "--thread", "1")
    second = stats_json(run_cli, seeded_db, "--thread", "2")
    assert (everything["threads"], everything["comments"], everything["unique"]) == (2, 23, 12)
    assert {key: first[key] for key in SEED_COUNTS} == SEED_COUNTS
    assert {key: second[key] for key in SEED_COUNTS} == {
        "threads": 1, "comments": 3, "unique": 2, "tombstones": 0, "duplicates": 1,
    }  # fmt: skip

    target = tmp_path / "second.json"
    returncode, _, stderr = call_cli(
        "export", "--db", seeded_db, "--format", "json", "--thread", "2", "-o", target
    )
    assert returncode == 0, stderr
    data = json.loads(target.read_text("utf-8"))
    assert [thread["id"] for thread in data["threads"]] == [2]
    assert [comment["text"] for comment in data["comments"]] == [
        "alpha comment one",
        "beta comment two",
    ]
    assert {comment["thread"] for comment in data["comments"]} == {2}


def test_unknown_thread_is_an_error(run_cli, call_cli, seeded_db, fingerprint, tmp_path):
    before = fingerprint(seeded_db)
    results = {
        99: run_cli("stats", "--db", seeded_db, "--thread", "99"),
        98: call_cli("export", "--db", seeded_db, "--format", "csv", "--thread", "98"),
        0: call_cli("stats", "--db", seeded_db, "--thread", "0", "--json"),
    }
    for thread, result in results.items():
        assert assert_bad_input(result) == f"threadmark: error: no thread {thread} in the database"
    assert fingerprint(seeded_db) == before


# --- export ----------------------------------------------------------------------------------


@pytest.fixture
def annotated_db(seeded_db):
    """The seed with two annotators' tags, a link and a note."""
    db = open_database(seeded_db)
    toggle_tag(db, 1, 1, "alice")
    toggle_tag(db, 1, 1, "bob")
    toggle_tag(db, 2, 2, "bob")
    add_link(db, 3, 1, "rebuts", "alice", note="not so")
    set_note(db, 1, "alice", "the opening claim")
    db.close()
    return seeded_db


def test_export_every_format_to_stdout_and_to_a_file(
    run_cli_many, call_cli, annotated_db, tmp_path
):
    # stdout of a process whose stdout encoding is ASCII: still the UTF-8 bytes of -o FILE.
    piped = run_cli_many(
        [
            (["export", "--db", annotated_db, "--format", format], {"PYTHONIOENCODING": "ascii"})
            for format in TEXT_EXPORTS
        ]
    )
    for format, to_stdout in zip(TEXT_EXPORTS, piped, strict=True):
        assert to_stdout[0] == 0 and to_stdout[2] == "", to_stdout[2]
        target = tmp_path / format
        written = call_cli("export", "--db", annotated_db, "--format", format, "-o", target)
        assert written == (0, "", f"wrote {target}\n")
        assert target.read_bytes() == to_stdout[1].encode("utf-8"), format
        assert not (tmp_path / f"{format}.partial").exists()
    assert "\u2019" in piped[0][1]  # the seed's curly apostrophes

    rows = list(csv.reader(io.StringIO((tmp_path / "csv").read_text("utf-8"), newline="")))
    header = rows[0]
    assert header[:6] == ["id", "number", "thread", "position", "author", "created_at"]
    assert [row[0] for row in rows[1:]] == [str(n) for n in range(1, 12)]
    first = dict(zip(header, rows[1], strict=True))
    assert (first["tags"], first["note"], first["occurrences"]) == (
        "claim",
        "the opening claim",
        "2",
    )
    assert dict(zip(header, rows[3], strict=True))["rebuts"] == "1"
    assert (tmp_path / "csv").read_bytes().count(b"\r\n") >= 12

    links = list(csv.DictReader(io.StringIO((tmp_path / "links-csv").read_text("utf-8"))))
    assert [(row["source"], row["target"], row["kind"]) for row in links] == [("3", "1", "rebuts")]

    data = json.loads((tmp_path / "json").read_text("utf-8"))
    assert set(data) >= {"threads", "tags", "comments", "links"}
    assert len(data["comments"]) == 11

    lines = (tmp_path / "jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(range(1, 12))


def test_export_dash_o_dash_is_stdout(run_cli, seeded_db, tmp_path):
    returncode, stdout, stderr = run_cli(
        "export", "--db", seeded_db, "--format", "jsonl", "-o", "-"
    )
    assert (returncode, stderr) == (0, "")
    assert len(stdout.splitlines()) == 11
    assert not (tmp_path / "-").exists()


def test_export_replaces_an_existing_file(call_cli, seeded_db, tmp_path):
    target = tmp_path / "out.jsonl"
    target.write_text("old contents\n")
    assert call_cli("export", "--db", seeded_db, "--format", "jsonl", "-o", target)[0] == 0
    assert len(target.read_text("utf-8").splitlines()) == 11
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.jsonl"]


def test_export_to_an_unwritable_place_is_an_error(call_cli, seeded_db, tmp_path):
    target = tmp_path / "no such dir" / "out.csv"
    assert_bad_input(
        call_cli("export", "--db", seeded_db, "--format", "csv", "-o", target),
        mentions="cannot write",
    )
    assert not target.parent.exists()


def test_export_onto_the_database_itself_is_refused(call_cli, seeded_db, fingerprint):
    before = fingerprint(seeded_db)
    same_file = seeded_db.parent / "." / seeded_db.name
    assert_bad_input(
        call_cli("export", "--db", seeded_db, "--format", "json", "-o", same_file),
        mentions="the database itself",
    )
    assert fingerprint(seeded_db) == before
    assert not seeded_db.with_name(seeded_db.name + ".partial").exists()


def test_export_of_a_database_with_no_threads_is_valid(call_cli, db_path, tmp_path):
    open_database(db_path).close()
    outputs = {}
    for format in TEXT_EXPORTS:
        target = tmp_path / f"empty.{format}"
        returncode, _, stderr = call_cli(
            "export", "--db", db_path, "--format", format, "-o", target
        )
        assert returncode == 0, stderr
        outputs[format] = target.read_text("utf-8")
    data = json.loads(outputs["json"])
    assert (data["threads"], data["comments"], data["links"]) == ([], [], [])
    assert len(data["tags"]) == 9
    assert len(list(csv.reader(io.StringIO(outputs["csv"])))) == 1  # the header alone
    assert len(list(csv.reader(io.StringIO(outputs["links-csv"])))) == 1
    assert outputs["jsonl"] == ""


@pytest.mark.parametrize(
    "format", [name for name, format in EXPORT_FORMATS.items() if format.needs]
)
def test_a_format_whose_program_is_not_installed_says_so_in_one_line(
    format, call_cli, seeded_db, tmp_path
):
    target = tmp_path / "export"
    result = call_cli(
        "export", "--db", seeded_db, "--format", format, "-o", target,
        env={"PATH": str(tmp_path / "no programs here")},
    )  # fmt: skip
    assert_bad_input(result, mentions=EXPORT_FORMATS[format].needs)
    assert not target.exists()


# --- arguments that are errors ---------------------------------------------------------------


def test_threshold_out_of_range_is_an_error(run_cli, seeded_db, seed_path, fingerprint):
    before = fingerprint(seeded_db)
    # Even for a file already imported (nothing would be read), a bad value is an error.
    assert_bad_input(
        run_cli("import", seed_path, "--db", seeded_db, "--threshold", "150"),
        mentions="--threshold",
    )
    assert fingerprint(seeded_db) == before


@pytest.mark.parametrize("threshold", ["150", "-1", "100.5", "nan", "inf", "ninety"])
def test_every_bad_threshold_is_an_error(threshold, call_cli, seeded_db, seed_path, tmp_path):
    fresh = tmp_path / "fresh.db"
    before = seeded_db.read_bytes()
    for db in (fresh, seeded_db):
        assert_bad_input(
            call_cli("import", seed_path, "--db", db, f"--threshold={threshold}"),
            mentions="--threshold",
        )
    assert not fresh.exists()
    assert seeded_db.read_bytes() == before


@pytest.mark.parametrize("threshold", ["0", "100", "42.5"])
def test_threshold_in_range_is_accepted(call_cli, tmp_path, threshold, seed_path):
    db = tmp_path / "t.db"
    returncode, _, stderr = call_cli("import", seed_path, "--db", db, "--threshold", threshold)
    assert returncode == 0, stderr
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT threshold FROM threads").fetchone()[0]
    assert math.isclose(stored, float(threshold))


def test_unknown_export_format_is_an_error(run_cli, call_cli, seeded_db, fingerprint, tmp_path):
    before = fingerprint(seeded_db)
    unknown = run_cli("export", "--db", seeded_db, "--format", "xlsx", "-o", tmp_path / "x")
    assert_bad_input(unknown, mentions="xlsx")
    assert_bad_input(call_cli("export", "--db", seeded_db), mentions="--format")
    assert fingerprint(seeded_db) == before
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.partial").exists()


def test_unknown_options_are_one_line_errors(call_cli, seed_path, tmp_path):
    db = tmp_path / "x.db"
    for result in (
        call_cli("import", "--db", db),
        call_cli("import", seed_path, "--db", db, "--frobnicate"),
        call_cli("import", seed_path, "--db", db, "--split", "sentences"),
        call_cli("stats", "--db", db, "--thread", "one"),
    ):
        assert_bad_input(result)
    assert not db.exists()


# --- bad input files -------------------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = b"".join(b"\0" + random.Random(row).randbytes(48) for row in range(16))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def _random_binary() -> bytes:
    noise = bytearray(random.Random(7).randbytes(4096))
    noise[::9] = bytes(len(noise[::9]))  # plenty of NULs
    return bytes(noise)


BAD_FILES = {
    # case: (file name, content: bytes, "DIR", or None for no file, extra import arguments)
    "missing": ("missing.txt", None, ()),
    "directory": ("a-directory", "DIR", ()),
    "random-binary": ("noise.txt", _random_binary(), ()),
    "png": ("picture.png", _png(), ()),
    "png-named-txt": ("picture.txt", _png(), ()),
    "truncated-json": ("thread.json", b'{"post": {"id": 1}, "comments": [{"id": 2, "co', ()),
    "malformed-json": ("thread.json", b'{"comments": [1, 2,, 3]}', ()),
    "json-of-no-known-shape": ("thread.json", b'{"hello": ["world"], "answer": 42}', ()),
    "jsonl-not-objects": ("thread.jsonl", b'{"text": "ok"}\n[1, 2]\n', ()),
    "text-as-reddit": ("thread.txt", b"just some words\nand more words\n", ("--format", "reddit")),
    "other-json-as-reddit": ("thread.json", b'{"hits": []}', ("--format", "reddit")),
    "empty": ("empty.txt", b"", ()),
    "blank-lines-only": ("blank.txt", b"\n  \n\t\r\n", ()),
    "unknown-format": ("thread.txt", b"a comment\n", ("--format", "docx")),
}  # fmt: skip


def make_bad_file(case: str, directory: Path) -> Path:
    name, content, _ = BAD_FILES[case]
    source = directory / name
    directory.mkdir(parents=True, exist_ok=True)
    if content == "DIR":
        source.mkdir()
    elif content is not None:
        source.write_bytes(content)
    return source


@pytest.fixture(scope="module")
def bad_file_imports(tmp_path_factory, seeded_template, cli_batch, fingerprint):
    """Every bad file imported into its own copy of the seeded database by a real subprocess,
    all started together (independent runs, so they can share the machine's cores).

    Returns {case: (result, database, sha256 of the database before)}.
    """
    base = tmp_path_factory.mktemp("bad-files")
    runs, calls = {}, []
    for case, (_, _, extra) in BAD_FILES.items():
        source = make_bad_file(case, base / case / "input")
        db = base / case / "seeded.db"
        shutil.copyfile(seeded_template, db)
        runs[case] = (db, fingerprint(db))
        calls.append((["import", source, "--db", db, *extra], None))
    results = cli_batch(calls, base)
    return {case: (result, *runs[case]) for case, result in zip(BAD_FILES, results, strict=True)}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_file(case, bad_file_imports, call_cli, tmp_path, fingerprint):
    name, _, extra = BAD_FILES[case]
    source = make_bad_file(case, tmp_path / "input")
    fresh = tmp_path / "fresh.db"
    result, seeded, before = bad_file_imports[case]
    for outcome in (result, call_cli("import", source, "--db", fresh, *extra)):
        line = assert_bad_input(outcome)
        assert ("docx" if case == "unknown-format" else name) in line
    assert fingerprint(seeded) == before
    assert not fresh.exists()


def test_a_bad_second_file_leaves_the_database_unchanged(
    run_cli, call_cli, seeded_db, tmp_path, fingerprint
):
    good = write_other_thread(tmp_path / "good.txt")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"comments": [')
    fresh = tmp_path / "fresh.db"
    before = fingerprint(seeded_db)
    for result in (
        run_cli("import", good, bad, "--db", seeded_db),
        call_cli("import", good, bad, "--db", fresh),
    ):
        assert_bad_input(result, mentions="bad.json")
    assert fingerprint(seeded_db) == before
    assert not fresh.exists()


# --- bad databases ---------------------------------------------------------------------------


def _sqlite(path: Path, *statements: str, wal: bool = False) -> None:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def make_bad_database(kind: str, path: Path) -> None:
    if kind == "not-sqlite":
        path.write_text("id,text\n1,this is a CSV file, not a database\n" * 40)
    elif kind == "png":
        path.write_bytes(_png())
    elif kind == "foreign-sqlite":
        _sqlite(path, "CREATE TABLE recipes (name TEXT)", "INSERT INTO recipes VALUES ('soup')")
    elif kind == "foreign-application-id":
        _sqlite(path, "PRAGMA application_id = 1234", "CREATE TABLE t (x)")
    elif kind in ("newer-threadmark", "newer-threadmark-wal"):
        _sqlite(
            path,
            f"PRAGMA application_id = {APPLICATION_ID}",
            "PRAGMA user_version = 99",
            "CREATE TABLE from_the_future (x)",
            wal=kind.endswith("wal"),
        )
    elif kind == "directory":
        path.mkdir()
        (path / "inside").write_text("x")
    else:
        raise AssertionError(kind)


BAD_DATABASES = [
    "not-sqlite",
    "png",
    "foreign-sqlite",
    "foreign-application-id",
    "newer-threadmark",  # in rollback-journal mode: refusing it must not switch it to WAL
    "newer-threadmark-wal",
    "directory",
]


@pytest.fixture(scope="module")
def bad_database_imports(tmp_path_factory, cli_batch, fingerprint, seed_path):
    """The seed imported into every kind of bad database by real subprocesses, started
    together.  Returns {kind: (result, database, sha256 of the database before)}."""
    base = tmp_path_factory.mktemp("bad-databases")
    runs, calls = {}, []
    for kind in BAD_DATABASES:
        (base / kind).mkdir()
        db = base / kind / "bad.db"
        make_bad_database(kind, db)
        runs[kind] = (db, fingerprint(db))
        calls.append((["import", seed_path, "--db", db], None))
    results = cli_batch(calls, base)
    return {
        kind: (result, *runs[kind]) for kind, result in zip(BAD_DATABASES, results, strict=True)
    }


@pytest.mark.parametrize("kind", BAD_DATABASES)
def test_bad_database(kind, bad_database_imports, call_cli, tmp_path, fingerprint):
    imported, subprocess_db, subprocess_before = bad_database_imports[kind]
    db = tmp_path / "bad.db"
    make_bad_database(kind, db)
    before = fingerprint(db)
    for result, path in (
        (imported, subprocess_db),
        (call_cli("stats", "--db", db, "--json"), db),
        (call_cli("export", "--db", db, "--format", "csv", "-o", tmp_path / "out.csv"), db),
    ):
        line = assert_bad_input(result, mentions=str(path))
        if kind.startswith("newer"):
            assert "newer threadmark" in line
        elif kind != "directory":
            assert "not threadmark's" in line or "not a threadmark database" in line
    assert fingerprint(subprocess_db) == subprocess_before
    assert fingerprint(db) == before
    assert not (tmp_path / "out.csv").exists()
    for directory, name in ((subprocess_db.parent, "bad.db"), (tmp_path, "bad.db")):
        assert sorted(p.name for p in directory.iterdir() if p.name.startswith(name)) == [name]


def test_an_empty_database_file_stays_empty(call_cli, tmp_path, seed_path):
    db = tmp_path / "touched.db"
    db.touch()
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": ')
    for result in (
        call_cli("import", bad, "--db", db),
        call_cli("stats", "--db", db),
        call_cli("export", "--db", db, "--format", "csv", "-o", tmp_path / "out.csv"),
    ):
        assert_bad_input(result)
    assert db.read_bytes() == b""
    assert call_cli("import", seed_path, "--db", db)[0] == 0
    assert stats_json(call_cli, db)["comments"] == 20


def test_stats_and_export_do_not_create_a_database(run_cli, call_cli, tmp_path):
    db = tmp_path / "nothing-here.db"
    for result in (
        run_cli("stats", "--db", db),
        call_cli("export", "--db", db, "--format", "json", "-o", tmp_path / "out.json"),
    ):
        assert_bad_input(result, mentions="nothing-here.db")
    assert not db.exists()
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("output", ["", "/"])
def test_export_to_something_that_is_not_a_file_name_is_a_user_error(call_cli, seeded_db, output):
    returncode, _, stderr = call_cli("export", "--db", seeded_db, "--format", "csv", "-o", output)
    assert returncode == 2
    assert stderr == f"threadmark: error: -o {output!r} is not a file name\n"
