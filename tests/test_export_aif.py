"""The AIF export: AIFdb's JSON shape, a scheme node per link (undercuts aimed at inferences),
the dialogue layer of authors and replies, read back by arguebuf, and hostile text kept exact.

``argued_thread`` is the thread the three argument-graph exports are tested on (the Argdown
and Graphviz tests use it too): authors, replies, and each kind of link, between comments and
between sentences.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from hypothesis import given

from store import add_link, export, import_file, open_database, toggle_tag
from store.exporters import ExportOptions
from store.exporters.aif import aif_time
from store.segments import comment_sentences
from tests.test_export_properties import (
    ANY_CHARACTER,
    PROPERTY_SETTINGS,
    annotate,
    annotations,
    imported,
    threads,
)

CLAIM = 1
AIF_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
# The argued thread in reading order, so that comment N is the Nth: author, parent, time, text.
ARGUED = [
    ("alice", None, "2024-05-01T10:00:00Z", "Cats make better pets. They need less care."),
    ("bob", 1, "2024-05-01T12:05:00+02:00", "Dogs are more loyal than cats."),
    ("carol", 2, "2024-05-01T10:10:00Z", "Loyalty is beside the point."),
    (None, 2, None, "Nobody asked about loyalty."),
    ("dave", 1, "2024-05-01T10:15:00Z", "Cats sleep all day, so they need little."),
    ("erin", 1, "2024-05-01T10:20:00Z", "Felines beat canines as pets."),
]
AUTHORS = {n: author for n, (author, *_) in enumerate(ARGUED, start=1)}
WORDS = {n: text for n, (*_, text) in enumerate(ARGUED, start=1)}
FIRST, SECOND = "Cats make better pets.", "They need less care."  # #1.1 and #1.2
REPLIES = ((2, 1), (3, 2), (5, 1), (6, 1))  # (reply, parent) where both have an author


def argued_thread(path: Path) -> sqlite3.Connection:
    """The argued thread in a new database at ``path``: bob and ann link, ann tags #1.1.

    #2 rebuts #1 (both say so), #5 supports #1.2, #3 undercuts #5 (which supports: the
    inference is attacked), #4 undercuts #2 (which supports nothing), #6 rephrases #1.
    """
    source = path.parent / "argued.jsonl"
    rows = [
        {"id": str(n), "parent": parent and str(parent), "author": author, "created": time}
        | {"text": text}
        for n, (author, parent, time, text) in enumerate(ARGUED, start=1)
    ]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    db = open_database(path)
    import_file(db, source)
    first, second = comment_sentences(db, 1)
    add_link(db, 2, 1, "rebuts", "bob")
    add_link(db, 2, 1, "rebuts", "ann")
    add_link(db, 5, 1, "supports", "ann", target_span=second)
    add_link(db, 3, 5, "undercuts", "ann")
    add_link(db, 4, 2, "undercuts", "ann")
    add_link(db, 6, 1, "rephrases", "ann")
    toggle_tag(db, 1, CLAIM, "ann", first)
    return db


@pytest.fixture
def argued(tmp_path):
    with closing(argued_thread(tmp_path / "argued.db")) as db:
        yield db


def plain_thread(path: Path) -> sqlite3.Connection:
    """A new database at ``path`` holding a thread of two comments, with no links or authors."""
    source = path.parent / "plain.txt"
    source.write_text("one comment\nand another\n", encoding="utf-8")
    db = open_database(path)
    import_file(db, source)
    return db


@contextmanager
def annotated(comments: list[tuple[str, str | None]], marks: dict) -> Iterator[sqlite3.Connection]:
    """A throwaway database of ``comments`` (text, author), marked as
    ``test_export_properties.annotate`` marks: every comment with words tagged with a new tag,
    a note on the first, and the last rebutting the first."""
    with (
        tempfile.TemporaryDirectory() as directory,
        closing(imported(Path(directory), comments)) as db,
    ):
        annotate(db, marks)
        yield db


def exported(
    db: sqlite3.Connection,
    format: str,
    annotator: str | None = None,
    thread_id: int | None = None,
) -> str:
    out = io.BytesIO()
    export(db, format, out, thread_id, ExportOptions(annotator=annotator))
    return out.getvalue().decode("utf-8")


def aif_of(db: sqlite3.Connection, annotator: str | None = None) -> dict:
    return json.loads(exported(db, "aif", annotator))


def nodes_by_id(document: dict) -> dict[str, dict]:
    return {node["nodeID"]: node for node in document["nodes"]}


def texts(document: dict, type: str) -> list[str]:
    return [node["text"] for node in document["nodes"] if node["type"] == type]


def through(document: dict, *types: str) -> set[tuple[str, str, str]]:
    """(from, to, scheme) for each node of these types, I and L nodes named by their words and
    an RA (an undercut's target) by its premise's: "RA from ..."."""
    nodes = nodes_by_id(document)
    sources, targets = defaultdict(list), defaultdict(list)
    for edge in document["edges"]:
        if nodes[edge["fromID"]]["type"] in ("I", "L"):  # not the undercut that an RA receives
            sources[edge["toID"]].append(edge["fromID"])
        targets[edge["fromID"]].append(edge["toID"])

    def named(node_id: str) -> str:
        if nodes[node_id]["type"] != "RA":
            return nodes[node_id]["text"]
        (premise,) = sources[node_id]
        return f"RA from {nodes[premise]['text']}"

    return {
        (named(source), named(target), node["text"])
        for node_id, node in nodes.items()
        if node["type"] in types
        for source in sources[node_id]
        for target in targets[node_id]
    }


def test_the_export_has_aifdb_s_shape(argued):
    document = aif_of(argued)
    assert list(document) == ["nodes", "edges", "locutions", "participants"]
    nodes = nodes_by_id(document)
    assert len(nodes) == len(document["nodes"])  # ids are unique
    for node in document["nodes"]:
        assert {"nodeID", "text", "type", "timestamp"} <= node.keys()
        assert AIF_TIME.fullmatch(node["timestamp"]), node
        if node["type"] not in ("I", "L"):
            assert node["scheme"] == node["text"] and node["schemeID"].isdigit(), node
    assert len({edge["edgeID"] for edge in document["edges"]}) == len(document["edges"])
    for edge in document["edges"]:
        assert edge.keys() == {"edgeID", "fromID", "toID", "formEdgeID"}
        assert edge["fromID"] in nodes and edge["toID"] in nodes
    for locution in document["locutions"]:
        assert nodes[locution["nodeID"]]["type"] == "L"
        assert locution["timestamp"] == nodes[locution["nodeID"]]["timestamp"]


def test_each_linked_or_tagged_unit_is_an_i_node_and_each_link_a_scheme_node(argued):
    document = aif_of(argued)
    assert texts(document, "I") == [WORDS[1], FIRST, SECOND, *(WORDS[n] for n in range(2, 7))]
    assert through(document, "RA", "CA", "MA") == {
        (WORDS[2], WORDS[1], "Default Conflict"),
        (WORDS[5], SECOND, "Default Inference"),
        (WORDS[3], f"RA from {WORDS[5]}", "Default Conflict"),
        (WORDS[4], WORDS[2], "Default Conflict"),
        (WORDS[6], WORDS[1], "Default Rephrase"),
    }
    # bob's and ann's rebuttal are one conflict
    assert [len(texts(document, type)) for type in ("RA", "CA", "MA")] == [1, 3, 1]


def test_the_dialogue_is_each_author_s_comment_asserting_its_units_and_the_replies(argued):
    document = aif_of(argued)

    def said(number: int) -> str:
        return f"{AUTHORS[number]} : {WORDS[number]}"

    authored = [n for n in WORDS if AUTHORS[n]]  # #4 has none: no locution
    assert texts(document, "L") == [said(n) for n in authored]
    assert through(document, "YA") == {
        (said(1), words, "Asserting") for words in (WORDS[1], FIRST, SECOND)
    } | {(said(n), WORDS[n], "Asserting") for n in authored if n != 1}
    assert through(document, "TA") == {
        (said(parent), said(reply), "Default Transition") for reply, parent in REPLIES
    }
    people = {person["participantID"]: person for person in document["participants"]}
    assert [person["firstname"] for person in people.values()] == [AUTHORS[n] for n in authored]
    nodes = nodes_by_id(document)
    assert [
        (nodes[locution["nodeID"]]["text"], people[locution["personID"]]["firstname"])
        for locution in document["locutions"]
    ] == [(said(n), AUTHORS[n]) for n in authored]


def test_times_are_utc_and_a_unit_without_one_takes_its_first_link_s(argued):
    atoms = {
        node["text"]: node["timestamp"] for node in aif_of(argued)["nodes"] if node["type"] == "I"
    }
    assert atoms[WORDS[1]] == atoms[SECOND] == "2024-05-01 10:00:00"
    assert atoms[WORDS[2]] == "2024-05-01 10:05:00"  # given at +02:00
    # #4's one link drawn by a person (its reply link, made at import, is no argument's time).
    (drawn,) = argued.execute(
        "SELECT created_at FROM links WHERE source_cluster = 4 AND kind = 'undercuts'"
    ).fetchone()
    assert atoms[WORDS[4]] == aif_time(drawn) != ""
    assert aif_time("2024-01-02T03:04:05.678Z") == "2024-01-02 03:04:05"
    assert aif_time("0999-12-31T23:00:00-01:30") == "1000-01-01 00:30:00"
    assert aif_time("yesterday") == ""


def test_arguebuf_reads_the_attacks_the_support_and_the_rephrase(argued, tmp_path, caplog):
    arguebuf = pytest.importorskip("arguebuf")
    path = tmp_path / "argued.aif.json"
    path.write_text(exported(argued, "aif"), encoding="utf-8")
    with caplog.at_level(logging.ERROR):  # it warns of each edge to the dialogue, which it skips
        graph = arguebuf.load.file(path)

    def source(scheme) -> arguebuf.AtomNode:
        """What a scheme node comes from (an RA also receives the attack on it)."""
        (atom,) = (n for n in graph.incoming_nodes(scheme) if isinstance(n, arguebuf.AtomNode))
        return atom

    def named(node) -> str:
        if isinstance(node, arguebuf.AtomNode):
            return node.plain_text
        return f"RA from {source(node).plain_text}"

    links = set()
    for scheme in graph.scheme_nodes.values():
        (target,) = graph.outgoing_nodes(scheme)
        links.add((named(source(scheme)), named(target), scheme.scheme))
    assert links == {
        (WORDS[2], WORDS[1], arguebuf.Attack.DEFAULT),
        (WORDS[5], SECOND, arguebuf.Support.DEFAULT),
        (WORDS[3], f"RA from {WORDS[5]}", arguebuf.Attack.DEFAULT),
        (WORDS[4], WORDS[2], arguebuf.Attack.DEFAULT),
        (WORDS[6], WORDS[1], arguebuf.Rephrase.DEFAULT),
    }
    assert sorted(node.plain_text for node in graph.atom_nodes.values()) == sorted(
        [FIRST, SECOND, *WORDS.values()]
    )
    # arguebuf's AIF reader (2.7) reads no participants or locutions: the test above does.


def test_one_annotator_s_graph_and_a_thread_with_none(argued, tmp_path):
    bob = aif_of(argued, annotator="bob")
    assert texts(bob, "I") == [WORDS[1], WORDS[2]]
    assert through(bob, "RA", "CA", "MA") == {(WORDS[2], WORDS[1], "Default Conflict")}
    assert texts(bob, "L") == [f"alice : {WORDS[1]}", f"bob : {WORDS[2]}"]
    with closing(plain_thread(tmp_path / "plain.db")) as plain:
        empty = aif_of(plain)
    assert empty == {"nodes": [], "edges": [], "locutions": [], "participants": []}


@PROPERTY_SETTINGS
@given(comments=threads(ANY_CHARACTER), marks=annotations)
def test_any_words_and_names_come_out_exactly_in_valid_json(comments, marks):
    with annotated(comments, marks) as db:
        clusters = db.execute(
            "SELECT text, author, is_tombstone FROM clusters ORDER BY id"
        ).fetchall()
        raw = exported(db, "aif")
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f]", raw)  # escaped, never raw
        document = json.loads(raw)
        ends = (0, len(clusters) - 1) if len(clusters) > 1 else ()
        units = [c for n, c in enumerate(clusters) if not c[2] or n in ends]
        assert texts(document, "I") == [text for text, _, _ in units]
        assert texts(document, "L") == [f"{author} : {text}" for text, author, _ in units if author]
        authors = list(dict.fromkeys(author for _, author, _ in units if author))
        assert [person["firstname"] for person in document["participants"]] == authors
