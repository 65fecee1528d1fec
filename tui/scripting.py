"""``threadmark tag``, ``link``, ``note`` and ``tags``: the reader's changes, from a script.

Each change is the store call the reader's key makes, journaled the same way, so ``z`` in the
reader undoes a scripted change of the same annotator.  Comments and their parts are named as
the reader names them (``4``, ``4.2``, ``4.2-3``, ``4:10-52``: see store.units) in one thread:
``--thread``, else the database's only one (with several, the command names them and stops,
rather than guess).  A change that is already so (a tag that is there) says so, changes
nothing and exits 0, so a script can run twice.  What a command did is one line on stderr;
only ``tags list`` writes to stdout.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys

from rich.cells import cell_len

from store.errors import ThreadmarkError
from tui.cli import ArgumentParser, add_db_option, add_thread_option, default_annotator, say
from tui.inert import inert, one_line
from tui.wording import plural

THREADS_NAMED = 5  # threads an error lists when the command must be told which one
NO_HOTKEY = "none"
# The ``tags`` actions that set one column of a tag: the column, and its word in messages.
TAG_COLUMNS = {
    "rename": ("name", "name"),
    "recolour": ("color", "colour"),
    "hotkey": ("hotkey", "hotkey"),
}


def _annotator(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("an annotator's name cannot be empty")
    return text


def _colour(text: str) -> str:
    """``#rrggbb``, or ``rrggbb``: an unquoted ``#`` starts a comment in the shell."""
    return text if text.startswith("#") else f"#{text}"


def _hotkey(text: str) -> str | None:
    return None if text == NO_HOTKEY else text


def _add_annotator_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--annotator",
        type=_annotator,
        default=default_annotator(),
        help="whose change it is (default: $THREADMARK_ANNOTATOR, else the login name)",
    )


def _parser(name: str, description: str) -> ArgumentParser:
    """The parser of a command that changes units: the database, the thread they are
    numbered in, and whose change it is."""
    parser = ArgumentParser(prog=f"threadmark {name}", description=description)
    add_db_option(parser)
    add_thread_option(parser)
    _add_annotator_option(parser)
    return parser


UNIT_HELP = "4 (comment #4 of the thread), 4.2 (its second sentence), 4.2-3, 4:10-52 (a range)"


def tag_parser() -> ArgumentParser:
    parser = _parser(
        "tag",
        "Tag a comment or a part of it, or every comment a search finds; --remove untags.",
    )
    parser.add_argument("unit", nargs="?", metavar="ID", help=UNIT_HELP)
    parser.add_argument("tag", metavar="TAG", help="a tag's name (any case), else a hotkey")
    parser.add_argument(
        "--search",
        metavar="QUERY",
        help="instead of ID: every comment of the thread the reader's search (/) finds, "
        "deleted ones left out, in one transaction",
    )
    parser.add_argument("--remove", action="store_true", help="untag instead")
    return parser


def link_parser() -> ArgumentParser:
    from store.schema import HUMAN_LINK_KINDS

    parser = _parser(
        "link", "Link two comments or parts of them (SOURCE rebuts TARGET); --remove unlinks."
    )
    parser.add_argument("source", metavar="SOURCE", help=UNIT_HELP)
    parser.add_argument("target", metavar="TARGET", help="as SOURCE")
    parser.add_argument("--kind", required=True, choices=HUMAN_LINK_KINDS)
    parser.add_argument("--note", default=None, help="a note on the new link")
    parser.add_argument("--remove", action="store_true", help="remove the link instead")
    return parser


def note_parser() -> ArgumentParser:
    parser = _parser("note", "Write your note on a comment or a part of it.")
    parser.add_argument("unit", metavar="ID", help=UNIT_HELP)
    parser.add_argument(
        "text",
        metavar="TEXT",
        help="the note, replacing yours; empty removes it; - reads it from stdin",
    )
    return parser


class CodebookParser(ArgumentParser):
    """``threadmark tags`` with no action, or only options, lists the codebook."""

    def parse_args(self, args: list[str], namespace=None):
        if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(args, namespace)


