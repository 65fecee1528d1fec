"""The ``threadmark`` command: the reader by default, and import / stats / export.

Bad input is a :class:`ThreadmarkError`: one ``threadmark: error: ...`` line on stderr and exit
status 2, with the database as it was.  Anything else that escapes is a bug (status 1).
File names and file contents are hostile: every message, and an export written to a
terminal, shows their control characters as visible stand-ins.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import sys
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from store.errors import ThreadmarkError
from tui.inert import TerminalBytes, inert
from tui.wording import plural

if TYPE_CHECKING:
    from store.ingest import PreparedImport
    from store.merging import MergeReport
    from store.records import ParsedThread, ReadOptions
    from store.rescrape import PreparedUpdate, UpdateOutcome

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
# ``import --FLAG-column``: the flag's word for each record field a column can hold.
COLUMN_FLAGS = {
    "text": "text",
    "author": "author",
    "platform_id": "id",
    "parent_id": "parent",
    "created_at": "time",
}


class ArgumentParser(argparse.ArgumentParser):
    """argparse with the one-line error of the command-line contract (no usage dump)."""

    def error(self, message: str):
        raise ThreadmarkError(f"{message} (see {self.prog} --help)")


class VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked (importlib.metadata is slow)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import version

        print(f"threadmark {version('threadmark')}")
        parser.exit()


def default_db_path() -> Path:
    """``$THREADMARK_DB``, else ``threadmark.db`` in the user's data directory."""
    if env := os.environ.get("THREADMARK_DB"):
        return Path(env)
    return Path(platformdirs.user_data_dir("threadmark")) / "threadmark.db"


def default_annotator() -> str:
    """``$THREADMARK_ANNOTATOR``, else the login name."""
    if env := os.environ.get("THREADMARK_ANNOTATOR"):
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "annotator"


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file (default: $THREADMARK_DB, else threadmark.db in the data directory)",
    )


def add_thread_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--thread", type=thread_id, default=None, help="only this thread (an id)")


def thread_id(text: str) -> int:
    """A thread id: a whole number SQLite can hold (a bigger one names no thread)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a thread id: {text!r}") from None
    if not -(2**63) <= value < 2**63:  # past SQLite's integers: the query would overflow
        raise argparse.ArgumentTypeError(f"no thread {value}")
    return value


def _threshold(text: str) -> float:
    """``--threshold``, checked before any file is looked at (even one already imported)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, not {text}")
    return value


def _encoding(name: str) -> str:
    """``--encoding``, checked before any file is read: a codec that decodes bytes to text."""
    try:
        b"x".decode(name, "ignore")  # an empty string would decode without a codec lookup
    except (LookupError, UnicodeError):  # unknown, bytes to bytes (base64), or "undefined"
        raise argparse.ArgumentTypeError(f"unknown text encoding {name!r}") from None
    return name


def _column(text: str) -> str | int:
    """A column by header name, or by 1-based number when it is all digits."""
    if text.isascii() and text.isdigit():
        if int(text) < 1:
            raise argparse.ArgumentTypeError("column numbers start at 1")
        return int(text)
    if not text.strip():
        raise argparse.ArgumentTypeError("a column name cannot be empty")
    return text


def reader_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="threadmark",
        description="Read and annotate a discussion thread. "
        f"Subcommands: {', '.join([*SUBCOMMANDS, *COMMAND_MODULES])} "
        "(threadmark SUBCOMMAND --help).",
    )
    parser.add_argument("file", nargs="?", type=Path, help="a thread to import and open")
    add_db_option(parser)
    parser.add_argument("--annotator", default=None, help="your name on annotations")
    parser.add_argument("--theme", default=None, help="colour theme (remembered)")
    parser.add_argument(
        "--blind",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="hide the other annotators' tags until o shows them (default: blind)",
    )
    parser.add_argument(
        "--version", action=VersionAction, nargs=0, help="print the version and exit"
    )
    return parser


