"""The argument graph as AIF, in the JSON form AIFdb serves and OVA, arguebuf and the other AIF
tools read: ``nodes``, ``edges``, ``locutions`` and ``participants``.

Each linked or tagged unit is an I node (its words).  A person's link becomes a scheme node
between two of them, named as AIFdb names its defaults: ``rebuts`` a CA (Default Conflict,
attacker -> CA -> attacked), ``supports`` an RA (Default Inference, premise -> RA ->
conclusion), ``rephrases`` an MA (Default Rephrase, the rephrasing -> MA -> the rephrased).

``undercuts`` points at a unit, as every threadmark link does, while AIF undercuts attack an
inference.  So the CA aims at the inferences the target unit takes part in: every RA it is
the premise or the conclusion of.  When it takes part in none, there is no inference to
attack and the CA attacks the unit's I node, as a rebuttal would.

The dialogue is the IAT layer AIFdb keeps beside the propositions, for comments with an
author: an L node per comment ("author : words"), a YA (Asserting) from it to each of its I
nodes, a TA (Default Transition) from a comment's L to the L of each reply to it (when both
hold units), and a participant per author, each L's locution naming its speaker.  Times are
AIFdb's ``YYYY-MM-DD HH:MM:SS`` in UTC: a comment's own, else when its unit was first tagged
or linked; a scheme node's is when its link was drawn.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from array import array
from bisect import bisect_left
from datetime import UTC, datetime
from typing import Any, TextIO

from store.exporters.arguments import ArgumentGraph, UnitKey, argument_graph
from store.exporters.options import ExportOptions

# AIFdb's names and ids for the default schemes, by the node type that carries each.
CONFLICT = ("CA", "Default Conflict", "71")
INFERENCE = ("RA", "Default Inference", "72")
ASSERTING = ("YA", "Asserting", "74")
TRANSITION = ("TA", "Default Transition", "82")
REPHRASE = ("MA", "Default Rephrase", "144")
LINK_SCHEMES = {"rebuts": CONFLICT, "undercuts": CONFLICT, "rephrases": REPHRASE}


def write_aif(
    db: sqlite3.Connection, out: TextIO, thread_id: int | None, options: ExportOptions
) -> None:
    """One AIF JSON document of the thread's (or all threads') argument graph."""
    with (
        argument_graph(db, thread_id, options) as graph,
        tempfile.TemporaryFile("w+", encoding="utf-8") as edges,
        tempfile.TemporaryFile("w+", encoding="utf-8") as locutions,
    ):
        _AifDocument(out, edges, locutions).write(graph)


def _dumped(value: object, depth: int) -> str:
    """``value`` as ``json.dumps(..., indent=1)`` writes it ``depth`` levels deep in a
    document: JSON strings hold no raw line end, so each line end is one of the layout's.
    DEL is escaped as the JSON export escapes it: legal raw, but it makes a file look binary."""
    text = json.dumps(value, ensure_ascii=False, indent=1)
    return text.replace("\n", "\n" + " " * depth).replace("\x7f", "\\u007f")


def aif_time(value: str) -> str:
    """An ISO 8601 time as AIFdb writes one, in UTC; empty (AIF tools then take none) when
    the value is not a time at all, as an imported file may hold."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="seconds")


