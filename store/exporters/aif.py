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
import sqlite3
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
    document = _AifDocument()
    document.add(argument_graph(db, thread_id, options))
    document.write(out)


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


class _AifDocument:
    """Nodes and edges numbered as they are added, AIFdb's ids being strings of numbers."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []
        self.locutions: list[dict[str, Any]] = []
        self.participants: dict[str, str] = {}  # author -> participantID

    def write(self, out: TextIO) -> None:
        """The document as ``json.dumps(..., ensure_ascii=False, indent=1)`` of
        ``{"nodes": ..., "edges": ..., "locutions": ..., "participants": ...}`` writes it,
        and a line end, each node, edge, locution and participant dumped as it is written
        (never the whole document as one string)."""
        participants = (
            {"participantID": id, "firstname": author, "surname": ""}
            for author, id in self.participants.items()
        )
        sections = {
            "nodes": self.nodes,
            "edges": self.edges,
            "locutions": self.locutions,  # always there: it is how readers tell AIF apart
            "participants": participants,
        }
        out.write("{")
        for number, (name, items) in enumerate(sections.items()):
            out.write((",\n " if number else "\n ") + json.dumps(name) + ": [")
            empty = True
            for item in items:
                out.write(("\n  " if empty else ",\n  ") + _dumped(item, 2))
                empty = False
            out.write("]" if empty else "\n ]")
        out.write("\n}\n")

    def node(self, type: str, text: str, time: str) -> str:
        node_id = str(len(self.nodes) + 1)
        self.nodes.append({"nodeID": node_id, "text": text, "type": type, "timestamp": time})
        return node_id

    def scheme(self, scheme: tuple[str, str, str], time: str) -> str:
        type, name, scheme_id = scheme
        node_id = self.node(type, name, time)
        self.nodes[-1].update(scheme=name, schemeID=scheme_id)
        return node_id

    def edge(self, source: str, target: str) -> None:
        self.edges.append(
            {
                "edgeID": str(len(self.edges) + 1),
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

    def add(self, graph: ArgumentGraph) -> None:
        atoms = {
            key: self.node("I", unit.text, aif_time(unit.created_at))
            for key, unit in graph.units.items()
        }
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
        self._add_dialogue(graph, atoms)

    def _add_dialogue(self, graph: ArgumentGraph, atoms: dict[UnitKey, str]) -> None:
        locutions: dict[int, str] = {}  # comment id -> its L node
        for comment in graph.comments.values():
            if not comment.author:
                continue
            time = aif_time(comment.created_at)
            speech = self.node("L", f"{comment.author} : {comment.text}", time)
            locutions[comment.id] = speech
            person = self.participants.setdefault(comment.author, str(len(self.participants) + 1))
            self.locutions.append(
                {
                    "nodeID": speech,
                    "personID": person,
                    "timestamp": time,
                    "start": None,
                    "end": None,
                    "source": None,
                }
            )
        for key, unit in graph.units.items():
            if unit.comment in locutions:
                time = aif_time(graph.comments[unit.comment].created_at)
                self.between(locutions[unit.comment], ASSERTING, atoms[key], time)
        for comment in graph.comments.values():
            for parent in comment.replies_to:
                if comment.id in locutions and parent in locutions:
                    time = aif_time(comment.created_at)
                    self.between(locutions[parent], TRANSITION, locutions[comment.id], time)
