"""The argument graph for Graphviz: DOT to lay out and draw as one likes, and the SVG that
Graphviz's ``dot`` draws of it.

The nodes are the linked units, each labelled with its name and the start of its words; an
edge goes from the unit that links to the unit it links, coloured and drawn by kind, and a
legend shows the kinds the graph uses.  Conclusions sit above what supports or attacks them.

A label is made to be read, not to keep the text: one line of visible words
(``arguments.plain_line``), cut to a few short lines, far below Graphviz's 16 KB limit on a
label.  In it ``\\`` and ``"`` are escaped, and ``&`` is written ``&amp;``: Graphviz reads HTML
entities in labels, so ``&#27;`` would otherwise put an ESC into the SVG.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import textwrap
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from store.errors import ThreadmarkError
from store.exporters.arguments import (
    ArgumentGraph,
    UnitKey,
    argument_graph,
    plain_line,
    shortened,
)
from store.exporters.options import ExportOptions

DOT_PROGRAM = "dot"
LINK_STYLES = {  # each kind's edge attributes, in the legend's order
    "supports": 'color="#2e7d32"',
    "rebuts": 'color="#c62828"',
    "undercuts": 'color="#ef6c00", style=dashed',
    "rephrases": 'color="#1565c0", style=dotted, arrowhead=empty',
}
LABEL_WORDS = 90  # characters of a unit's words in its label
LABEL_LINE = 30  # characters a label line holds before it wraps
FONT = 'fontname="Helvetica"'


def write_dot(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    with argument_graph(db, thread_id, options) as graph:
        for line in dot_lines(graph):
            out.write(line + "\n")


def write_svg(
    db: sqlite3.Connection, out: BinaryIO, thread_id: int | None, options: ExportOptions
) -> None:
    """The DOT export drawn by Graphviz, which must be installed: there is no other drawer."""
    program = shutil.which(DOT_PROGRAM)
    if program is None:
        raise ThreadmarkError("the svg format needs Graphviz's dot program; install graphviz")
    with argument_graph(db, thread_id, options) as graph:
        source = "".join(line + "\n" for line in dot_lines(graph))
    drawn = subprocess.run(
        [program, "-Tsvg"], input=source.encode("utf-8"), capture_output=True, check=False
    )
    if drawn.returncode != 0:
        reason = drawn.stderr.decode("utf-8", "replace").strip().splitlines() or ["no reason"]
        raise ThreadmarkError(f"Graphviz's dot could not draw the graph: {reason[0]}")
    out.write(drawn.stdout)


def dot_lines(graph: ArgumentGraph) -> Iterator[str]:
    """The graph in the DOT language, a statement a line."""
    yield "digraph arguments {"
    yield f"  graph [rankdir=BT, nodesep=0.3, {FONT}, fontsize=10];"
    yield f'  node [shape=box, style="rounded,filled", fillcolor="#f5f5f5", {FONT}, fontsize=10];'
    yield f"  edge [{FONT}, fontsize=9];"
    ids: dict[UnitKey, str] = {}  # a linked unit -> its node
    for unit in graph.linked_units():
        ids[unit.key] = f"u{len(ids) + 1}"
        words = textwrap.wrap(shortened(plain_line(unit.text), LABEL_WORDS), LABEL_LINE)
        yield f"  {ids[unit.key]} [label={_label([graph.name(unit), *words])}];"
    for link in graph.links:
        yield f"  {ids[link.source]} -> {ids[link.target]} [{LINK_STYLES[link.kind]}];"
    kinds = {link.kind for link in graph.links}
    if kinds:
        yield from _legend([kind for kind in LINK_STYLES if kind in kinds])
    yield "}"


def _label(lines: list[str]) -> str:
    """A quoted DOT label of these lines (each one line already), centred."""
    escaped = (
        line.replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;") for line in lines
    )
    return '"' + "\\n".join(escaped) + '"'


def _legend(kinds: list[str]) -> Iterator[str]:
    yield "  subgraph cluster_legend {"
    yield f'    label="links"; {FONT}; fontsize=9; color="#bdbdbd";'
    yield f"    node [shape=plaintext, style=solid, {FONT}, fontsize=9];"
    for kind in kinds:
        yield f'    legend_{kind} [label="{kind}"];'
        yield f'    legend_{kind}_end [label="", shape=point, width=0.04];'
        yield f"    legend_{kind} -> legend_{kind}_end [{LINK_STYLES[kind]}];"
    yield "  }"
