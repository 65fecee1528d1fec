"""``threadmark adjudicate``: the disagreements of a thread for scripts, and the agreed units
accepted into the adjudicator's layer in one go.

The logic is :mod:`store.adjudication`'s; the disagreements themselves are settled in the
reader (``R``), one decision a key.  ``--list`` writes one line a disagreement on stdout (tab
separated: the unit, what is coded, its status, then each annotator's version), or with
``--json`` one array; a summary goes to stderr.  Names, tags and labels are shown inertly.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from tui.agreement_cli import _names
from tui.cli import ArgumentParser, add_db_option, add_thread_option, say
from tui.inert import inert
from tui.scripting import _add_annotator_option, _thread
from tui.wording import plural

if TYPE_CHECKING:
    from store.adjudication import Case, Review

NO_CODES = "-"


def adjudicate_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="threadmark adjudicate",
        description="Settle the annotators' differences into one layer, the adjudicator's "
        "(--annotator gold): list the units where they differ, or accept every unit they all "
        "coded alike.  Disagreements are settled in the reader: R.",
    )
    add_db_option(parser)
    add_thread_option(parser)
    _add_annotator_option(parser)
    parser.add_argument(
        "--annotators",
        type=_names,
        default=None,
        metavar="A,B,...",
        help="compare these (default: everyone who coded the thread, adjudicators left out)",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--list", action="store_true", help="the disagreements, one a line, and their status"
    )
    action.add_argument(
        "--accept-agreed",
        action="store_true",
        help="give the adjudicator's layer every unit the annotators coded alike, in one "
        "transaction",
    )
    parser.add_argument("--json", action="store_true", help="with --list: one JSON array")
    return parser


def cmd_adjudicate(args: argparse.Namespace) -> int:
    from store import adjudication
    from store.database import open_database, open_for_reading
    from store.errors import ThreadmarkError

    if args.json and not args.list:
        raise ThreadmarkError("--json goes with --list")
    if args.accept_agreed:
        db = open_database(args.db, create=False)
        thread_id = _thread(db, args.thread)
        accepted = adjudication.accept_agreed(db, thread_id, args.annotator, args.annotators)
        say(
            f"accepted {plural(accepted.accepted, 'agreed unit')} into {args.annotator}'s layer "
            f"in thread {thread_id} ({accepted.already:,} already there)"
        )
        return 0
    db = open_for_reading(args.db)
    thread_id = _thread(db, args.thread)
    found = adjudication.review(db, thread_id, args.annotator, args.annotators)
    disagreements = found.disagreements
    if args.json:
        print(json.dumps([_record(found, case) for case in disagreements]))
    else:
        for case in disagreements:
            print("\t".join(inert(cell) for cell in _cells(found, case)))
    settled = sum(case.settled for case in disagreements)
    say(
        f"{settled:,} of {plural(len(disagreements), 'disagreement')} settled in thread "
        f"{thread_id} by {args.annotator} (comparing {', '.join(found.annotators)})"
    )
    return 0


def _cells(found: Review, case: Case) -> list[str]:
    """A line's fields: unit, what, status, then ``name: codes`` for each annotator."""
    versions = [
        f"{name}: {', '.join(found.names(case, codes)) or NO_CODES}"
        for name, codes in case.versions.items()
    ]
    return [" -> ".join(case.labels), _what(case), case.status(), *versions]


def _record(found: Review, case: Case) -> dict:
    """A disagreement as JSON: its units (names, comment ids, spans), the codes by name."""
    decision = case.decision
    return {
        "what": _what(case),
        "units": list(case.labels),
        "clusters": [unit.cluster_id for unit in case.item.units],
        "spans": [unit.span and list(unit.span) for unit in case.item.units],
        "versions": {name: found.names(case, codes) for name, codes in case.versions.items()},
        "adjudicator_codes": found.names(case, case.gold),
        "settled": case.settled,
        "decision": decision and {"choice": decision.choice, "annotator": decision.annotator},
    }


def _what(case: Case) -> str:
    return "link" if case.item.is_link else "tags"


SUBCOMMANDS = {"adjudicate": (adjudicate_parser, cmd_adjudicate)}
