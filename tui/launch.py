"""From the command line to the reader: which database, which thread, what to import first."""

from __future__ import annotations

import argparse
import sys

from store.collector import collector_paused
from store.database import database_exists, open_database
from store.queries import list_threads
from store.seeds import SEED_THREAD_TITLE, seed_thread_path
from tui.inert import inert


def open_reader(args: argparse.Namespace) -> int:
    """Run the reader.  With no FILE and an empty database, the bundled seed thread is imported.

    Start-up (Textual's modules, the stylesheets, the first screen) makes objects by the
    hundred thousand and no garbage worth a search for cycles: the collector waits until the
    reader has painted (``collect_after_paint``), which takes 30 ms off the first paint.
    """
    with collector_paused():
        return _run_reader(args)


def _run_reader(args: argparse.Namespace) -> int:
    from tui.app import ThreadmarkApp

    source, title, thread_id, db = args.file, None, None, None
    if not database_exists(args.db):  # made by the import, once the file has been read
        if source is None:
            source, title = seed_thread_path(), SEED_THREAD_TITLE
    else:
        db = open_database(args.db)  # the app's connection from here on
        try:
            if source is None and not list_threads(db):
                source, title = seed_thread_path(), SEED_THREAD_TITLE
            if source is not None:
                # Loaded only when there is something to import: it brings in dedup.
                from store.ingest import file_sha256, thread_with_sha256

                thread_id = thread_with_sha256(db, file_sha256(source))
                if thread_id is not None:
                    source = None
        except BaseException:
            db.close()
            raise
    app = ThreadmarkApp(
        args.db,
        args.annotator,
        db=db,
        thread_id=thread_id,
        import_path=source,
        import_title=title,
        theme=args.theme,
        blind=args.blind,
        collect_after_paint=True,
    )
    app.run()
    if app.error:
        print(inert(f"threadmark: error: {app.error}"), file=sys.stderr)
    return app.return_code or 0