def tags_parser() -> ArgumentParser:
    parser = CodebookParser(
        prog="threadmark tags",
        description="The codebook: list it (the default), add, rename, recolour, give a "
        "hotkey, delete.  Changes are journaled, not undone by z.",
    )
    actions = parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    listing = actions.add_parser("list", help="name, hotkey, colour and uses of every tag")
    add_db_option(listing)
    listing.add_argument("--json", action="store_true", help="one JSON array")
    add = _tag_action(actions, "add", "add a tag (its hotkey: the first free one)", "name")
    add.add_argument("--color", "--colour", type=_colour, default=None, metavar="#RRGGBB")
    add.add_argument("--hotkey", default=None, metavar="1-9")
    add.add_argument("--description", default="")
    _tag_action(actions, "rename", "rename a tag; its annotations keep it", "name", "new")
    recolour = _tag_action(actions, "recolour", "give a tag another colour", "name")
    recolour.add_argument("color", type=_colour, metavar="#RRGGBB")
    hotkey = _tag_action(actions, "hotkey", "give a tag a hotkey, or none", "name")
    hotkey.add_argument("hotkey", type=_hotkey, metavar=f"1-9|{NO_HOTKEY}")
    delete = _tag_action(actions, "delete", "delete a tag", "name")
    delete.add_argument("--force", action="store_true", help="even one in use, with its uses")
    return parser


def _tag_action(actions, action: str, help: str, *names: str) -> ArgumentParser:
    """A ``tags`` action that changes the codebook, with its positional NAME (and NEW)."""
    parser = actions.add_parser(action, help=help, description=help[0].upper() + help[1:] + ".")
    for name in names:
        parser.add_argument(name, metavar=name.upper())
    add_db_option(parser)
    _add_annotator_option(parser)
    return parser


def cmd_tag(args: argparse.Namespace) -> int:
    from store.annotate import tag_units
    from store.codebook import find_tag
    from store.queries import RowFilter, filtered_ids
    from store.segments import Unit, unit_name
    from store.units import unit_in_thread

    if (args.unit is None) == (args.search is None):
        raise ThreadmarkError("name one comment (ID) or --search QUERY")
    if args.search is not None and not args.search.strip():
        raise ThreadmarkError("--search needs words to search for")
    db = _open(args)
    thread_id = _thread(db, args.thread)
    tag = find_tag(db, args.tag)
    verb = "untagged" if args.remove else "tagged"
    if args.search is None:
        unit = unit_in_thread(db, thread_id, args.unit)
        label = unit_name(db, unit)
        if tag_units(db, [unit], tag.id, args.annotator, remove=args.remove):
            say(f"{verb} {label} {tag.name}")
        else:
            state = "is not" if args.remove else "is already"
            say(f"{label} {state} tagged {tag.name}; nothing changed")
        return 0
    found = filtered_ids(
        db, thread_id, args.annotator, RowFilter(hide_tombstones=True, search=args.search)
    )
    changed = tag_units(db, map(Unit, found), tag.id, args.annotator, remove=args.remove)
    say(
        f"{verb} {plural(changed, 'comment')} {tag.name} of the {plural(len(found), 'comment')} "
        f"matching {args.search!r}"
    )
    return 0


def cmd_link(args: argparse.Namespace) -> int:
    from store.annotate import add_link, remove_link
    from store.segments import unit_name
    from store.units import unit_in_thread

    if args.remove and args.note is not None:
        raise ThreadmarkError("--note goes with a new link, not with --remove")
    db = _open(args)
    thread_id = _thread(db, args.thread)
    source = unit_in_thread(db, thread_id, args.source)
    target = unit_in_thread(db, thread_id, args.target)
    link = f"{unit_name(db, source)} {args.kind} {unit_name(db, target)}"
    ends = (source.cluster_id, target.cluster_id, args.kind, args.annotator)
    spans = {"source_span": source.span, "target_span": target.span}
    if args.remove:
        removed = remove_link(db, *ends, **spans)
        say(f"unlinked {link}" if removed else f"there is no link {link}; nothing changed")
    else:
        made = add_link(db, *ends, note=args.note or "", **spans)
        say(f"linked {link}" if made else f"already linked: {link}; nothing changed")
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    from store.annotate import note_text, set_note
    from store.segments import unit_name
    from store.units import unit_in_thread

    text = _stdin_text() if args.text == "-" else args.text
    db = _open(args)
    unit = unit_in_thread(db, _thread(db, args.thread), args.unit)
    label = unit_name(db, unit)
    before = note_text(db, unit.cluster_id, args.annotator, unit.span)
    set_note(db, unit.cluster_id, args.annotator, text, span=unit.span)
    after = note_text(db, unit.cluster_id, args.annotator, unit.span)
    if before == after:
        state = f"your note on {label} is already that" if after else f"you have no note on {label}"
        say(f"{state}; nothing changed")
    elif after is None:
        say(f"removed the note on {label}")
    else:
        say(f"noted {label}" if before is None else f"replaced the note on {label}")
    return 0