class _Items:
    """A JSON array's items written as they come, laid out as ``json.dumps(..., indent=1)``
    lays out an array two levels deep in a document, and closed with ``close``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.count = 0

    def add(self, item: dict[str, Any]) -> None:
        self.stream.write((",\n  " if self.count else "\n  ") + _dumped(item, 2))
        self.count += 1

    def close(self) -> None:
        self.stream.write("\n ]" if self.count else "]")


class _AifDocument:
    """Nodes and edges numbered as they are made, AIFdb's ids being strings of numbers.

    The document is ``json.dumps(..., ensure_ascii=False, indent=1)`` of ``{"nodes": ...,
    "edges": ..., "locutions": ..., "participants": ...}`` and a line end.  Nodes are written
    as they are made; edges and locutions, made alongside them but written after, wait in
    temporary files; only the participants (one per author) are held.
    """

    def __init__(self, out: TextIO, edges: TextIO, locutions: TextIO) -> None:
        self.out = out
        self.nodes = _Items(out)
        self.edges = _Items(edges)  # temporary files, read back once the nodes are written
        self.locutions = _Items(locutions)
        self.participants: dict[str, str] = {}  # author -> participantID

    def write(self, graph: ArgumentGraph) -> None:
        self.out.write('{\n "nodes": [')
        self._add(graph)
        self.nodes.close()
        for name, items in (("edges", self.edges), ("locutions", self.locutions)):
            # locutions is always there: it is how readers tell AIF apart
            self.out.write(f',\n "{name}": [')
            items.close()
            items.stream.seek(0)
            shutil.copyfileobj(items.stream, self.out)
        self.out.write(',\n "participants": [')
        participants = _Items(self.out)
        for author, id in self.participants.items():
            participants.add({"participantID": id, "firstname": author, "surname": ""})
        participants.close()
        self.out.write("\n}\n")

    def node(self, type: str, text: str, time: str, **scheme: str) -> str:
        node_id = str(self.nodes.count + 1)
        self.nodes.add({"nodeID": node_id, "text": text, "type": type, "timestamp": time, **scheme})
        return node_id

    def scheme(self, scheme: tuple[str, str, str], time: str) -> str:
        type, name, scheme_id = scheme
        return self.node(type, name, time, scheme=name, schemeID=scheme_id)

    def edge(self, source: str, target: str) -> None:
        self.edges.add(
            {
                "edgeID": str(self.edges.count + 1),
                "fromID": source,
                "toID": target,
                "formEdgeID": None,
            }
        )

    def between(self, source: str, scheme: tuple[str, str, str], target: str, time: str) -> str:
        """``source -> scheme node -> target``, how AIF says one node bears on another; the
        scheme node's id."""
        middle = self.scheme(scheme, time)
        self.edge(source, middle)
        self.edge(middle, target)
        return middle

    def _add(self, graph: ArgumentGraph) -> None:
        """Every node, in this order: the units' I nodes (so the unit at place N is node N),
        the links' scheme nodes, then the dialogue's."""
        atoms: dict[UnitKey, str] = {}  # a linked unit -> its I node
        for unit in graph.units():
            atom = self.node("I", unit.text, aif_time(unit.created_at))
            if unit.linked:
                atoms[unit.key] = atom
        inferences: dict[UnitKey, list[str]] = {}  # a unit -> the RAs it is premise or end of
        for link in graph.links:
            if link.kind == "supports":
                time = aif_time(link.created_at)
                inference = self.between(atoms[link.source], INFERENCE, atoms[link.target], time)
                for end in (link.source, link.target):
                    inferences.setdefault(end, []).append(inference)
        for link in graph.links:
            if link.kind == "supports":
                continue
            targets = inferences.get(link.target, []) if link.kind == "undercuts" else []
            for target in targets or [atoms[link.target]]:
                time = aif_time(link.created_at)
                self.between(atoms[link.source], LINK_SCHEMES[link.kind], target, time)
        self._add_dialogue(graph)

    def _add_dialogue(self, graph: ArgumentGraph) -> None:
        """An L node per comment with an author, then the YAs from each to its units' I
        nodes, then the TAs between replies: a pass over the comments each."""
        speakers = array("q")  # the ids of the comments with an L node, in order
        first = self.nodes.count + 1  # the first L node's id; the others follow it
        for comment in graph.comments():
            if not comment.author:
                continue
            time = aif_time(comment.created_at)
            speech = self.node("L", f"{comment.author} : {comment.text}", time)
            speakers.append(comment.id)
            person = self.participants.setdefault(comment.author, str(len(self.participants) + 1))
            self.locutions.add(
                {
                    "nodeID": speech,
                    "personID": person,
                    "timestamp": time,
                    "start": None,
                    "end": None,
                    "source": None,
                }
            )

        def locution(comment_id: int) -> str | None:
            """The comment's L node, if it has one."""
            at = bisect_left(speakers, comment_id)
            found = at < len(speakers) and speakers[at] == comment_id
            return str(first + at) if found else None

        for comment in graph.comments():
            speech = locution(comment.id)
            if speech is not None:
                time = aif_time(comment.created_at)
                for place in comment.units:
                    self.between(speech, ASSERTING, str(place), time)
        for comment in graph.comments():
            speech = locution(comment.id)
            for parent in comment.replies_to:
                said = locution(parent)
                if speech is not None and said is not None:
                    time = aif_time(comment.created_at)
                    self.between(said, TRANSITION, speech, time)
