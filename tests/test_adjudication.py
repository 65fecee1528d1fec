"""Adjudication (store.adjudication and ``threadmark adjudicate``): which units differ, for tags
on comments and on segments and for links; what each decision writes into the adjudicator's
layer; settled status in the journal, across reopening; agreed units accepted in bulk; who may
adjudicate; and the gold layer's export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import add_link, import_file, open_database, toggle_tag, undo
from store.adjudication import (
    AGREED,
    NONE,
    SETTLE,
    UNION,
    VERSION,
    Decision,
    Item,
    accept_agreed,
    adjudicators,
    review,
    settle,
)
from store.errors import ThreadmarkError
from store.segments import Unit, comment_sentences

FIXTURES = Path(__file__).parent / "fixtures"
CLAIM, EVIDENCE, COUNTERPOINT = 1, 2, 3  # starter codebook tag ids
GOLD = "gold"


@pytest.fixture
def db(open_db, seeded_db):
    return open_db(seeded_db)


def coded(db) -> dict[str, Unit]:
    """alice and bob code the seed thread; returns the segment both code, by name.

    #1: alice claim + evidence, bob claim (differs); #2: both claim (agreed); #2.2: bob
    counterpoint (differs); #5 -> #4: alice rebuts (with a note), bob supports (differs);
    #3 -> #1: both rebut (agreed).
    """
    second = Unit(2, comment_sentences(db, 2)[1])
    toggle_tag(db, 1, CLAIM, "alice")
    toggle_tag(db, 1, EVIDENCE, "alice")
    toggle_tag(db, 1, CLAIM, "bob")
    toggle_tag(db, 2, CLAIM, "alice")
    toggle_tag(db, 2, CLAIM, "bob")
    toggle_tag(db, 2, COUNTERPOINT, "bob", second.span)
    add_link(db, 5, 4, "rebuts", "alice", "paint is no database")
    add_link(db, 5, 4, "supports", "bob")
    add_link(db, 3, 1, "rebuts", "alice")
    add_link(db, 3, 1, "rebuts", "bob")
    return {"#2.2": second}


def gold_tags(db) -> list[tuple]:
    return db.execute(
        "SELECT a.cluster_id, s.start, s.end, a.tag_id FROM annotations a "
        "LEFT JOIN segments s ON s.id = a.segment_id WHERE a.annotator = ? ORDER BY 1, 2, 4",
        (GOLD,),
    ).fetchall()


def gold_links(db) -> list[tuple]:
    return db.execute(
        "SELECT source_cluster, target_cluster, kind, note FROM links WHERE annotator = ? "
        "ORDER BY 1, 2, 3",
        (GOLD,),
    ).fetchall()


def case_of(found, labels: tuple[str, ...]):
    return next(case for case in found.cases if case.labels == labels)


# --- which units differ -----------------------------------------------------------------------


def test_the_units_that_differ_by_tags_on_comments_segments_and_by_links(db):
    units = coded(db)
    found = review(db, 1, GOLD)
    assert found.annotators == ["alice", "bob"]
    shown = {case.labels: (case.versions, case.differs) for case in found.cases}
    assert shown == {
        ("#1",): ({"alice": {CLAIM, EVIDENCE}, "bob": {CLAIM}}, True),
        ("#2",): ({"alice": {CLAIM}, "bob": {CLAIM}}, False),
        ("#2.2",): ({"alice": set(), "bob": {COUNTERPOINT}}, True),
        ("#3", "#1"): ({"alice": {"rebuts"}, "bob": {"rebuts"}}, False),
        ("#5", "#4"): ({"alice": {"rebuts"}, "bob": {"supports"}}, True),
    }
    # in reading order: by comment, a comment's tags before its links, the whole before a part
    assert [case.labels for case in found.disagreements] == [("#1",), ("#2.2",), ("#5", "#4")]
    segment = case_of(found, ("#2.2",))
    assert segment.item == Item(units["#2.2"])
    assert segment.words == ("It’s the same whether it’s done by a human or a machine.",)
    assert found.names(segment, segment.versions["bob"]) == ["counterpoint"]
    assert not any(case.settled for case in found.cases)


def test_a_link_only_one_annotator_made_differs(db):
    add_link(db, 4, 2, "undercuts", "alice")
    toggle_tag(db, 6, CLAIM, "bob")
    found = review(db, 1, GOLD)
    assert [(case.labels, case.versions) for case in found.disagreements] == [
        (("#4", "#2"), {"alice": {"undercuts"}, "bob": set()}),
        (("#6",), {"alice": set(), "bob": {CLAIM}}),
    ]


def test_reply_links_made_at_import_are_no_items(open_db):
    db = open_db()
    thread = import_file(db, FIXTURES / "reddit_thread.json").thread_id
    replies = db.execute(
        "SELECT source_cluster, target_cluster FROM links WHERE kind = 'replies_to'"
    )
    (source, target), (other, _) = replies.fetchmany(2)
    add_link(db, source, target, "rebuts", "alice")
    toggle_tag(db, other, CLAIM, "bob")
    found = review(db, thread, GOLD)
    assert {case.item for case in found.cases} == {
        Item(Unit(source), Unit(target)),
        Item(Unit(other)),
    }


def test_segments_are_items_by_their_exact_range(db):
    """Two segments over nearly the same words are two units, each settled apart."""
    start, end = comment_sentences(db, 2)[1]
    toggle_tag(db, 2, CLAIM, "alice", (start, end))
    toggle_tag(db, 2, CLAIM, "bob", (start, end - 1))
    found = review(db, 1, GOLD)
    assert [(case.item.unit.span, case.versions) for case in found.disagreements] == [
        ((start, end - 1), {"alice": set(), "bob": {CLAIM}}),
        ((start, end), {"alice": {CLAIM}, "bob": set()}),
    ]


# --- what each decision writes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "tags", "links"),
    [
        (Decision(VERSION, "alice"), [CLAIM, EVIDENCE], [("rebuts", "paint is no database")]),
        (Decision(VERSION, "bob"), [CLAIM], [("supports", "")]),
        (
            Decision(UNION),
            [CLAIM, EVIDENCE],
            [("rebuts", "paint is no database"), ("supports", "")],
        ),
        (Decision(NONE), [], []),
    ],
)
def test_each_decision_writes_exactly_the_version_chosen(db, decision, tags, links):
    coded(db)
    found = review(db, 1, GOLD)
    settle(db, found, case_of(found, ("#1",)), decision)
    settle(db, found, case_of(found, ("#5", "#4")), decision)
    assert gold_tags(db) == [(1, None, None, tag) for tag in tags]
    assert gold_links(db) == [(5, 4, kind, note) for kind, note in links]
    again = review(db, 1, GOLD)
    for labels in (("#1",), ("#5", "#4")):
        case = case_of(again, labels)
        assert (case.settled, case.decision, case.gold) == (True, decision, case.codes(decision))


def test_a_decision_removes_what_the_adjudicator_had_that_the_version_lacks(db):
    coded(db)
    found = review(db, 1, GOLD)
    first = case_of(found, ("#1",))
    settle(db, found, first, Decision(UNION))
    assert gold_tags(db) == [(1, None, None, CLAIM), (1, None, None, EVIDENCE)]
    settle(db, found, first, Decision(VERSION, "bob"))  # the latest decision counts
    assert gold_tags(db) == [(1, None, None, CLAIM)]
    assert case_of(review(db, 1, GOLD), ("#1",)).decision == Decision(VERSION, "bob")


def test_a_segment_version_makes_the_segment_and_none_takes_it_away(db):
    units = coded(db)
    found = review(db, 1, GOLD)
    segment = case_of(found, ("#2.2",))
    settle(db, found, segment, Decision(VERSION, "bob"))
    assert gold_tags(db) == [(2, *units["#2.2"].span, COUNTERPOINT)]
    settle(db, found, segment, Decision(NONE))
    assert gold_tags(db) == []
    assert case_of(review(db, 1, GOLD), ("#2.2",)).settled


def test_settling_again_as_decided_changes_no_tag(db):
    coded(db)
    found = review(db, 1, GOLD)
    first = case_of(found, ("#1",))
    settle(db, found, first, Decision(VERSION, "alice"))
    before = db.execute("SELECT count(*) FROM events WHERE action != ?", (SETTLE,)).fetchone()
    settle(db, found, first, Decision(VERSION, "alice"))
    assert db.execute("SELECT count(*) FROM events WHERE action != ?", (SETTLE,)).fetchone() == (
        before
    )
    assert gold_tags(db) == [(1, None, None, CLAIM), (1, None, None, EVIDENCE)]


# --- settled, in the journal ------------------------------------------------------------------


def test_a_decision_of_none_stays_settled_after_reopening(open_db, seeded_db):
    db = open_db(seeded_db)
    coded(db)
    found = review(db, 1, GOLD)
    settle(db, found, case_of(found, ("#5", "#4")), Decision(NONE))
    db.close()
    reopened = open_database(seeded_db)
    try:
        again = review(reopened, 1, GOLD)
        case = case_of(again, ("#5", "#4"))
        assert (case.settled, case.gold, case.status()) == (True, frozenset(), "settled: none")
        assert [c.settled for c in again.disagreements] == [False, False, True]
        (payload,) = reopened.execute(
            "SELECT payload FROM events WHERE annotator = ? AND action = ?", (GOLD, SETTLE)
        ).fetchone()
    finally:
        reopened.close()
    assert json.loads(payload) == {
        "thread": 1,
        "source": 5,
        "target": 4,
        "choice": NONE,
        "codes": [],
        "versions": {"alice": ["rebuts"], "bob": ["supports"]},
    }


def test_a_decision_no_longer_holds_once_an_annotator_changes_their_version(db):
    coded(db)
    found = review(db, 1, GOLD)
    settle(db, found, case_of(found, ("#1",)), Decision(VERSION, "alice"))
    toggle_tag(db, 1, COUNTERPOINT, "bob")
    case = case_of(review(db, 1, GOLD), ("#1",))
    assert not case.settled
    assert case.status() == "unsettled: the codings changed since alice's version was chosen"


def test_undo_takes_back_a_decisions_changes_one_by_one_and_the_unit_stays_settled(db):
    coded(db)
    found = review(db, 1, GOLD)
    settle(db, found, case_of(found, ("#1",)), Decision(VERSION, "alice"))
    undone = undo(db, GOLD)
    assert undone.action == "tag"
    assert len(gold_tags(db)) == 1
    assert case_of(review(db, 1, GOLD), ("#1",)).settled


# --- agreed units in bulk ---------------------------------------------------------------------


def test_accepting_the_agreed_units_writes_them_once(db):
    coded(db)
    assert accept_agreed(db, 1, GOLD).accepted == 2
    assert gold_tags(db) == [(2, None, None, CLAIM)]
    assert gold_links(db) == [(3, 1, "rebuts", "")]
    settles = db.execute("SELECT count(*) FROM events WHERE action = ?", (SETTLE,)).fetchone()
    events = db.execute("SELECT count(*) FROM events").fetchone()
    second = accept_agreed(db, 1, GOLD)
    assert (second.accepted, second.already) == (0, 2)
    assert db.execute("SELECT count(*) FROM events").fetchone() == events  # nothing journaled
    assert settles == (2,)
    found = review(db, 1, GOLD)
    assert case_of(found, ("#2",)).decision == Decision(AGREED)
    assert not any(case.settled for case in found.disagreements)  # they are not touched


# --- who may adjudicate -----------------------------------------------------------------------


def test_the_adjudicator_may_not_be_an_annotator_compared_nor_have_coded_by_hand(db):
    coded(db)
    with pytest.raises(ThreadmarkError, match="'alice' coded thread 1"):
        review(db, 1, "alice")
    with pytest.raises(ThreadmarkError, match="'gold' is one of the annotators compared"):
        review(db, 1, GOLD, ["alice", "gold"])
    with pytest.raises(ThreadmarkError, match="no tags or links by 'bbo' in thread 1"):
        review(db, 1, GOLD, ["alice", "bbo"])


def test_adjudication_needs_two_annotators(db):
    toggle_tag(db, 1, CLAIM, "alice")
    with pytest.raises(ThreadmarkError, match="needs two annotators to compare: only 'alice'"):
        review(db, 1, GOLD)


def test_other_adjudicators_are_left_out_of_the_default_annotators(db):
    coded(db)
    accept_agreed(db, 1, GOLD)
    assert adjudicators(db, 1) == [GOLD]
    assert review(db, 1, GOLD).annotators == ["alice", "bob"]  # gold coded, as adjudicator
    assert review(db, 1, "second-opinion").annotators == ["alice", "bob"]


# --- the command line -------------------------------------------------------------------------


def test_list_prints_one_line_a_disagreement_and_json_for_scripts(db, call_cli, seeded_db):
    coded(db)
    found = review(db, 1, GOLD)
    settle(db, found, case_of(found, ("#1",)), Decision(VERSION, "bob"))
    code, out, err = call_cli("adjudicate", "--db", seeded_db, "--annotator", GOLD, "--list")
    assert code == 0
    assert out.splitlines() == [
        "#1\ttags\tsettled: bob's version\talice: claim, evidence\tbob: claim",
        "#2.2\ttags\tunsettled\talice: -\tbob: counterpoint",
        "#5 -> #4\tlink\tunsettled\talice: rebuts\tbob: supports",
    ]
    assert err == "1 of 3 disagreements settled in thread 1 by gold (comparing alice, bob)\n"
    code, out, _ = call_cli(
        "adjudicate", "--db", seeded_db, "--annotator", GOLD, "--list", "--json"
    )
    listed = json.loads(out)
    assert code == 0
    assert listed[0] == {
        "what": "tags",
        "units": ["#1"],
        "clusters": [1],
        "spans": [None],
        "versions": {"alice": ["claim", "evidence"], "bob": ["claim"]},
        "adjudicator_codes": ["claim"],
        "settled": True,
        "decision": {"choice": VERSION, "annotator": "bob"},
    }
    assert [entry["units"] for entry in listed[1:]] == [["#2.2"], ["#5", "#4"]]


def test_accept_agreed_from_the_command_line_says_how_many(db, call_cli, seeded_db):
    coded(db)
    args = ("adjudicate", "--db", seeded_db, "--annotator", GOLD, "--accept-agreed")
    assert call_cli(*args) == (
        0,
        "",
        "accepted 2 agreed units into gold's layer in thread 1 (0 already there)\n",
    )
    assert call_cli(*args)[2] == (
        "accepted 0 agreed units into gold's layer in thread 1 (2 already there)\n"
    )
    assert gold_tags(db) == [(2, None, None, CLAIM)]


def test_the_command_refuses_an_annotator_who_coded_in_one_line(db, call_cli, seeded_db):
    coded(db)
    code, out, err = call_cli("adjudicate", "--db", seeded_db, "--annotator", "bob", "--list")
    assert (code, out) == (2, "")
    assert err.startswith("threadmark: error: 'bob' coded thread 1: ")
    assert err.count("\n") == 1


def test_the_gold_layer_exports_alone_after_adjudication(db, call_cli, seeded_db, tmp_path):
    coded(db)
    found = review(db, 1, GOLD)
    settle(db, found, case_of(found, ("#1",)), Decision(VERSION, "bob"))
    settle(db, found, case_of(found, ("#5", "#4")), Decision(VERSION, "alice"))
    accept_agreed(db, 1, GOLD)
    target = tmp_path / "gold.json"
    code, _, _ = call_cli(
        "export", "--db", seeded_db, "--annotator", GOLD, "--format", "json", "-o", target
    )
    assert code == 0
    exported = json.loads(target.read_text())
    comments = {comment["number"]: comment for comment in exported["comments"]}
    assert {number: c["tags"] for number, c in comments.items() if c["tags"]} == {
        1: ["claim"],
        2: ["claim"],
    }
    annotators = {a["annotator"] for c in comments.values() for a in c["annotations"]}
    assert annotators == {GOLD}
    links = [
        (link["kind"], link["annotator"])
        for comment in comments.values()
        for link in comment["links"]
        if link["annotator"] is not None
    ]
    assert sorted(links) == [("rebuts", GOLD), ("rebuts", GOLD)]
