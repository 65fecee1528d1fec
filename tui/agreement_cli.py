"""``threadmark agreement``: how far the annotators of a thread agree, as tables or JSON.

The numbers are :func:`store.agreement.thread_agreement`'s.  The tables fit 80 columns and show
every name (user text) inertly; with fewer than two annotators there is nothing to compare, so
the command says so and succeeds (``--json`` still prints the report, every value null with its
reason).
"""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import TYPE_CHECKING

from rich.cells import cell_len

from tui.cli import ArgumentParser, _check_thread, add_db_option, add_thread_option
from tui.inert import cut, inert

if TYPE_CHECKING:
    from store.agreement import Report, Scores

WIDTH = 80
NAME_WIDTH = 30
# The columns after the name: (heading, the statistic, its width).
COLUMNS = (
    ("kappa", "cohen_kappa", 7),
    ("fleiss", "fleiss_kappa", 7),
    ("alpha", "krippendorff_alpha", 7),
    ("agree", "percent_agreement", 7),
    ("items", "items", 9),
)
LEGEND = (
    "kappa: Cohen's (the mean over pairs with more than two annotators); fleiss: Fleiss' "
    "kappa; alpha: Krippendorff's (nominal); agree: percent agreement"
)
TAGS_TITLE = "Tags on whole comments (items: the comments, tombstones left out)"
SEGMENTS_TITLE = "Tags on segments (items: the sentences of the comments anyone segmented)"
LINKS_TITLE = "Links (items: the pairs of comments or segments anyone linked)"
UNDEFINED = "n/a"


def _names(text: str) -> list[str]:
    """``--annotators a,b,...``: the names, each trimmed, empty ones dropped."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one annotator")
    return names


def agreement_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="threadmark agreement",
        description="Inter-annotator agreement per tag, on whole comments and on sentences, "
        "and on links: Cohen's kappa for each pair, Fleiss' kappa, Krippendorff's alpha "
        "(nominal) and percent agreement.  What an annotator did not tag counts as absent.",
    )
    add_db_option(parser)
    add_thread_option(parser)
    parser.add_argument(
        "--annotators",
        type=_names,
        default=None,
        metavar="A,B,...",
        help="compare these (default: everyone who tagged or linked there)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    return parser


def cmd_agreement(args: argparse.Namespace) -> int:
    from store.agreement import thread_agreement
    from store.database import open_for_reading

    db = open_for_reading(args.db)
    _check_thread(db, args.thread)
    report = thread_agreement(db, args.thread, args.annotators)
    if args.json:
        print(json.dumps(report, allow_nan=False))
    else:
        print("\n".join(report_lines(report, args.thread)))
    return 0


def report_lines(report: Report, thread_id: int | None) -> list[str]:
    """The report as tables of at most WIDTH cells, names shown inertly."""
    from store.agreement import NEEDS_TWO

    annotators = report["annotators"]
    where = "the database" if thread_id is None else f"thread {thread_id}"
    if len(annotators) < 2:
        who = f"only {annotators[0]}" if annotators else "nobody"
        return [_fit(f"{NEEDS_TWO}: {who} tagged or linked in {where}")]
    lines = _wrapped(f"Agreement in {where} between {', '.join(annotators)}")
    lines += textwrap.wrap(LEGEND, WIDTH)
    for title, entries in (
        (TAGS_TITLE, report["tags"]),
        (SEGMENTS_TITLE, report["segments"]),
        (LINKS_TITLE, {"links": report["links"]}),
    ):
        lines += ["", title, _heading(), *_table(entries, len(annotators) > 2)]
    return lines


def _table(entries: dict[str, Scores], with_pairs: bool) -> list[str]:
    """One row per tag someone used (with each pair's kappa when there are more than two
    annotators), then the tags nobody used."""
    from store.agreement import NOT_USED

    if all(entry["items"] == 0 for entry in entries.values()):
        return ["no items"]
    lines = []
    unused = []
    for name, entry in entries.items():
        if entry["reasons"].get("fleiss_kappa") == NOT_USED:
            unused.append(name)
            continue
        lines += _rows(name, entry)
        if with_pairs:
            pairs = (f"{pair} {_number('cohen_kappa', k)}" for pair, k in entry["pairs"].items())
            lines += _wrapped(f"pairs' kappa: {', '.join(pairs)}", indent="  ")
    if unused:
        lines += _wrapped(f"not used by anyone: {', '.join(unused)}")
    return lines


def _heading() -> str:
    return " " * NAME_WIDTH + "".join(f"  {head:>{width}}" for head, _, width in COLUMNS)


def _rows(name: str, entry: Scores) -> list[str]:
    """The row of one entry, then a line for each reason a value of it is undefined."""
    shown = cut(inert(name), NAME_WIDTH)
    row = shown + " " * (NAME_WIDTH - cell_len(shown))
    for _, key, width in COLUMNS:
        row += f"  {_number(key, entry[key]):>{width}}"
    lines = [row]
    undefined: dict[str, list[str]] = {}
    for head, key, _ in COLUMNS:
        if (reason := entry["reasons"].get(key)) is not None:
            undefined.setdefault(reason, []).append(head)
    for reason, heads in undefined.items():
        lines.append(_fit(f"  {', '.join(heads)} {UNDEFINED}: {reason}"))
    return lines


def _number(key: str, value: float | int | None) -> str:
    if value is None:
        return UNDEFINED
    if key == "items":
        return f"{value:,}"
    if key == "percent_agreement":
        return f"{value:.1f}%"
    return f"{value:.3f}"


def _fit(text: str) -> str:
    """``text`` inert, on one line of at most WIDTH cells."""
    return cut(inert(text), WIDTH)


def _wrapped(text: str, indent: str = "") -> list[str]:
    """``text`` inert, in lines of at most WIDTH cells (a wide character counts two)."""
    return [
        cut(line, WIDTH)
        for line in textwrap.wrap(
            inert(text), WIDTH, initial_indent=indent, subsequent_indent=indent
        )
    ]


SUBCOMMANDS = {"agreement": (agreement_parser, cmd_agreement)}
