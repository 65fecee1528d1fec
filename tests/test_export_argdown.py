"""The Argdown export, read by the Argdown parser itself (npm ``@argdown/node``, which
``.ci/run`` installs into ``.ci/node``): statements, relations, tags and data as threadmark
means them, and any text at all escaped so that it parses back to the same words.

One node process parses every document of the module (node takes a second to start); where
node or the package is missing the parsing tests skip, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from contextlib import closing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store import add_link, import_file
from store.exporters.argdown import NO_WORDS, escaped, tag
from store.exporters.arguments import plain_line
from tests.conftest import ROOT
from tests.test_export_aif import (
    FIRST,
    SECOND,
    WORDS,
    annotated,
    argued_thread,
    exported,
    plain_thread,
)
from tests.test_export_properties import (
    ANY_CHARACTER,
    PROPERTY_SETTINGS,
    annotations,
    threads,
)

NODE_MODULES = ROOT / ".ci" / "node" / "node_modules"
# Reads one JSON string (an Argdown document) a line; answers each with one JSON line: the
# statements (title -> the text, tags and data of the member that defines it) and relations.
PARSER = r"""
const {argdown} = require("@argdown/node");
require("readline").createInterface({input: process.stdin}).on("line", (line) => {
  let answer;
  try {
    const response = argdown.run({
      input: JSON.parse(line), process: ["parse-input", "build-model"], logLevel: "error",
      throwExceptions: true, parser: {throwExceptions: true},
    });
    const statements = {};
    for (const [title, statement] of Object.entries(response.statements)) {
      const defined = statement.members.filter((member) => member.text !== undefined);
      statements[title] = defined.map(({text, tags, data}) => ({text, tags, data}));
    }
    const relations = response.relations.map((r) => [r.relationType, r.from.title, r.to.title]);
    answer = {statements, relations, headings: response.sections.map((s) => s.title)};
  } catch (error) {
    answer = {error: String(error.message || error).slice(0, 1000)};
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
"""


class ArgdownParser:
    """The Argdown parser in one node process: :meth:`parse` a document, get what it read."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", "-e", PARSER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={"PATH": os.environ["PATH"], "NODE_PATH": str(NODE_MODULES)},
            text=True,
            encoding="utf-8",
        )

    def parse(self, document: str) -> dict:
        self.process.stdin.write(json.dumps(document) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        assert "error" not in answer, (answer["error"], document[:2000])
        return answer

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def argdown_parser():
    if shutil.which("node") is None:
        pytest.skip("node (Node.js) is not installed, so there is no Argdown parser to run")
    if not (NODE_MODULES / "@argdown" / "node").is_dir():
        pytest.skip(f"@argdown/node is not installed in {NODE_MODULES} (.ci/run installs it)")
    parser = ArgdownParser()
    yield parser
    parser.close()


@pytest.fixture(scope="module")
def argued_argdown(tmp_path_factory) -> str:
    with closing(argued_thread(tmp_path_factory.mktemp("argdown") / "argued.db")) as db:
        return exported(db, "argdown")


def test_the_argued_thread_is_a_statement_per_unit_with_its_relations(
    argdown_parser, argued_argdown
):
    read = argdown_parser.parse(argued_argdown)
    statements = read["statements"]
    assert statements.keys() == {"#1", "#1.1", "#1.2", "#2", "#3", "#4", "#5", "#6"}
    assert sorted(map(tuple, read["relations"])) == sorted(
        [
            ("attack", "#2", "#1"),  # bob's and ann's: one relation
            ("support", "#5", "#1.2"),
            ("undercut", "#3", "#5"),
            ("undercut", "#4", "#2"),
        ]
    )
    (first,) = statements["#1.1"]
    assert first["tags"] == ["claim"] and first["data"] == {"comment": 1, "author": "alice"}
    (rephrasing,) = statements["#6"]
    assert rephrasing["tags"] == ["rephrases #1"]
    assert rephrasing["data"] == {"comment": 6, "author": "erin"}
    (anonymous,) = statements["#4"]
    assert anonymous["data"] == {"comment": 4} and "tags" not in anonymous
    words = {title: members[0]["text"].strip() for title, members in statements.items()}
    assert words["#1.2"] == SECOND and words["#2"] == WORDS[2]
    assert words["#1.1"] == f"{FIRST} #claim"  # Argdown keeps a tag in the text
    assert read["headings"] == ["argued"]  # the thread's title


def test_the_relations_sit_under_the_unit_they_bear_on(argued_argdown):
    def under(title: str) -> list[str]:
        lines = [*argued_argdown.splitlines(), ""]
        start = next(n for n, line in enumerate(lines) if line.startswith(f"[{title}]: "))
        return lines[start + 1 : lines.index("", start)]

    assert under("#1") == ["    - [#2]"]
    assert under("#1.2") == ["    + [#5]"]
    assert under("#2") == ["    _ [#4]"]
    assert under("#5") == ["    _ [#3]"]
    assert under("#6") == []  # a rephrasing is a tag, not a relation


def test_every_syntax_character_is_escaped_and_one_line_stays_one_line():
    syntax = "\\ / [ ] < > { } # * _ + - : . @ = // /* <!-- [a](b) #tag .x. :x: ==="
    assert escaped(syntax).count("\\") == 2 * syntax.count("\\") + sum(
        syntax.count(ch) for ch in "/[]<>{}#*_+-:.@="
    )
    assert plain_line("two\nlines\r\nand\u2028a\ttab  \x1b[31m\u202eend") == (
        "two lines and a tab [31mend"
    )
    assert tag("claim") == "#claim" and tag("two words") == "#(two words)"
    assert tag("a (b) c\n") == "#(a (b c)" and tag(")\x1b") == ""


def test_a_thread_with_nothing_linked_or_tagged_is_a_document_with_a_heading(
    argdown_parser, tmp_path
):
    with closing(plain_thread(tmp_path / "plain.db")) as db:
        document = exported(db, "argdown")
    read = argdown_parser.parse(document)
    assert (read["statements"], read["relations"], read["headings"]) == ({}, [], ["plain"])


def test_units_of_several_threads_are_named_with_their_thread(argdown_parser, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("first words\nsecond words\n", encoding="utf-8")
    with closing(argued_thread(tmp_path / "argued.db")) as db:
        second = import_file(db, other).thread_id
        add_link(db, 8, 7, "supports", "ann")  # the other thread's #2 supports its #1
        read = argdown_parser.parse(exported(db, "argdown"))
        alone = argdown_parser.parse(exported(db, "argdown", thread_id=second))
    assert ["support", "#2 in thread 2", "#1 in thread 2"] in read["relations"]
    assert ["attack", "#2 in thread 1", "#1 in thread 1"] in read["relations"]
    assert len(read["statements"]) == 8 + 2 and read["headings"] == ["Argument map"]
    (defined,) = read["statements"]["#2 in thread 2"]
    assert defined["data"] == {"comment": 2, "thread": 2}
    assert alone["relations"] == [["support", "#2", "#1"]] and alone["headings"] == ["other"]


# Argdown's syntax, whole and in pieces, among any other characters.
SYNTAX = [
    "\\", "/", "//", "/*", "*/", "<!--", "-->", "[a]", "[a]:", "[a](b)", "<a>", "<a>:", "@[a]",
    "@<a>", "#tag", "#(a tag)", "{a: 1}", "{", "}", "===", "**", "__", "*", "_", ".A.", ":happy:",
    ".v.", "+", "-", "->", "+>", "<+", "<-", "<_", "_>", "><", "--", "(1)", "1.", "#", ",", ";",
    ":", ".", "=", "=== a ===", "@", "\n", "\n\n", "\n    + ", "\t", " ",
]  # fmt: skip
argdown_texts = st.lists(
    st.one_of(st.sampled_from(SYNTAX), st.characters(exclude_categories=("Cs",))), max_size=25
).map("".join)
argdown_threads = st.lists(
    st.tuples(argdown_texts, st.none() | argdown_texts), min_size=1, max_size=5
).filter(lambda comments: any(text.strip() for text, _ in comments))
argdown_marks = st.builds(
    lambda marks, name: {**marks, "tag": name[:60] + "t"}, annotations, argdown_texts
)


@PROPERTY_SETTINGS
@given(
    comments=st.one_of(threads(ANY_CHARACTER), argdown_threads),
    marks=st.one_of(annotations, argdown_marks),
)
def test_any_words_parse_back_as_themselves(argdown_parser, comments, marks):
    with annotated(comments, marks) as db:
        clusters = db.execute(
            "SELECT seq, text, author, is_tombstone FROM clusters ORDER BY id"
        ).fetchall()
        (tag_name,) = db.execute("SELECT name FROM tags ORDER BY id DESC").fetchone()
        read = argdown_parser.parse(exported(db, "argdown"))
    statements = read["statements"]
    ends = {clusters[0][0], clusters[-1][0]} if len(clusters) > 1 else set()
    assert statements.keys() == {f"#{n}" for n, _, _, gone in clusters if not gone or n in ends}
    shown_tag = tag(tag_name)
    tag_read = shown_tag.removeprefix("#(").removesuffix(")") if "(" in shown_tag else shown_tag[1:]
    for number, text, author, gone in clusters:
        if gone and number not in ends:
            continue
        (member,) = statements[f"#{number}"]
        words = plain_line(text) or NO_WORDS
        assert member["text"].strip() == (words if gone else f"{words} {shown_tag}".strip())
        assert member.get("tags") == (None if gone or not shown_tag else [tag_read])
        assert member["data"] == {"comment": number, **({"author": author} if author else {})}
    expected = [["attack", f"#{clusters[-1][0]}", f"#{clusters[0][0]}"]] if ends else []
    assert read["relations"] == expected
