"""Each platform's real shapes, from fixtures written after its API documentation.

Every fixture is an invented thread in the platform's own layout: the tests pin the count of
records and tombstones, the reply tree, and a few texts exactly.
"""

from __future__ import annotations

import json

import pytest

from store.normalize import normalise
from store.readers import read_bytes
from store.readers.registry import JSON_FORMATS
from tests.test_readers import error_for, fixture, read_fixture, tombstones, tree

# --- Reddit -------------------------------------------------------------------------------


def test_reddit_escaped_bodies_are_unescaped_and_replies_nest_eight_deep():
    thread = read_fixture("reddit_escaped.json")
    assert thread.format == "reddit"
    assert thread.title == "Bike lanes & parking: who actually wins?"
    chain = [(f"l{n}", f"l{n - 1}" if n > 1 else None) for n in range(1, 10)]
    assert tree(thread) == [*chain, ("l10", None), ("l11", None)]  # "more" stubs skipped
    assert len(thread.records) == 11
    assert tombstones(thread) == ["l10"]
    first = thread.records[0]
    assert first.text == (
        "> the lanes are empty most of the day\n\nThat is what a lane looks like when it works: "
        "nobody queues in it. Also 3 < 30, the minutes I save."
    )
    assert normalise(first.text).quoted == "the lanes are empty most of the day"  # a quote line
    assert thread.records[3].text == "It found money for the parking garage & the new interchange."
    assert thread.records[8].text == "So hold the meetings at 7pm. Problem solved </sarcasm>"


def test_reddit_reads_body_html_only_when_there_is_no_body():
    thread = read_fixture("reddit_escaped.json")
    assert thread.records[10].text == "Only the HTML body here & no markdown."
    page = json.loads(fixture("reddit_escaped.json"))
    first = page[1]["data"]["children"][0]["data"]
    first["body_html"] = "&lt;p&gt;not this&lt;/p&gt;"
    thread = read_bytes(json.dumps(page).encode(), "page.json")
    assert thread.records[0].text.startswith("> the lanes are empty")


# --- Lemmy and PieFed ---------------------------------------------------------------------


def test_piefed_comment_list_reads_body_user_name_and_post_title():
    thread = read_fixture("piefed_comments.json")
    assert thread.format == "lemmy"
    assert thread.title == "Should libraries lend out tools?"
    assert tree(thread) == [
        ("901", None),
        ("902", "901"),
        ("905", "902"),
        ("903", None),
        ("904", "903"),
    ]
    assert tombstones(thread) == ["904"]  # deleted
    assert thread.records[0].text == (
        "Ours does! The waiting list for the pressure washer is months long."
    )
    assert [r.author for r in thread.records[:3]] == ["bookish_bea", "handy_hal", "seedsaver"]
    assert thread.records[2].created_at == "2024-06-01T09:50:00.123Z"


def test_piefed_is_also_read_as_lemmy_when_asked():
    assert read_fixture("piefed_comments.json", "lemmy").records[0].author == "bookish_bea"


def test_a_read_where_every_comment_is_empty_names_the_format_and_the_field():
    views = json.loads(fixture("piefed_comments.json"))
    for view in views["comments"]:
        view["comment"]["text"] = view["comment"].pop("body")  # a platform renaming the field
    message = error_for(json.dumps(views).encode(), "renamed.json")
    assert message == (
        "renamed.json: every comment came out empty, read as lemmy with the text in "
        "comment.content (PieFed: comment.body)"
    )


def test_a_csv_whose_text_column_is_empty_everywhere_is_refused():
    message = error_for(b"id,text,note\n1,,a long note here\n2,,another\n", "blank.csv")
    assert message == (
        "blank.csv: every comment came out empty, read as csv with the text in column 'text'"
    )


# --- Hacker News --------------------------------------------------------------------------


def test_hn_node_hnapi_item_nests_comments_in_comments():
    thread = read_fixture("hn_hnapi.json")
    assert thread.format == "hn"
    assert thread.title == "Ask HN: Do you still keep a paper notebook?"
    assert tree(thread) == [
        ("40100001", None),
        ("40100002", "40100001"),
        ("40100003", "40100002"),
        ("40100004", "40100001"),
        ("40100005", None),
        ("40100006", "40100005"),
    ]
    assert tombstones(thread) == ["40100003", "40100004"]  # deleted, dead
    assert thread.records[0].text == (
        "Every day. Typing is for other people's eyes; paper is for thinking."
    )
    assert thread.records[1].text == "> paper is for thinking\n\nUntil you need to search it."
    assert thread.records[4].text == (
        "A pocket one, yes. See https://example.org/notes for the system I use."
    )
    assert (thread.records[0].author, thread.records[0].created_at) == (
        "graphpaper",
        "2024-04-13T09:25:00Z",
    )