def import_parser() -> ArgumentParser:
    from store.ingest import DEFAULT_FOLD, DEFAULT_THRESHOLD, FOLD_MODES
    from store.readers import FORMATS, IMPORT_FORMATS, SPLITS

    parser = ArgumentParser(
        prog="threadmark import",
        description="Import threads.  A newer scrape of a thread already here updates it:\n"
        "new comments are added, edits taken in, and every code is kept (an update folds\n"
        "as its thread was folded, whatever --fold and --threshold say).",
        epilog=_formats_epilog(IMPORT_FORMATS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_db_option(parser)
    parser.add_argument("--format", default="auto", choices=("auto", *FORMATS))
    parser.add_argument(
        "--split",
        default="lines",
        choices=SPLITS,
        help="plain text: one comment per line, or per blank-line paragraph",
    )
    parser.add_argument(
        "--encoding",
        type=_encoding,
        default=None,
        help="the files' encoding (default: from a BOM, else UTF-8, else detected)",
    )
    for flag in COLUMN_FLAGS.values():
        parser.add_argument(
            f"--{flag}-column",
            type=_column,
            default=None,
            metavar="NAME|N",
            help=f"CSV and JSON Lines: the column with each comment's {flag}, by name or number",
        )
    parser.add_argument(
        "--fold",
        default=DEFAULT_FOLD,
        choices=FOLD_MODES,
        help="fold only one person's repeats (default), or the same words from anyone",
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=DEFAULT_THRESHOLD,
        help=f"near-duplicate similarity, 0-100 (default {DEFAULT_THRESHOLD:g})",
    )
    parser.add_argument("--title", default=None, help="thread title (default: from the file)")
    parser.add_argument(
        "--update",
        type=thread_id,
        default=None,
        metavar="THREAD",
        help="update this thread (an id) from the files, newer scrapes of it: for a source "
        "that does not name its thread, or a thread imported by an older threadmark",
    )
    parser.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good files when some are bad (default: a bad file imports none)",
    )
    return parser


def stats_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="threadmark stats", description="Count comments and annotations.")
    add_db_option(parser)
    add_thread_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    return parser


