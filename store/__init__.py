"""threadmark's headless core: read threads, fold duplicates, store, annotate, export.

A library in its own right (no terminal needed)::

    from store import open_database, import_file, export
    db = open_database("thread.db")
    outcome = import_file(db, Path("thread.json"))
    export(db, "csv", sys.stdout, outcome.thread_id)

It never imports textual or rich.
"""

from store.annotate import add_link, create_tag, redo, remove_link, set_note, toggle_tag, undo
from store.database import open_database, write
from store.errors import ThreadmarkError
from store.export import EXPORTERS, export
from store.ingest import import_file, prepare, write_import
from store.stats import thread_stats

__all__ = [
    "EXPORTERS",
    "ThreadmarkError",
    "add_link",
    "create_tag",
    "export",
    "import_file",
    "open_database",
    "prepare",
    "redo",
    "remove_link",
    "set_note",
    "thread_stats",
    "toggle_tag",
    "undo",
    "write",
    "write_import",
]
