"""The argument graph as Argdown (argdown.org), for its editor, its maps and its parser.

Each linked or tagged unit is a statement titled as the reader names it, its words on one
line, its tags as Argdown tags and its comment's number and author as YAML data::

    [#4.2]: the words #claim #(two words) {comment: 4, author: "alice"}
        + [#5]
        - [#6.1]
        _ [#7]

Below a statement are the units that bear on it: ``+`` supports it, ``-`` rebuts it, ``_``
undercuts it.  Argdown has no relation for a rephrasing, so a unit that rephrases another
carries the tag ``#(rephrases #2)``: a tag, not an equivalence by title, keeps the two units
apart (each has its own words, author and links) and still groups them on a map.

Every character Argdown reads as syntax is escaped with a backslash; the words are one line,
without controls or bidi characters (see arguments.plain_line), since a line break or a tab
would end or indent a statement.  The YAML is JSON-style strings, all ASCII escapes, braces
too, so nothing in an author's name can end the data early.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import TextIO

from store.exporters.arguments import (
    ArgumentGraph,
    ArgumentUnit,
    UnitKey,
    argument_graph,
    plain_line,
)
from store.exporters.comments import thread_rows
from store.exporters.options import ExportOptions

RELATION_SIGNS = {"supports": "+", "rebuts": "-", "undercuts": "_"}
# What the Argdown lexer reads as syntax at the start of a token (or within one: "//", ".x.",
# ":x:", "==="); a backslash before any character makes it plain text.
_SYNTAX = re.compile(r"([\\/\[\]<>{}#*_+\-:.@=])")
# A tag written bare (#claim) holds only these; any other is written in brackets: #(two words).
_BARE_TAG = re.compile(r"[A-Za-z0-9\-\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef]+")
NO_WORDS = "\u2026"  # a statement must say something: for a unit whose words are all hidden


def write_argdown(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """A heading (Argdown has no empty document), then a statement per unit."""
    threads = thread_rows(db, thread_id)
    title = plain_line(threads[0]["title"] or "") if len(threads) == 1 else ""
    out.write(f"# {escaped(title or 'Argument map')}\n")
    with argument_graph(db, thread_id, options) as graph:
        bearing: dict[UnitKey, list[tuple[str, ArgumentUnit]]] = {}  # target -> (sign, source)
        rephrased: dict[UnitKey, list[str]] = {}  # source -> names of the units it rephrases
        for link in graph.links:
            if link.kind == "rephrases":
                rephrased.setdefault(link.source, []).append(graph.name(graph.ends[link.target]))
            else:
                sign = RELATION_SIGNS[link.kind]
                bearing.setdefault(link.target, []).append((sign, graph.ends[link.source]))
        for unit in graph.units():
            tags = unit.tags + [f"rephrases {name}" for name in rephrased.get(unit.key, [])]
            out.write(f"\n{_statement(graph, unit, tags)}\n")
            for sign, source in bearing.get(unit.key, []):
                out.write(f"    {sign} [{graph.name(source)}]\n")


def escaped(text: str) -> str:
    """``text`` (one plain line already) with a backslash before each character of Argdown's
    syntax, so that the parser reads it back as ``text``."""
    return _SYNTAX.sub(r"\\\1", text)


def tag(name: str) -> str:
    """``#name``, or ``#(name)`` for a name with other characters; a bracketed tag cannot hold
    a closing bracket, so it loses those ("" for a name left with nothing)."""
    name = plain_line(name)
    if _BARE_TAG.fullmatch(name):
        return f"#{name}"
    name = name.replace(")", "").strip()
    return f"#({name})" if name else ""


def _statement(graph: ArgumentGraph, unit: ArgumentUnit, tags: list[str]) -> str:
    words = escaped(plain_line(unit.text)) or NO_WORDS
    data = {"comment": unit.number}
    if unit.author:
        data["author"] = unit.author
    if graph.several_threads:
        data["thread"] = unit.thread
    marks = "".join(f" {mark}" for mark in map(tag, tags) if mark)
    return f"[{graph.name(unit)}]: {words}{marks} {_yaml(data)}"


def _yaml(data: dict[str, object]) -> str:
    """A YAML flow mapping, ``{comment: 4, author: "alice"}``, whose strings are JSON (YAML
    reads JSON) in ASCII with braces escaped as well: Argdown ends its data at a brace."""
    fields = ", ".join(f"{key}: {_ascii_json(value)}" for key, value in data.items())
    return "{" + fields + "}"


def _ascii_json(value: object) -> str:
    return json.dumps(value).replace("{", "\\u007b").replace("}", "\\u007d")
