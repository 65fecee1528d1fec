"""The reader's start loads only what its first screen needs.

First paint is measured against a bare Textual app (bench/reader.py), and every module imported
before it counts: sqlite-utils with numpy cost 0.2 s of a 0.5 s budget, and rapidfuzz belongs to
importing and linking, not to reading.  A fresh interpreter proves what a real start loads.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from conftest import clean_env

LOADED_BY_FIRST_PAINT = """
import asyncio, json, sys
from tui.app import ThreadmarkApp

HEAVY = {"sqlite_utils", "numpy", "rapidfuzz"}


async def first_paint():
    app = ThreadmarkApp(sys.argv[1], "alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = "\\n".join(strip.text for strip in app.screen._compositor.render_strips())
        loaded = sorted({name.split(".")[0] for name in sys.modules} & HEAVY)
    print(json.dumps({"screen": screen, "loaded": loaded}))


asyncio.run(first_paint())
"""


def test_first_paint_loads_neither_sqlite_utils_nor_numpy_nor_rapidfuzz(tmp_path, seeded_db):
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(LOADED_BY_FIRST_PAINT), str(seeded_db)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env=clean_env(tmp_path, None),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "The problem with copyright law" in result["screen"]  # the thread really is shown
    assert result["loaded"] == []