def test_hn_node_hnapi_comment_item_is_itself_a_comment():
    item = json.loads(fixture("hn_hnapi.json"))["comments"][0]
    item["type"] = "comment"
    thread = read_bytes(json.dumps(item).encode(), "comment.json")
    assert tree(thread)[:2] == [("40100001", None), ("40100002", "40100001")]
    assert len(thread.records) == 4


def test_hn_flat_dump_of_id_author_text_parent():
    thread = read_fixture("hn_flat.json")
    assert thread.format == "hn"
    assert thread.title == "Show HN: A tide table in the terminal"
    assert tree(thread) == [
        ("39500001", None),
        ("39500003", "39500001"),
        ("39500002", "39500001"),
        ("39500004", None),
        ("39500005", None),
    ]
    assert tombstones(thread) == ["39500004"]
    assert thread.records[1].text == 'Does it handle "king tides" differently?'
    assert thread.records[2].text == "Thanks / it took longer than the tides > code part."
    assert thread.records[4].text == "Works offline, which matters at sea.\n\nTested it on a ferry."


def test_hn_algolia_search_hits_with_the_story_hit():
    thread = read_fixture("hn_search.json")
    assert thread.format == "hn"
    assert thread.title == "Ask HN: What is your favourite hand tool?"
    assert tree(thread) == [
        ("41200001", None),
        ("41200003", "41200001"),
        ("41200002", None),
        ("41200004", "41200002"),
    ]
    assert tombstones(thread) == []
    assert thread.records[0].text == "A marking gauge. Boring & essential."
    assert thread.records[2].text == "> hand tool\n\nDoes a sharpening stone count?"
    assert thread.records[0].created_at == "2024-08-10T12:01:40Z"


def test_hn_algolia_hits_without_the_story_take_the_title_from_story_title():
    results = json.loads(fixture("hn_search.json"))
    results["hits"] = [hit for hit in results["hits"] if "story" not in hit["_tags"]]
    thread = read_bytes(json.dumps(results).encode(), "hits.json")
    assert thread.title == "Ask HN: What is your favourite hand tool?"
    assert tree(thread)[0] == ("41200001", None)  # the story's id still means top level


def test_an_algolia_subtree_takes_its_story_title():
    item = json.loads(fixture("hn_algolia.json"))["children"][0]
    item["story_title"] = "Ask HN: Is training on code fair use?"
    thread = read_bytes(json.dumps(item).encode(), "subtree.json")
    assert thread.title == "Ask HN: Is training on code fair use?"
    assert tree(thread)[0] == ("38800001", "38800000")


@pytest.mark.parametrize("name", ["hn_hnapi.json", "hn_flat.json", "hn_search.json"])
def test_every_hn_shape_is_hn_by_content_and_by_request(name):
    data = fixture(name)
    assert read_bytes(data, "thread").format == "hn"
    assert read_bytes(data, name, "hn").format == "hn"


# --- Mastodon -----------------------------------------------------------------------------


def test_mastodon_thread_with_mentions_links_breaks_a_warning_and_milliseconds():
    thread = read_fixture("mastodon_thread.json")
    assert thread.format == "mastodon"
    assert thread.title == "Is it worth composting in a flat? Asking before I buy a bin."
    assert tree(thread) == [
        ("300101", None),
        ("300102", "300101"),
        ("300104", "300102"),
        ("300103", None),
    ]
    assert tombstones(thread) == []
    assert thread.records[0].text == (
        "@gardener Yes! A wormery fits under a sink.\n\n"
        "Mine has lived there\nfor three years, see https://soil.example/wormery"
    )
    assert thread.records[2].text == "Not if you bury the scraps. #compost"
    assert thread.records[3].text == "bugs\n\nOnly if you like fruit flies & small disasters."
    assert [r.created_at for r in thread.records] == [
        "2024-05-01T12:00:03.456Z",
        "2024-05-01T12:05:00Z",
        "2024-05-01T12:09:30.500Z",
        "2024-05-01T12:07:00Z",
    ]


# --- JSON of no known shape ---------------------------------------------------------------


def test_json_of_no_known_shape_names_every_shape_and_its_keys():
    message = error_for(b'{"posts": []}', "x.json")
    assert message.startswith("x.json: JSON of no known thread shape (expected ")
    for format in JSON_FORMATS:
        assert f"{format.name}: {format.shape.SHAPE}" in message
    assert "reddit: a Listing (kind, data.children)" in message
    assert "mastodon: a status context (ancestors, descendants" in message
