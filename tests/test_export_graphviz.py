"""The Graphviz exports: DOT of the linked units and the links by kind, with a legend, that
Graphviz's ``dot`` draws as well-formed SVG whatever the comments hold; and the svg format,
which runs ``dot`` and says so in one line when it is missing or fails.

Drawings are judged on the SVG ``dot`` makes: each node's lines of text and each edge's ends
and colour.  Where Graphviz is not installed those tests skip, saying so.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from contextlib import closing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import add_link, export, import_file, open_database, toggle_tag
from store.errors import ThreadmarkError
from store.exporters.arguments import plain_line, shortened
from store.exporters.graphviz import LABEL_LINE, LABEL_WORDS, LINK_STYLES
from tests.test_cli import assert_bad_input
from tests.test_export import HOSTILE
from tests.test_export_aif import SECOND, WORDS, annotated, argued_thread, exported, plain_thread
from tests.test_export_properties import (
    ANY_CHARACTER,
    PROPERTY_SETTINGS,
    annotations,
    threads,
)

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (.ci/run installs it)"
)
# What DOT, Graphviz's labels and its SVG give meaning to, among any other characters.
DOT_SYNTAX = [
    '"', "\\", '\\"', "\\N", "\\G", "\\n", "\\l", "\\\n", "&", "&amp;", "&#27;", "&#x1b;",
    "&nbsp;", "&foo;", "<b>", "</b>", "<", ">", "{", "}", "|", "->", "--", ";", "[", "]", "=",
    "\n", "\r", "\x00", "\x1b", "\x85", "\u2028", "\u202e", "\ufeff", "\ufffe", "]]>", "<!--",
]  # fmt: skip
dot_texts = st.lists(
    st.one_of(st.sampled_from(DOT_SYNTAX), st.characters(exclude_categories=("Cs",))),
    max_size=40,
).map("".join)
dot_threads = st.lists(st.tuples(dot_texts, st.none() | dot_texts), min_size=1, max_size=5).filter(
    lambda comments: any(text.strip() for text, _ in comments)
)


def drawn(dot: str) -> ElementTree.Element:
    """What Graphviz draws of ``dot``, as parsed SVG: it must draw it without complaint."""
    done = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return ElementTree.fromstring(done.stdout)  # raises unless it is well-formed XML


def nodes(svg: ElementTree.Element) -> dict[str, list[str]]:
    """Each node's id and the lines of text drawn in it."""
    return {
        group.findtext(f"{SVG}title"): [text.text or "" for text in group.iter(f"{SVG}text")]
        for group in svg.iter(f"{SVG}g")
        if group.get("class") == "node"
    }


