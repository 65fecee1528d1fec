"""Nothing from a thread or a file name reaches a terminal live.

Exports to a terminal are run for real, under a pseudo-terminal, and judged on the bytes the
terminal receives; the same export to a file or a pipe must keep the exact text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import add_link, import_file, open_database, set_note, toggle_tag
from tests.conftest import CLI_TIMEOUT
from tests.environment import clean_env
from tests.test_cli import assert_bad_input, export_params
from tui.inert import TerminalWriter, for_terminal

pty = pytest.importorskip("pty")
tty = pytest.importorskip("tty")

HOSTILE = [
    "set the title \x1b]0;PWNED\x07 and ring",
    "an 8-bit CSI \x9b31m red\x9b0m, and NEL\x85 too",
    "clear the screen \x1b[2J\x1b[H and a bare\rcarriage return",
    "\u202eevil bidi\u202c with a zero\u200bwidth space",
    "a tab\there, a line end\r\nkept, and\nanother",
]
C1 = range(0x80, 0xA0)


def live_controls(text: str) -> list[str]:
    """Characters a terminal would act on: every control (DEL too) but tab and a line end."""
    text = text.replace("\r\n", "\n")
    return [
        ch
        for ch in text
        if (ord(ch) < 0x20 and ch not in "\t\n") or ord(ch) == 0x7F or ord(ch) in C1
    ]


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """Comments, a link note, a note and a coded segment full of escape sequences, imported
    exactly: every export format has some of them to show."""
    source = tmp_path / "hostile.jsonl"
    rows = [{"id": str(n), "author": f"\x1b[31m{n}", "text": t} for n, t in enumerate(HOSTILE)]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    path = tmp_path / "hostile.db"
    db = open_database(path)
    import_file(db, source)
    add_link(db, 2, 1, "rebuts", "\x1b]52;c;ZXZpbA==\x07", note="\x9b2J")
    set_note(db, 1, "alice", "\x1b]0;PWNED\x07")
    toggle_tag(db, 1, 1, "alice", (4, 24))  # "the title \x1b]0;PWNED\x07 and"
    add_link(db, 3, 1, "supports", "alice", source_span=(0, 5), target_span=(4, 24))
    db.close()
    return path


def run_on_terminal(tmp_path: Path, *args: object) -> tuple[int, bytes, bytes]:
    """Run the command line with stdout on a pseudo-terminal: its exit status, the bytes the
    terminal got, and its stderr.

    The terminal is in raw mode, so it passes on exactly what was written ("\\n" is not
    turned into "\\r\\n" on the way).
    """
    controller, terminal = pty.openpty()
    tty.setraw(terminal)
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
        env=clean_env(tmp_path, None),
        cwd=tmp_path,
    )
    os.close(terminal)
    received = bytearray()
    try:
        while chunk := os.read(controller, 65536):
            received += chunk
    except OSError:  # EIO: the process closed its end
        pass
    finally:
        os.close(controller)
    stderr = process.communicate(timeout=CLI_TIMEOUT)[1]
    return process.returncode, bytes(received), stderr


def on_terminal(tmp_path: Path, *args: object) -> bytes:
    """What the terminal got from a command that succeeds."""
    status, received, stderr = run_on_terminal(tmp_path, *args)
    assert status == 0, stderr
    return received


def shows_the_title_sequence(text: str, *, kept_raw: bool) -> bool:
    """Whether the first comment's title-setting sequence is in an export as it should be: its
    controls as stand-ins when the file holds them raw; else JSON escapes, or (in a drawing
    or a map, DOT, SVG or Argdown, which drop controls) gone, its words kept, a bracket
    perhaps escaped with a backslash."""
    if kept_raw:
        return "\u241b]0;PWNED\u2407" in text
    return "\\u001b]0;PWNED\\u0007" in text or "]0;PWNED" in text.replace("\\]", "]")


@pytest.mark.parametrize("format", export_params(binary=False))
def test_an_export_to_a_terminal_shows_every_control_as_a_stand_in(
    format, hostile_db, tmp_path, call_cli
):
    shown = on_terminal(tmp_path, "export", "--db", hostile_db, "--format", format)
    assert b"\x1b" not in shown and b"\x07" not in shown
    text = shown.decode("utf-8")
    assert live_controls(text) == []

    target = tmp_path / f"export.{format}"
    assert call_cli("export", "--db", hostile_db, "--format", format, "-o", target)[0] == 0
    written = target.read_bytes().decode("utf-8")
    assert text == for_terminal(written)  # the same export, only the controls shown
    assert shows_the_title_sequence(text, kept_raw="\x1b" in written)


@pytest.mark.parametrize("format", export_params(binary=True))
def test_a_binary_export_is_refused_on_a_terminal_and_piped_whole(
    format, hostile_db, tmp_path, call_cli
):
    status, shown, stderr = run_on_terminal(
        tmp_path, "export", "--db", hostile_db, "--format", format
    )
    assert (status, shown) == (2, b"")
    assert stderr.decode().startswith(f"threadmark: error: {format} is a binary format")
    target = tmp_path / f"export.{format}"
    assert call_cli("export", "--db", hostile_db, "--format", format, "-o", target)[0] == 0
    piped = subprocess.run(
        [sys.executable, "-m", "tui.cli", "export", "--db", hostile_db, "--format", format],
        capture_output=True,
        check=True,
        env=clean_env(tmp_path, None),
        cwd=tmp_path,
    ).stdout
    assert piped == target.read_bytes()


@pytest.mark.parametrize("format", export_params(binary=False))
def test_an_export_to_a_pipe_or_a_file_keeps_the_exact_text(
    format, hostile_db, tmp_path, run_cli, call_cli
):
    target = tmp_path / f"export.{format}"
    assert call_cli("export", "--db", hostile_db, "--format", format, "-o", target)[0] == 0
    returncode, piped, stderr = run_cli("export", "--db", hostile_db, "--format", format)
    assert (returncode, stderr) == (0, "")
    assert piped.encode("utf-8") == target.read_bytes()
    if format == "json":
        assert [comment["text"] for comment in json.loads(piped)["comments"]] == HOSTILE
    elif format == "jsonl":  # one comment a line, whatever NEL or U+2028 the texts hold
        lines = piped.split("\n")[:-1]
        assert [json.loads(line)["text"] for line in lines] == HOSTILE
    elif "\x1b" in piped:
        assert "\x1b]0;PWNED\x07" in piped  # a CSV cell holds the text as it is
    else:
        assert shows_the_title_sequence(piped, kept_raw=False)


def test_the_csv_on_a_terminal_keeps_its_line_ends_and_tabs(hostile_db, tmp_path):
    shown = on_terminal(tmp_path, "export", "--db", hostile_db, "--format", "csv").decode()
    rows = shown.split("\r\n")
    assert rows[0].startswith("id,number,thread,position,") and rows[-1] == ""
    assert "a tab\there, a line end\r\nkept, and\nanother" in shown
    assert "a bare\u240dcarriage return" in shown


# --- messages --------------------------------------------------------------------------------

EVIL_NAME = "evil \x1b]0;PWNED\x07 \x9b2J\nname"
SHOWN_NAME = "evil \u241b]0;PWNED\u2407 \u27e8U+009B\u27e92J\u240aname"


def assert_inert(stderr: str) -> None:
    assert live_controls(stderr.removesuffix("\n").replace("\n", " ")) == [], stderr


def test_a_file_name_in_a_message_is_shown_inertly(run_cli, call_cli, tmp_path, seed_path):
    good = tmp_path / f"{EVIL_NAME}.txt"
    good.write_bytes(seed_path.read_bytes())
    bad = tmp_path / f"{EVIL_NAME}.json"
    bad.write_text('{"comments": [')
    db = tmp_path / "t.db"

    returncode, _, stderr = run_cli("import", good, "--db", db)
    assert returncode == 0, stderr
    assert_inert(stderr)
    assert stderr == (
        f"imported {tmp_path}/{SHOWN_NAME}.txt as thread 1: 20 comments (text), "
        "9 folded into earlier ones\n"
    )
    for result in (
        call_cli("import", good, "--db", db),  # already imported
        call_cli("import", bad, "--db", db),
        call_cli("import", bad, good, "--db", db, "--skip-bad"),
        call_cli("export", "--db", db, "--format", "csv", "-o", tmp_path / f"{EVIL_NAME}.csv"),
    ):
        assert_inert(result[2])
        assert SHOWN_NAME in result[2]
    assert SHOWN_NAME in assert_bad_input(call_cli("import", bad, "--db", db))


def test_an_argument_in_an_error_is_shown_inertly(call_cli, tmp_path):
    line = assert_bad_input(call_cli("stats", "--db", tmp_path / "x.db", "\x1b]0;PWNED\x07"))
    assert "\u241b]0;PWNED\u2407" in line


# --- the stand-ins ---------------------------------------------------------------------------


def test_for_terminal_keeps_line_ends_and_tabs_and_shows_every_other_control():
    assert for_terminal("a\tb\r\nc\nd") == "a\tb\r\nc\nd"
    assert for_terminal("over\rwrite\r") == "over\u240dwrite\u240d"
    assert for_terminal("\r\r\n\n\r") == "\u240d\r\n\n\u240d"
    assert for_terminal("\x1b[2J\x07\x00\x7f") == "\u241b[2J\u2407\u2400\u2421"
    assert for_terminal("\x9b\x85") == "\u27e8U+009B\u27e9\u27e8U+0085\u27e9"
    assert for_terminal("\u202eabc\u200b") == "\u27e8RLO\u27e9abc\u27e8ZWSP\u27e9"
    assert for_terminal("caf\u00e9 \U0001f44d \u05e9\u05dc\u05d5\u05dd") == (
        "caf\u00e9 \U0001f44d \u05e9\u05dc\u05d5\u05dd"
    )


class RecordingTerminal:
    """Stands in for the terminal a TerminalWriter writes to."""

    def __init__(self):
        self.received, self.flushed = "", False

    def write(self, text):
        self.received += text

    def flush(self):
        self.flushed = True


def test_a_line_end_split_across_two_writes_is_still_a_line_end():
    terminal = RecordingTerminal()
    writer = TerminalWriter(terminal)
    for piece in ("row one\r", "\nrow two\r", "\r", "\nend\r"):
        writer.write(piece)
    assert terminal.received == "row one\r\nrow two\u240d\r\nend"
    writer.flush()
    assert (terminal.received, terminal.flushed) == ("row one\r\nrow two\u240d\r\nend\u240d", True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(exclude_categories=())), max_size=6))
def test_whatever_is_written_in_whatever_pieces_the_terminal_gets_nothing_live(pieces):
    terminal = RecordingTerminal()
    writer = TerminalWriter(terminal)
    for piece in pieces:
        writer.write(piece)
    writer.flush()
    whole = "".join(pieces)
    assert terminal.received == for_terminal(whole)
    assert live_controls(terminal.received) == []
    assert not any(unicodedata.category(ch) in ("Cf", "Cs") for ch in terminal.received)
    if not live_controls(whole) and whole.isascii():
        assert terminal.received == whole
