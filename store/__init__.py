"""threadmark's headless core: read threads, fold duplicates, store, annotate, export.

A library in its own right (no terminal needed)::

    from store import open_database, import_file, export
    db = open_database("thread.db")
    outcome = import_file(db, Path("thread.json"))
    export(db, "csv", sys.stdout.buffer, outcome.thread_id)
    export_file(db, "qdpx", Path("thread.qdpx"), outcome.thread_id)

It never imports textual or rich.
"""

from importlib import import_module

# Public names and the modules that define them.  They load on first use, so that
# `threadmark --version` or a bad-input error does not pay for numpy and rapidfuzz.
_EXPORTS = {
    "add_link": "store.annotate",
    "create_tag": "store.annotate",
    "redo": "store.annotate",
    "remove_link": "store.annotate",
    "set_note": "store.annotate",
    "toggle_tag": "store.annotate",
    "undo": "store.annotate",
    "open_database": "store.database",
    "write": "store.database",
    "ThreadmarkError": "store.errors",
    "EXPORT_FORMATS": "store.exporters",
    "ExportOptions": "store.exporters",
    "export": "store.exporting",
    "export_file": "store.exporting",
    "IMPORT_FORMATS": "store.readers",
    "import_file": "store.ingest",
    "prepare": "store.ingest",
    "write_import": "store.ingest",
    "thread_stats": "store.stats",
    "comment_sentences": "store.segments",
    "Unit": "store.segments",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'store' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