def cmd_tags(args: argparse.Namespace) -> int:
    if args.action == "list":
        from store.database import open_for_reading

        _list_tags(open_for_reading(args.db), as_json=args.json)
        return 0
    from store import annotate
    from store.codebook import find_tag

    db = _open(args)
    if args.action == "add":
        tag = annotate.create_tag(
            db,
            args.name,
            args.annotator,
            color=args.color,
            hotkey=args.hotkey,
            description=args.description,
        )
        say(f"added tag {tag.name} (hotkey {tag.hotkey or NO_HOTKEY}, {tag.color})")
        return 0
    tag = find_tag(db, args.name)
    if args.action == "delete":
        try:
            removed = annotate.delete_tag(db, tag.id, args.annotator, force=args.force)
        except annotate.TagInUse as error:
            raise ThreadmarkError(f"{error}: --force deletes it and them") from None
        uses = f" and its {plural(removed, 'annotation')}" if removed else ""
        say(f"deleted tag {tag.name}{uses}")
        return 0
    if args.action == "rename":
        changed = annotate.rename_tag(db, tag.id, args.new, args.annotator)
    elif args.action == "recolour":
        changed = annotate.recolour_tag(db, tag.id, args.color, args.annotator)
    else:
        changed = annotate.set_tag_hotkey(db, tag.id, args.hotkey, args.annotator)
    column, word = TAG_COLUMNS[args.action]
    before = getattr(tag, column) or NO_HOTKEY
    after = getattr(changed, column) or NO_HOTKEY
    if before == after:
        say(f"tag {tag.name}: its {word} is already {after}; nothing changed")
    else:
        say(f"tag {tag.name}: {word} {before} -> {after}")
    return 0


def _list_tags(db: sqlite3.Connection, *, as_json: bool) -> None:
    """The codebook in its order, on stdout: aligned columns, or one JSON array."""
    from store.codebook import list_tags, tag_uses

    uses = tag_uses(db)
    tags = list_tags(db)
    if as_json:
        listed = [
            {
                "name": tag.name,
                "hotkey": tag.hotkey,
                "color": tag.color,
                "description": tag.description,
                "uses": uses.get(tag.id, 0),
            }
            for tag in tags
        ]
        print(json.dumps(listed))  # ASCII: control and bidi characters in names are escaped
        return
    # Every cell inert: a database made elsewhere may hold anything in any column.
    rows = [("name", "hotkey", "colour", "uses")] + [
        tuple(map(inert, (tag.name, tag.hotkey or "-", tag.color, f"{uses.get(tag.id, 0)}")))
        for tag in tags
    ]
    widths = [max(cell_len(row[column]) for row in rows) for column in range(3)]
    for *padded, last in rows:
        cells = [
            cell + " " * (width - cell_len(cell))
            for cell, width in zip(padded, widths, strict=True)
        ]
        print("  ".join([*cells, last]))


def _open(args: argparse.Namespace) -> sqlite3.Connection:
    """The database to change: one that exists (a change never creates one)."""
    from store.database import open_database

    return open_database(args.db, create=False)


def _thread(db: sqlite3.Connection, wanted: int | None) -> int:
    """The thread units are numbered in: ``--thread``, else the only one."""
    from store.queries import get_thread, list_threads

    if wanted is not None:
        if get_thread(db, wanted) is None:
            raise ThreadmarkError(f"no thread {wanted} in the database")
        return wanted
    threads = list_threads(db)
    if len(threads) == 1:
        return threads[0].id
    if not threads:
        raise ThreadmarkError("the database has no threads yet: import one first")
    named = ", ".join(f"{t.id} {one_line(t.title, 40)!r}" for t in threads[:THREADS_NAMED])
    more = ", ..." if len(threads) > THREADS_NAMED else ""
    raise ThreadmarkError(
        f"the database has {len(threads)} threads: say which with --thread ({named}{more})"
    )


def _stdin_text() -> str:
    """A note read from stdin, less the line ends at its end (as ``$(...)`` drops them)."""
    try:
        return sys.stdin.buffer.read().decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ThreadmarkError("the note on stdin is not UTF-8 text") from None


SUBCOMMANDS = {
    "tag": (tag_parser, cmd_tag),
    "link": (link_parser, cmd_link),
    "note": (note_parser, cmd_note),
    "tags": (tags_parser, cmd_tags),
}
