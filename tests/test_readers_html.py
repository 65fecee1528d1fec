"""HTML comment bodies: linear time on hostile markup, and no tag ever left in the text."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.readers import read_bytes
from store.readers.html import html_to_text, unescape

MEGABYTE = 1_000_000
# Each once took seconds per 20 KB and minutes per 80 KB (quadratic): each must now read a
# megabyte in well under a second.  The bound is generous: it detects a hang, not a slowdown.
HOSTILE_SHAPES = [
    "<a",
    "<!--",
    '<a "',
    "<a '",
    '<a ">"',
    "<a title='x",
    "</",
    "<!-- a -- b",
    "<a<!--",
    "&#" + "1" * 20,
    "<b>&lt;",
]


def _hn_item(text: str) -> bytes:
    story = {"id": 1, "type": "story", "title": "t", "children": []}
    story["children"].append({"id": 2, "type": "comment", "text": text, "children": []})
    return json.dumps(story).encode()


@pytest.mark.parametrize("shape", HOSTILE_SHAPES)
def test_a_megabyte_of_hostile_markup_reads_in_under_a_second(shape):
    data = _hn_item(shape * (MEGABYTE // len(shape)))
    started = time.perf_counter()
    read_bytes(data, "hostile.json")
    assert time.perf_counter() - started < 1.0


def test_a_decimal_reference_too_long_for_int_is_a_replacement_character():
    assert html_to_text("a&#" + "9" * 5000 + ";b") == "a\ufffdb"
    assert html_to_text("&#" + "0" * 5000 + "65;") == "A"
    assert unescape("&#99999999;&#128512;&#65") == "\ufffd\U0001f600A"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<a title="x>oops', "oops"),  # a quote that never closes: the tag ends at its ">"
        ("<a title='x>first<b>second", "firstsecond"),
        ("kept <a no close", "kept <a no close"),
        ("x<!-- never closed <b>bold</b>", "x<!-- never closed bold"),
        ("<<a>b>", "<b>"),  # "<<" is text, then a tag: what a browser shows
    ],
)
def test_malformed_markup_still_drops_every_tag(html, text):
    assert html_to_text(html) == text


HTML_ALPHABET = st.sampled_from([*"<>/!-=\"' \n&;#xa0pbrli", "<p>", "<br>", "<!--", "-->"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(HTML_ALPHABET, max_size=60).map("".join)))
def test_html_to_text_never_raises(markup):
    assert isinstance(html_to_text(markup), str)


TEXT = st.text(st.characters(exclude_characters="<&", exclude_categories=("Cs",)), max_size=12)
NAME = st.from_regex(r"[a-zA-Z][a-zA-Z0-9]{0,6}", fullmatch=True)
VALUE = st.lists(st.sampled_from([*"ab <>/=!-", "&amp;"]), max_size=8).map("".join)
ATTRIBUTE = st.one_of(
    st.builds(lambda name, value: f' {name}="{value}"', NAME, VALUE.map(lambda v: v + "'")),
    st.builds(lambda name, value: f" {name}='{value}'", NAME, VALUE.map(lambda v: v + '"')),
    st.builds(lambda name: f" {name}", NAME),
)
TAG = st.one_of(
    st.builds(
        lambda slash, name, attributes, close: f"<{slash}{name}{''.join(attributes)}{close}>",
        st.sampled_from(["", "/"]),
        NAME,
        st.lists(ATTRIBUTE, max_size=3),
        st.sampled_from(["", "/", " /"]),
    ),
    VALUE.map(lambda body: f"<!--{body.replace('--', '')}-->"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(TEXT, TAG), max_size=8), TEXT)
def test_html_to_text_leaves_no_tag_and_every_word(pieces, last):
    markup = "".join(text + tag for text, tag in pieces) + last
    words = "".join(text for text, _ in pieces) + last
    result = html_to_text(markup)
    assert "<" not in result  # the text pieces hold none: any "<" would be a tag left behind
    assert "".join(result.split()) == "".join(words.split())  # tags add or drop only spaces
