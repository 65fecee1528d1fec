"""``store`` is a library in its own right: it loads no terminal UI, and a script can import a
thread, annotate it and export it with nothing else (ARCHITECTURE.md, "Import rules")."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

UI_PACKAGES = ("textual", "rich", "tui")

# Imports every module of store, then reports which UI packages got loaded.
IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import store
names = ["store"]
for module in pkgutil.walk_packages(store.__path__, "store."):
    importlib.import_module(module.name)
    names.append(module.name)
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"textual", "rich", "tui"})
print(json.dumps({"modules": names, "ui": loaded}))
"""

SCRIPT = """
import io, json, sys
from pathlib import Path
from store import (add_link, export_file, import_file, open_database, set_note, thread_stats,
                   toggle_tag, undo)

seed, db_path, out_dir = map(Path, sys.argv[1:4])
db = open_database(db_path)
outcome = import_file(db, seed, title="from a script")
toggle_tag(db, 1, 1, "script")
toggle_tag(db, 2, 2, "script")
add_link(db, 2, 1, "rebuts", "script", note="scripted")
set_note(db, 1, "script", "a note")
undo(db, "script")  # the note
for format in ("csv", "links-csv", "json", "jsonl"):
    export_file(db, format, out_dir / f"out.{format}", outcome.thread_id)
db.close()
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"textual", "rich", "tui"})
print(json.dumps({"thread": outcome.thread_id, "stats": thread_stats(open_database(db_path)),
                  "ui": loaded}))
"""


def run_python(code: str, *args: object, cwd=None) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return json.loads(done.stdout)


def test_importing_store_loads_no_terminal_ui(tmp_path):
    result = run_python(IMPORT_EVERYTHING, cwd=tmp_path)
    assert result["ui"] == []
    # The walk really covered the package, readers and exporters included.
    for module in ("store.database", "store.ingest", "store.annotate", "store.queries",
                   "store.readers", "store.exporters"):  # fmt: skip
        assert module in result["modules"]


def test_a_script_imports_annotates_and_exports_with_store_alone(tmp_path, seed_path):
    result = run_python(SCRIPT, seed_path, tmp_path / "script.db", tmp_path, cwd=tmp_path)
    assert result["ui"] == []
    assert result["thread"] == 1
    stats = result["stats"]
    assert (stats["comments"], stats["unique"], stats["annotations"], stats["links"]) == (
        20,
        10,
        2,
        1,
    )
    assert stats["notes"] == 0  # undone

    data = json.loads((tmp_path / "out.json").read_text("utf-8"))
    assert data["threads"][0]["title"] == "from a script"
    assert data["comments"][0]["tags"] == ["claim"]
    assert data["links"] == [
        {**data["links"][0], "source": 2, "target": 1, "kind": "rebuts", "annotator": "script",
         "note": "scripted"}
    ]  # fmt: skip
    assert len((tmp_path / "out.jsonl").read_text("utf-8").splitlines()) == 11
    csv_bytes = (tmp_path / "out.csv").read_bytes()
    assert csv_bytes.startswith(b"id,number,thread,position,") and csv_bytes.count(b"\r\n") >= 12
    assert "scripted" in (tmp_path / "out.links-csv").read_text("utf-8")
