"""The reader's start loads only what its first screen needs.

First paint is measured against a bare Textual app (bench/reader.py), and every module imported
before it counts: sqlite-utils with numpy cost 0.2 s of a 0.5 s budget, rapidfuzz belongs to
importing and linking, and the palette's commands and the help screen load when first opened.
A fresh interpreter shows what the app loads up to its first screen.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyte

from bench.reader import SYNC_START, TERMINAL_SIZE, Pty
from tests.environment import clean_env

LOADED_BY_FIRST_PAINT = """
import asyncio, json, sys
from tui.app import ThreadmarkApp

NOT_YET = {"sqlite_utils", "numpy", "rapidfuzz", "tui.commands", "tui.screens.help"}


async def first_paint():
    app = ThreadmarkApp(sys.argv[1], "alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = "\\n".join(strip.text for strip in app.screen._compositor.render_strips())
        loaded = sorted(
            name for name in sys.modules if name in NOT_YET or name.split(".")[0] in NOT_YET
        )
    print(json.dumps({"screen": screen, "loaded": loaded}))


asyncio.run(first_paint())
"""


def first_paint_in_a_fresh_interpreter(script: str, tmp_path, db) -> dict:
    """What ``script`` prints (JSON) when run on ``db`` by a new Python, in ``tmp_path``."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=clean_env(tmp_path, None),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_first_paint_loads_no_export_dedup_palette_or_help_code(tmp_path, seeded_db):
    result = first_paint_in_a_fresh_interpreter(LOADED_BY_FIRST_PAINT, tmp_path, seeded_db)
    assert "The problem with copyright law" in result["screen"]  # the thread really is shown
    assert result["loaded"] == []


COLLECTOR_AFTER_PAINT = """
import asyncio, gc, json, sys
from tui.app import ThreadmarkApp


async def first_paint():
    gc.disable()  # as tui.launch pauses it for the start-up
    app = ThreadmarkApp(sys.argv[1], "alice", collect_after_paint=True)
    async with app.run_test(size=(80, 24)) as pilot:
        while not gc.isenabled():
            await pilot.pause()
        shown = "\\n".join(strip.text for strip in app.screen._compositor.render_strips())
    print(json.dumps({"shown": shown, "frozen": gc.get_freeze_count()}))


asyncio.run(first_paint())
"""


def test_the_collector_starts_and_the_thread_is_remembered_once_the_reader_has_painted(
    tmp_path, seeded_db
):
    """Start-up runs with the collector paused (tui.launch); the reader starts it once it has
    painted, with what start-up made frozen, and only then writes down the thread it opened."""
    result = first_paint_in_a_fresh_interpreter(COLLECTOR_AFTER_PAINT, tmp_path, seeded_db)
    assert "The problem with copyright law" in result["shown"]
    assert result["frozen"] > 0
    state = json.loads((tmp_path / "config" / "state.json").read_text())
    assert list(state["last_thread"].values()) == [1]


def test_the_first_frame_with_comment_text_shows_the_whole_reader(tmp_path, seeded_db):
    """In a real terminal, the first frame that draws a comment draws both panes: the list to
    its last row and the selected comment in the pane (the pane alone came a frame first while
    Textual's start-up batch threw the reader's first frame away)."""
    threadmark = str(Path(sys.executable).with_name("threadmark"))
    env = clean_env(tmp_path, {"TERM": "xterm-256color"})
    with Pty([threadmark, "--db", str(seeded_db)], env) as pty:
        pty.wait_for("The problem with copyright law")
        pty.settle(0.3)
        output = bytes(pty.output)
    screen = pyte.Screen(*TERMINAL_SIZE)
    stream = pyte.ByteStream(screen)
    for frame in output.split(SYNC_START):
        stream.feed(frame)
        shown = "\n".join(screen.display)
        if "The problem with copyright law" in shown:
            break
    assert "#11 Saving pictures of spongebob" in shown  # the list's last row
    assert "you need, well, copies" in shown  # the pane's text, past the list's cut