def export_parser() -> ArgumentParser:
    from store.exporters import EXPORT_FORMATS

    parser = ArgumentParser(
        prog="threadmark export",
        description="Export a thread (or all) with its tags, segments, notes and links.",
        epilog=_formats_epilog(EXPORT_FORMATS.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_db_option(parser)
    add_thread_option(parser)
    parser.add_argument("--format", required=True, choices=tuple(EXPORT_FORMATS))
    parser.add_argument(
        "--annotator",
        help="only this annotator's tags, notes and links (the gold layer: --annotator gold)",
    )
    parser.add_argument("-o", "--output", default="-", help="output file, - for stdout")
    return parser


def _formats_epilog(formats) -> str:
    """The formats a command reads or writes, each with its one line, for ``--help``."""
    return "formats:\n" + "\n".join(f"  {f.name:<13} {f.description}" for f in formats)


def merge_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="threadmark merge",
        description=(
            "Bring another threadmark database's threads, segments, tags, notes and links "
            "into this one: nothing lost, nothing doubled; merging twice changes nothing."
        ),
    )
    parser.add_argument("other", type=Path, metavar="OTHER.db")
    add_db_option(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except ThreadmarkError as error:
        say(f"threadmark: error: {error}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        say("threadmark: interrupted; nothing was saved from the unfinished step")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `threadmark export ... | head`: the reader went away, which is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def run(argv: list[str]) -> int:
    """Build only the parser the command needs: each loads only what its command uses."""
    if argv and argv[0] in SUBCOMMANDS:
        parser, command = SUBCOMMANDS[argv[0]]
        args = parser().parse_args(argv[1:])
    elif argv and argv[0] in COMMAND_MODULES:
        parser, command = import_module(COMMAND_MODULES[argv[0]]).SUBCOMMANDS[argv[0]]
        args = parser().parse_args(argv[1:])
    else:
        args = reader_parser().parse_args(argv)
        args.annotator = args.annotator or default_annotator()
        from tui.launch import open_reader as command
    args.db = args.db or default_db_path()
    try:
        return command(args)
    except sqlite3.DatabaseError as error:
        # Damage the open did not read (a big file is checked page by page as it is read)
        # or a full disk is the file's problem, not a bug.
        from store.database import database_error

        raise database_error(args.db, error) or error from None


def cmd_import(args: argparse.Namespace) -> int:
    """Read every file before storing any, so a bad file is found before a write; then store
    them all in one transaction (new threads and updates alike).

    By default one bad file imports none; with ``--skip-bad`` the others are imported, each
    bad one gets its own error line, and the exit status is still 2.
    """
    from store.database import database_exists, open_database
    from store.ingest import PreparedImport, database_for_import
    from store.records import ReadOptions
    from store.rescrape import PreparedUpdate, UpdateOutcome, write_batch
    from tui.progress import import_progress

    options = ReadOptions(
        split=args.split,
        encoding=args.encoding,
        columns={
            field: column
            for field, flag in COLUMN_FLAGS.items()
            if (column := getattr(args, f"{flag}_column")) is not None
        },
    )
    # An empty file (touch threadmark.db) is no database yet: it is made only once every
    # file has been read and stored, so bad input or ctrl+c leaves it as it was.
    db = open_database(args.db) if database_exists(args.db) else None
    outcomes = []
    new_keys: set[str] = set()  # the thread keys of the new threads the batch imports
    for path in args.files:
        try:
            outcomes.append((path, _read_for_import(db, path, args, options, new_keys)))
        except ThreadmarkError as error:
            if not args.skip_bad:
                raise ThreadmarkError(f"{error}; nothing imported") from None
            outcomes.append((path, error))
    to_store = [
        outcome for _, outcome in outcomes if isinstance(outcome, PreparedImport | PreparedUpdate)
    ]
    if db is not None:
        db.close()
    if to_store:  # one transaction: a failure while storing any file stores none of them
        with (
            database_for_import(args.db) as db,
            import_progress(f"storing {len(to_store)} of {len(outcomes)} files") as progress,
        ):
            stored = iter(write_batch(db, to_store, progress))
    for path, outcome in outcomes:
        if isinstance(outcome, ThreadmarkError):
            say(f"threadmark: error: {outcome}; skipped")
        elif isinstance(outcome, int):
            _already_imported(path, outcome)
        elif isinstance(written := next(stored), UpdateOutcome):
            _report_update(path, outcome, written)
        elif written.restored is not None:
            _report_restore(path, written.restored)
        elif written.created:
            _report_import(path, outcome, written.thread_id)
        else:
            _already_imported(path, written.thread_id)
    bad = any(isinstance(outcome, ThreadmarkError) for _, outcome in outcomes)
    return EXIT_BAD_INPUT if bad else 0


def _read_for_import(
    db, path: Path, args: argparse.Namespace, options: ReadOptions, new_keys: set[str]
) -> PreparedImport | PreparedUpdate | int:
    """``path`` read, or the id of the thread it already is in ``db``.

    It is an update of the thread ``--update`` names, else of the thread here with its thread
    key, else of the one an earlier file of the batch imports with that key (in ``new_keys``;
    found when stored); else a new thread, folded now.
    """
    from store.ingest import (
        file_sha256,
        fold_thread,
        read_thread,
        thread_with_key,
        thread_with_sha256,
    )
    from store.rescrape import PreparedUpdate, check_update
    from tui.progress import import_progress

    if db is not None and (existing := thread_with_sha256(db, file_sha256(path))):
        if args.update not in (None, existing):
            raise ThreadmarkError(f"{path} is the file of thread {existing}, not of {args.update}")
        return existing
    with import_progress(f"reading {inert(path.name)}") as progress:
        sha256, parsed = read_thread(path, args.format, options, progress)
        thread_id = args.update
        if thread_id is None and db is not None:
            thread_id = thread_with_key(db, parsed.thread_key)
        if thread_id is None and parsed.thread_key not in new_keys:
            if parsed.thread_key is not None:
                new_keys.add(parsed.thread_key)
            return fold_thread(
                path,
                sha256,
                parsed,
                threshold=args.threshold,
                fold_mode=args.fold,
                title=args.title,
                progress=progress,
            )
    update = PreparedUpdate(path.name, sha256, parsed, thread_id)
    if thread_id is not None:
        if db is None:
            raise ThreadmarkError(f"no thread {thread_id} in the database")
        check_update(db, update)
    return update


def _warn(path: Path, parsed: ParsedThread) -> None:
    """The reader's warnings on the file, one line each."""
    for warning in parsed.warnings:
        say(f"threadmark: warning: {path}: {warning}")


def _report_import(path: Path, prepared: PreparedImport, thread_id: int) -> None:
    """The reader's warnings on the file, then one line on what was imported."""
    _warn(path, prepared.parsed)
    records = len(prepared.parsed.records)
    folded = records - len(set(prepared.folding.canonical))
    say(
        f"imported {path} as thread {thread_id}: {plural(records, 'comment')} "
        f"({prepared.parsed.format}), {folded:,} folded into earlier ones"
    )


def _report_update(path: Path, update: PreparedUpdate, outcome: UpdateOutcome) -> None:
    """The reader's warnings on the file, then one line on what the update changed."""
    if outcome.already:
        _already_imported(path, outcome.thread_id)
        return
    _warn(path, update.parsed)
    say(f"updated thread {outcome.thread_id} from {path}: {outcome.summary()}")


def _report_restore(path: Path, report: MergeReport, verb: str = "restored") -> None:
    """What a threadmark export (or a merged database) brought in, and what it left out."""
    for problem in report.problems:
        say(f"threadmark: warning: {path}: {problem}")
    say(f"{verb} {path}: {report.summary()}")


def _already_imported(path: Path, thread_id: int) -> None:
    say(f"threadmark: {path} is already imported as thread {thread_id}")


def say(message: str) -> None:
    """One line on stderr, inert: a file's name or contents may hold escape sequences."""
    print(inert(message), file=sys.stderr)


def cmd_stats(args: argparse.Namespace) -> int:
    from store.database import open_for_reading
    from store.stats import thread_stats

    db = open_for_reading(args.db)
    _check_thread(db, args.thread)
    counts = thread_stats(db, args.thread)
    if args.json:
        print(json.dumps(counts))
    else:
        width = max(map(len, counts))
        for key, value in counts.items():
            print(f"{key:<{width}}  {value}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from store.database import open_for_reading
    from store.exporters import EXPORT_FORMATS, ExportOptions
    from store.exporting import export, export_file

    format = EXPORT_FORMATS[args.format]
    to_stdout = args.output == "-"
    if to_stdout and format.binary and sys.stdout.isatty():
        raise ThreadmarkError(
            f"{format.name} is a binary format: write it to a file with -o, or pipe it"
        )
    db = open_for_reading(args.db)
    _check_thread(db, args.thread)
    options = ExportOptions(annotator=args.annotator)
    if to_stdout:
        # The same bytes as -o FILE; but a terminal would run the escape sequences in
        # comments, so it is shown them inertly.
        sys.stdout.flush()
        out = TerminalBytes(sys.stdout) if sys.stdout.isatty() else sys.stdout.buffer
        export(db, format.name, out, args.thread, options)
        out.flush()
        return 0
    target = Path(args.output)
    if not target.name or target.is_dir():
        raise ThreadmarkError(f"-o {args.output!r} is not a file name")
    if _same_file(target, args.db):
        raise ThreadmarkError(f"-o {target} is the database itself; choose another file")
    export_file(db, format.name, target, args.thread, options)
    say(f"wrote {target}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from store.database import open_database
    from store.merging import merge_database, other_database

    if _same_file(args.other, args.db):
        raise ThreadmarkError(f"{args.other} is the database itself; merge another one")
    if not args.other.exists():
        raise ThreadmarkError(f"{args.other}: no such database")
    with other_database(args.other) as other:
        report = merge_database(open_database(args.db), other, str(args.other))
    _report_restore(args.other, report, verb="merged")
    return 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _check_thread(db, thread_id: int | None) -> None:
    from store.queries import get_thread

    if thread_id is not None and get_thread(db, thread_id) is None:
        raise ThreadmarkError(f"no thread {thread_id} in the database")


SUBCOMMANDS = {
    "import": (import_parser, cmd_import),
    "stats": (stats_parser, cmd_stats),
    "export": (export_parser, cmd_export),
    "merge": (merge_parser, cmd_merge),
}
# Subcommands that live in their own modules (each with a SUBCOMMANDS of the same shape),
# imported only when run: name -> module.
COMMAND_MODULES: dict[str, str] = {
    "serve": "tui.serve",
    "tag": "tui.scripting",
    "link": "tui.scripting",
    "tags": "tui.scripting",
    "note": "tui.scripting",
    "agreement": "tui.agreement_cli",
    "adjudicate": "tui.adjudicate_cli",
}

if __name__ == "__main__":
    sys.exit(main())
