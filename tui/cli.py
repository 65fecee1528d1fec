"""The ``threadmark`` command: the reader by default, and import / stats / export.

Bad input is a :class:`ThreadmarkError`: one ``threadmark: error: ...`` line on stderr and exit
status 2, with the database as it was.  Anything else that escapes is a bug (status 1).
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

import platformdirs

from store.errors import ThreadmarkError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


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


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file (default: $THREADMARK_DB, else threadmark.db in the data directory)",
    )


def _add_thread(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--thread", type=int, default=None, help="only this thread (an id)")


def _threshold(text: str) -> float:
    """``--threshold``, checked before any file is looked at (even one already imported)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, not {text}")
    return value


def reader_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="threadmark",
        description="Read and annotate a discussion thread. "
        f"Subcommands: {', '.join(SUBCOMMANDS)} (threadmark SUBCOMMAND --help).",
    )
    parser.add_argument("file", nargs="?", type=Path, help="a thread to import and open")
    _add_db(parser)
    parser.add_argument("--annotator", default=None, help="your name on annotations")
    parser.add_argument("--theme", default=None, help="colour theme (remembered)")
    parser.add_argument(
        "--version", action=VersionAction, nargs=0, help="print the version and exit"
    )
    return parser


def import_parser() -> ArgumentParser:
    from store.ingest import DEFAULT_THRESHOLD
    from store.readers import FORMATS, SPLITS

    parser = ArgumentParser(prog="threadmark import", description="Import threads.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _add_db(parser)
    parser.add_argument("--format", default="auto", choices=("auto", *FORMATS))
    parser.add_argument(
        "--split",
        default="lines",
        choices=SPLITS,
        help="plain text: one comment per line, or per blank-line paragraph",
    )
    parser.add_argument(
        "--threshold",
        type=_threshold,
        default=DEFAULT_THRESHOLD,
        help=f"near-duplicate similarity, 0-100 (default {DEFAULT_THRESHOLD:g})",
    )
    parser.add_argument("--title", default=None, help="thread title (default: from the file)")
    return parser


def stats_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="threadmark stats", description="Count comments and annotations.")
    _add_db(parser)
    _add_thread(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    return parser


def export_parser() -> ArgumentParser:
    from store.exporters import EXPORTERS

    parser = ArgumentParser(prog="threadmark export", description="Export comments or links.")
    _add_db(parser)
    _add_thread(parser)
    parser.add_argument("--format", required=True, choices=tuple(EXPORTERS))
    parser.add_argument("-o", "--output", default="-", help="output file, - for stdout")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except ThreadmarkError as error:
        print(f"threadmark: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(
            "threadmark: interrupted; nothing was saved from the unfinished step", file=sys.stderr
        )
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
        args.db = args.db or default_db_path()
        return command(args)
    args = reader_parser().parse_args(argv)
    args.db = args.db or default_db_path()
    args.annotator = args.annotator or default_annotator()
    from tui.launch import open_reader

    return open_reader(args)


def cmd_import(args: argparse.Namespace) -> int:
    """Read and fold every file first, so one bad file leaves the database untouched."""
    from store.database import open_database
    from store.ingest import file_sha256, prepare, thread_with_sha256, write_import
    from tui.progress import import_progress

    # An empty file (touch threadmark.db) is no database yet: it is made only once every
    # file has been read, so bad input leaves it empty.
    has_database = args.db.exists() and not (args.db.is_file() and args.db.stat().st_size == 0)
    db = open_database(args.db) if has_database else None
    prepared_imports = []
    for path in args.files:
        if db is not None and (existing := thread_with_sha256(db, file_sha256(path))):
            _already_imported(path, existing)
            continue
        with import_progress(f"reading {path.name}") as progress:
            prepared_imports.append(
                (
                    path,
                    prepare(
                        path,
                        format=args.format,
                        split=args.split,
                        threshold=args.threshold,
                        title=args.title,
                        progress=progress,
                    ),
                )
            )
    for path, prepared in prepared_imports:
        db = db or open_database(args.db)
        with import_progress(f"storing {prepared.source}") as progress:
            outcome = write_import(db, prepared, progress)
        if not outcome.created:
            _already_imported(path, outcome.thread_id)
            continue
        records = len(prepared.parsed.records)
        folded = records - len(set(prepared.folding.canonical))
        print(
            f"imported {path} as thread {outcome.thread_id}: {records} comments "
            f"({prepared.parsed.format}), {folded} folded into earlier ones",
            file=sys.stderr,
        )
    return 0


def _already_imported(path: Path, thread_id: int) -> None:
    print(f"threadmark: {path} is already imported as thread {thread_id}", file=sys.stderr)


def cmd_stats(args: argparse.Namespace) -> int:
    from store.database import open_database
    from store.stats import thread_stats

    db = open_database(args.db, create=False)
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
    from store.database import open_database
    from store.exporters import export

    db = open_database(args.db, create=False)
    _check_thread(db, args.thread)
    if args.output == "-":
        # The same bytes as -o FILE, whatever the locale or PYTHONIOENCODING says.
        sys.stdout.reconfigure(encoding="utf-8", newline="")
        export(db, args.format, sys.stdout, args.thread)
        sys.stdout.flush()
        return 0
    target = Path(args.output)
    if not target.name or target.is_dir():
        raise ThreadmarkError(f"-o {args.output!r} is not a file name")
    if _same_file(target, args.db):
        raise ThreadmarkError(f"-o {target} is the database itself; choose another file")
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            export(db, args.format, out, args.thread)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ThreadmarkError(f"cannot write {target}: {error.strerror}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    print(f"wrote {target}", file=sys.stderr)
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
}

if __name__ == "__main__":
    sys.exit(main())