def edges(svg: ElementTree.Element) -> dict[tuple[str, str], str]:
    """Each edge's (tail, head) and the colour it is drawn in."""
    found = {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") == "edge":
            tail, head = group.findtext(f"{SVG}title").split("->")
            found[(tail, head)] = group.find(f"{SVG}path").get("stroke")
    return found


def label_words(lines: list[str]) -> str:
    """A label's words without the spaces it was wrapped at (a long word is cut anywhere)."""
    return "".join(lines).replace(" ", "")


@pytest.fixture
def argued(tmp_path):
    with closing(argued_thread(tmp_path / "argued.db")) as db:
        yield db


def test_the_dot_is_the_linked_units_and_the_links_by_kind(argued):
    dot = exported(argued, "dot")
    assert dot.startswith("digraph arguments {\n") and dot.endswith("}\n")
    units = dict(re.findall(r'^  (u\d+) \[label="([^"\\]*)\\n', dot, re.MULTILINE))
    assert list(units.values()) == ["#1", "#1.2", "#2", "#3", "#4", "#5", "#6"]  # not #1.1
    drawn_links = re.findall(r"^  (u\d+) -> (u\d+) \[(.*)\];$", dot, re.MULTILINE)
    assert {(units[a], units[b], style) for a, b, style in drawn_links} == {
        ("#2", "#1", LINK_STYLES["rebuts"]),
        ("#5", "#1.2", LINK_STYLES["supports"]),
        ("#3", "#5", LINK_STYLES["undercuts"]),
        ("#4", "#2", LINK_STYLES["undercuts"]),
        ("#6", "#1", LINK_STYLES["rephrases"]),
    }
    assert len(set(LINK_STYLES.values())) == len(LINK_STYLES)
    legend = re.findall(r"^    (legend_\w+) -> legend_\w+_end \[(.*)\];$", dot, re.MULTILINE)
    assert legend == [(f"legend_{kind}", style) for kind, style in LINK_STYLES.items()]


@needs_dot
def test_dot_draws_each_unit_s_name_and_words_and_each_link_in_its_legend_colour(argued):
    svg = drawn(exported(argued, "dot"))
    drawn_nodes = nodes(svg)
    names = {id: lines[0] for id, lines in drawn_nodes.items() if id.startswith("u")}
    assert sorted(names.values()) == ["#1", "#1.2", "#2", "#3", "#4", "#5", "#6"]
    for id, name in names.items():
        assert drawn_nodes[id][0] == name
        assert all(len(line) <= LABEL_LINE for line in drawn_nodes[id][1:])
    ids = {name: id for id, name in names.items()}
    assert label_words(drawn_nodes[ids["#1.2"]][1:]) == SECOND.replace(" ", "")
    assert label_words(drawn_nodes[ids["#2"]][1:]) == WORDS[2].replace(" ", "")
    colours = edges(svg)
    legend = {kind: colours[(f"legend_{kind}", f"legend_{kind}_end")] for kind in LINK_STYLES}
    assert len(set(legend.values())) == len(legend)
    assert {
        (names[tail], names[head]): colour
        for (tail, head), colour in colours.items()
        if tail in names
    } == {
        ("#2", "#1"): legend["rebuts"],
        ("#5", "#1.2"): legend["supports"],
        ("#3", "#5"): legend["undercuts"],
        ("#4", "#2"): legend["undercuts"],
        ("#6", "#1"): legend["rephrases"],
    }


@needs_dot
def test_a_thread_with_no_links_is_an_empty_graph(tmp_path):
    with closing(plain_thread(tmp_path / "plain.db")) as db:
        toggle_tag(db, 1, 1, "ann")  # tagged, not linked: no node
        dot = exported(db, "dot")
    assert "->" not in dot and "label" not in dot
    assert (nodes(drawn(dot)), edges(drawn(dot))) == ({}, {})


@needs_dot
def test_hostile_words_are_drawn_as_words_and_long_ones_cut(tmp_path):
    words = [*HOSTILE, '\\N \\G \\l "quoted" &amp; &#27; &nbsp; &foo; <b>html</b> {a|b}']
    words.append("a long comment " * 70_000)  # some 1 MB on one line
    source = tmp_path / "hostile.txt"
    source.write_text("\n".join(words) + "\n", encoding="utf-8")
    with closing(open_database(tmp_path / "hostile.db")) as db:
        import_file(db, source)
        stored = [text for (text,) in db.execute("SELECT text FROM clusters ORDER BY id")]
        for n in range(2, len(stored) + 1):
            add_link(db, n, 1, "rebuts", "ann")
        dot = exported(db, "dot")
    assert len(dot.encode()) < 200 * len(stored) + 3000
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", dot)
    drawn_nodes = nodes(drawn(dot))
    for n, text in enumerate(stored, start=1):
        name, *lines = drawn_nodes[f"u{n}"]
        assert name == f"#{n}"
        assert label_words(lines) == shortened(plain_line(text), LABEL_WORDS).replace(" ", "")


hostile_marks = st.builds(lambda marks, name: {**marks, "tag": name + "t"}, annotations, dot_texts)


@needs_dot
@PROPERTY_SETTINGS
@given(
    comments=st.one_of(threads(ANY_CHARACTER), dot_threads),
    marks=st.one_of(annotations, hostile_marks),
)
def test_any_words_give_dot_that_graphviz_draws_as_well_formed_svg(comments, marks):
    with annotated(comments, marks) as db:
        stored = [text for (text,) in db.execute("SELECT text FROM clusters ORDER BY id")]
        svg = ElementTree.fromstring(export_bytes(db, "svg"))  # well-formed XML, or it raises
    assert svg.tag == f"{SVG}svg"
    units = {id: lines for id, lines in nodes(svg).items() if id.startswith("u")}
    linked = {1, len(stored)} if len(stored) > 1 else set()
    assert sorted(lines[0] for lines in units.values()) == sorted(f"#{n}" for n in linked)
    for name, *lines in units.values():
        text = stored[int(name.removeprefix("#")) - 1]
        assert label_words(lines) == shortened(plain_line(text), LABEL_WORDS).replace(" ", "")


def export_bytes(db, format: str) -> bytes:
    out = io.BytesIO()
    export(db, format, out)
    return out.getvalue()


@needs_dot
def test_the_svg_format_is_what_dot_draws_of_the_dot_format(argued):
    svg = ElementTree.fromstring(export_bytes(argued, "svg"))
    assert nodes(svg) == nodes(drawn(exported(argued, "dot")))


def test_without_graphviz_the_svg_format_is_a_one_line_error(
    argued, tmp_path, monkeypatch, call_cli
):
    monkeypatch.setenv("PATH", str(tmp_path / "no programs here"))
    with pytest.raises(ThreadmarkError, match=r"^the svg format needs Graphviz's dot program; "):
        export_bytes(argued, "svg")
    target = tmp_path / "graph.svg"
    line = assert_bad_input(
        call_cli(
            "export", "--db", tmp_path / "argued.db", "--format", "svg", "-o", target,
            env={"PATH": str(tmp_path / "no programs here")},
        )
    )  # fmt: skip
    assert (
        line == "threadmark: error: the svg format needs Graphviz's dot program; install graphviz"
    )
    assert not target.exists()


def test_a_dot_that_fails_is_a_one_line_error_with_its_reason(argued, tmp_path, monkeypatch):
    programs = tmp_path / "programs"
    programs.mkdir()
    fake = programs / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: <stdin>: syntax error in line 2' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(programs))
    with pytest.raises(ThreadmarkError) as raised:
        export_bytes(argued, "svg")
    assert str(raised.value) == (
        "Graphviz's dot could not draw the graph: Error: <stdin>: syntax error in line 2"
    )
