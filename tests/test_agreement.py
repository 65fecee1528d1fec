"""Inter-annotator agreement (store.agreement and ``threadmark agreement``): the statistics
against scikit-learn, statsmodels and krippendorff and one example worked by hand; the items
(comments, sentences, links) and their codings; undefined values; the command's JSON and its
80-column tables."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from rich.cells import cell_len
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from store import add_link, create_tag, import_file, toggle_tag
from store.agreement import (
    NEEDS_TWO,
    NO_VARIATION,
    NOT_USED,
    SOME_PAIR_UNDEFINED,
    STATISTICS,
    scores,
    thread_agreement,
)

FIXTURES = Path(__file__).parent / "fixtures"
CLAIM, EVIDENCE = 1, 2  # starter codebook tag ids
SEED_COMMENTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 11)  # the seed's unique comments; #10 is a tombstone
# Sentences of the seed's comment 2 (store.sentences): [0, 136), [137, 193), [194, 229),
# [230, 366); comment 5 has three.
SENTENCE_2 = (137, 193)
ENTRY_KEYS = {*STATISTICS, "items", "pairs", "reasons"}


@pytest.fixture
def db(open_db, seeded_db):
    return open_db(seeded_db)


def tag_all(db, annotator: str, clusters, tag: int = CLAIM) -> None:
    for cluster_id in clusters:
        toggle_tag(db, cluster_id, tag, annotator)


def worked_example(db) -> None:
    """alice tags claim on #1-#5, bob on #1-#3 (see test_the_worked_example_by_hand)."""
    tag_all(db, "alice", (1, 2, 3, 4, 5))
    tag_all(db, "bob", (1, 2, 3))


def agreement_json(call_cli, db_path, *args) -> dict:
    returncode, stdout, stderr = call_cli("agreement", "--db", db_path, "--json", *args)
    assert (returncode, stderr) == (0, "")

    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON")

    return json.loads(stdout, parse_constant=refuse)


def table(call_cli, db_path, *args) -> list[str]:
    returncode, stdout, stderr = call_cli("agreement", "--db", db_path, *args)
    assert (returncode, stderr) == (0, "")
    return stdout.splitlines()


# --- the statistics ---------------------------------------------------------------------------


def test_statistics_match_the_reference_libraries_on_random_codings():
    rng = np.random.default_rng(20240611)
    compared = 0
    for _ in range(300):
        items, raters, categories = rng.integers(1, 40), rng.integers(2, 6), rng.integers(2, 5)
        codes = rng.integers(0, categories, size=(items, raters))
        names = [f"r{rater}" for rater in range(raters)]
        result = scores(codes, names)
        # Percent agreement by its definition: the agreeing pairs of codings on each item.
        agreeing = [
            np.mean([row[a] == row[b] for a, b in combinations(range(raters), 2)]) for row in codes
        ]
        assert result["percent_agreement"] == pytest.approx(100 * np.mean(agreeing))
        for (a, b), pair in zip(combinations(range(raters), 2), result["pairs"], strict=True):
            assert pair == f"r{a}|r{b}"
            if len(set(codes[:, [a, b]].flat)) == 1:
                assert result["pairs"][pair] is None
            else:
                expected = cohen_kappa_score(codes[:, a], codes[:, b])
                assert result["pairs"][pair] == pytest.approx(expected, abs=1e-12)
        if len(set(codes.flat)) == 1:
            assert result["fleiss_kappa"] is result["krippendorff_alpha"] is None
            continue
        compared += 1
        table_of_counts, _ = aggregate_raters(codes)
        assert result["fleiss_kappa"] == pytest.approx(fleiss_kappa(table_of_counts), abs=1e-12)
        expected_alpha = krippendorff.alpha(
            reliability_data=codes.T, level_of_measurement="nominal"
        )
        assert result["krippendorff_alpha"] == pytest.approx(expected_alpha, abs=1e-12)
        if None not in result["pairs"].values():  # Light's kappa: the mean of the pairs
            assert result["cohen_kappa"] == pytest.approx(np.mean(list(result["pairs"].values())))
    assert compared > 250  # the degenerate codings skipped are few


def test_the_worked_example_by_hand(db, call_cli, seeded_db):
    """Ten comments (the seed's eleven but the tombstone #10); claim by alice on #1-#5, by bob
    on #1-#3.  Both present on 3, alice only on 2, both absent on 5.

    percent: 8 of 10 agree = 80%.
    Cohen: po = 0.8; alice present 5/10, bob 3/10; pe = 0.5*0.3 + 0.5*0.7 = 0.5;
        kappa = (0.8 - 0.5) / (1 - 0.5) = 0.6.
    Fleiss: pooled present 8/20 = 0.4; Pe = 0.4^2 + 0.6^2 = 0.52; P = 0.8;
        kappa = (0.8 - 0.52) / (1 - 0.52) = 0.28 / 0.48 = 7/12.
    Krippendorff: n = 20 codings, 8 present, 12 absent; the 2 split items each hold
        2 disagreeing ordered pairs / (2 - 1): D = 4; E = 20^2 - (8^2 + 12^2) = 192;
        alpha = 1 - (20 - 1) * 4 / 192 = 1 - 76/192 = 29/48.
    """
    worked_example(db)
    expected = {
        "cohen_kappa": pytest.approx(0.6),
        "fleiss_kappa": pytest.approx(7 / 12),
        "krippendorff_alpha": pytest.approx(29 / 48),
        "percent_agreement": pytest.approx(80.0),
        "items": 10,
        "pairs": {"alice|bob": pytest.approx(0.6)},
        "reasons": {},
    }
    assert thread_agreement(db, 1)["tags"]["claim"] == expected
    assert agreement_json(call_cli, seeded_db)["tags"]["claim"] == expected
    row = next(line for line in table(call_cli, seeded_db) if line.startswith("claim "))
    assert row.split() == ["claim", "0.600", "0.583", "0.604", "80.0%", "10"]


# --- the report's shape and its undefined values ----------------------------------------------


def test_json_has_every_tag_every_table_and_no_nan(db, call_cli, seeded_db):
    worked_example(db)
    toggle_tag(db, 2, EVIDENCE, "bob", SENTENCE_2)
    add_link(db, 2, 1, "rebuts", "alice")
    report = agreement_json(call_cli, seeded_db)
    codebook = [name for (name,) in db.execute("SELECT name FROM tags ORDER BY hotkey")]
    assert set(report) == {"annotators", "tags", "segments", "links"}
    assert report["annotators"] == ["alice", "bob"]
    assert list(report["tags"]) == list(report["segments"]) == codebook
    for entry in [*report["tags"].values(), *report["segments"].values(), report["links"]]:
        assert set(entry) == ENTRY_KEYS
        assert list(entry["pairs"]) == ["alice|bob"]
        for statistic in STATISTICS:  # a value, or null with its reason
            assert (entry[statistic] is None) == (statistic in entry["reasons"])
    assert report["segments"]["evidence"]["items"] == 4  # comment 2's sentences
    assert report["links"]["items"] == 1


def test_one_annotator_is_a_clear_message_not_an_error(db, call_cli, seeded_db):
    tag_all(db, "alice", (1, 2))
    report = agreement_json(call_cli, seeded_db)
    assert report["annotators"] == ["alice"]
    claim = report["tags"]["claim"]
    assert claim["items"] == 10
    assert claim["pairs"] == {}
    assert {statistic: claim[statistic] for statistic in STATISTICS} == dict.fromkeys(STATISTICS)
    assert claim["reasons"] == dict.fromkeys(STATISTICS, NEEDS_TWO)
    assert table(call_cli, seeded_db) == [
        f"{NEEDS_TWO}: only alice tagged or linked in the database"
    ]


def test_nobody_coded_yet(call_cli, seeded_db):
    assert agreement_json(call_cli, seeded_db, "--thread", "1")["annotators"] == []
    assert table(call_cli, seeded_db, "--thread", "1") == [
        f"{NEEDS_TWO}: nobody tagged or linked in thread 1"
    ]


def test_a_tag_nobody_used_is_undefined_and_listed_apart(db, call_cli, seeded_db):
    worked_example(db)
    evidence = thread_agreement(db)["tags"]["evidence"]
    assert evidence["cohen_kappa"] is evidence["fleiss_kappa"] is None
    assert evidence["krippendorff_alpha"] is None
    assert evidence["reasons"] == {
        "cohen_kappa": NOT_USED,
        "fleiss_kappa": NOT_USED,
        "krippendorff_alpha": NOT_USED,
        "pairs": {"alice|bob": NOT_USED},
    }
    assert evidence["percent_agreement"] == 100.0  # everyone agrees it is absent everywhere
    lines = table(call_cli, seeded_db)
    assert not any(line.startswith("evidence ") for line in lines)
    assert "not used by anyone: evidence, counterpoint" in "\n".join(lines).replace("\n", " ")


def test_no_variation_is_undefined_with_its_reason(db, call_cli, seeded_db):
    tag_all(db, "alice", SEED_COMMENTS)
    tag_all(db, "bob", SEED_COMMENTS)
    claim = thread_agreement(db)["tags"]["claim"]
    assert (claim["cohen_kappa"], claim["percent_agreement"]) == (None, 100.0)
    assert claim["reasons"]["cohen_kappa"] == claim["reasons"]["fleiss_kappa"] == NO_VARIATION
    lines = table(call_cli, seeded_db)
    row = lines.index(next(line for line in lines if line.startswith("claim ")))
    assert lines[row].split() == ["claim", "n/a", "n/a", "n/a", "100.0%", "10"]
    assert lines[row + 1] == f"  kappa, fleiss, alpha n/a: {NO_VARIATION}"


def test_more_than_two_annotators_mean_the_pairs_and_name_an_undefined_one(db):
    worked_example(db)
    tag_all(db, "carol", (1, 2, 3, 4, 5))
    claim = thread_agreement(db)["tags"]["claim"]
    assert list(claim["pairs"]) == ["alice|bob", "alice|carol", "bob|carol"]
    assert claim["pairs"]["alice|carol"] == 1.0
    assert claim["cohen_kappa"] == pytest.approx(np.mean([0.6, 1.0, 0.6]))
    toggle_tag(db, 2, EVIDENCE, "alice")
    evidence = thread_agreement(db)["tags"]["evidence"]
    assert evidence["pairs"]["bob|carol"] is None  # neither used it
    assert evidence["cohen_kappa"] is None
    assert evidence["reasons"]["cohen_kappa"] == SOME_PAIR_UNDEFINED
    assert evidence["reasons"]["pairs"] == {"bob|carol": NOT_USED}
    assert evidence["fleiss_kappa"] is not None


# --- choosing annotators and threads ----------------------------------------------------------


def test_annotators_picks_whom_to_compare(db, call_cli, seeded_db):
    worked_example(db)
    tag_all(db, "carol", (6, 7))
    add_link(db, 3, 1, "supports", "carol")
    report = agreement_json(call_cli, seeded_db, "--annotators", "bob, alice")
    assert report["annotators"] == ["bob", "alice"]
    assert report["tags"]["claim"]["pairs"] == {"bob|alice": pytest.approx(0.6)}
    assert report["links"]["items"] == 0  # carol's link is no item between bob and alice
    assert agreement_json(call_cli, seeded_db)["annotators"] == ["alice", "bob", "carol"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("alice,zed", "no tags or links by 'zed' in the database (annotators: 'alice', 'bob')"),
        (" , ", "argument --annotators: name at least one annotator"),
    ],
)
def test_annotators_naming_nobody_who_coded_is_a_one_line_error(
    db, call_cli, seeded_db, names, message
):
    worked_example(db)
    returncode, stdout, stderr = call_cli("agreement", "--db", seeded_db, "--annotators", names)
    assert (returncode, stdout) == (2, "")
    assert stderr.startswith(f"threadmark: error: {message}")
    assert stderr.count("\n") == 1


def test_thread_limits_the_items_and_the_default_annotators(db, call_cli, seeded_db, tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("alpha comment one\nbeta comment two\nalpha comment one\n", encoding="utf-8")
    second = import_file(db, other).thread_id
    rows = db.execute("SELECT id FROM clusters WHERE thread_id = ?", (second,))
    second_comments = [cluster_id for (cluster_id,) in rows]
    worked_example(db)
    tag_all(db, "bob", second_comments)
    tag_all(db, "carol", second_comments)
    first = agreement_json(call_cli, seeded_db, "--thread", "1")
    assert (first["annotators"], first["tags"]["claim"]["items"]) == (["alice", "bob"], 10)
    assert first["tags"]["claim"]["percent_agreement"] == pytest.approx(80.0)
    there = agreement_json(call_cli, seeded_db, "--thread", second)
    assert (there["annotators"], there["tags"]["claim"]["items"]) == (["bob", "carol"], 2)
    # alice coded thread 1 only: in thread 2 she codes every comment absent (coding is presence).
    alice_there = agreement_json(
        call_cli, seeded_db, "--thread", second, "--annotators", "alice,bob"
    )
    assert alice_there["tags"]["claim"]["percent_agreement"] == 0.0
    # Every thread: 12 comments; alice and bob agree on 8 of thread 1's, none of thread 2's.
    everywhere = agreement_json(call_cli, seeded_db, "--annotators", "alice,bob")
    assert everywhere["tags"]["claim"]["items"] == 12
    assert everywhere["tags"]["claim"]["percent_agreement"] == pytest.approx(100 * 8 / 12)
    returncode, _, stderr = call_cli("agreement", "--db", seeded_db, "--thread", "99")
    assert (returncode, stderr) == (2, "threadmark: error: no thread 99 in the database\n")


# --- sentences and links ------------------------------------------------------------------------


def test_a_segment_marks_the_sentences_it_mostly_covers(db):
    def evidence() -> dict:
        return thread_agreement(db)["segments"]["evidence"]

    toggle_tag(db, 2, EVIDENCE, "alice", SENTENCE_2)
    toggle_tag(db, 2, EVIDENCE, "bob", (150, 170))  # a phrase inside sentence 2 marks it
    assert (evidence()["items"], evidence()["percent_agreement"]) == (4, 100.0)
    toggle_tag(db, 2, EVIDENCE, "bob", (180, 200))  # into sentence 3 by 6 of 20: not marked
    assert evidence()["percent_agreement"] == 100.0
    toggle_tag(db, 2, EVIDENCE, "alice", (194, 366))  # sentences 3 and 4, whole
    assert evidence()["percent_agreement"] == 50.0
    toggle_tag(db, 2, EVIDENCE, "bob", (200, 366))  # most of sentence 3, all of 4
    assert evidence()["percent_agreement"] == 100.0
    toggle_tag(db, 5, CLAIM, "bob", (0, 10))  # comment 5's three sentences become items
    assert evidence()["items"] == 7
    assert thread_agreement(db)["tags"]["evidence"]["items"] == 10  # the comments' own table


def test_a_segment_left_past_the_end_of_an_edited_comment_marks_nothing_beyond(db):
    toggle_tag(db, 2, EVIDENCE, "alice", (194, 366))
    toggle_tag(db, 3, EVIDENCE, "bob", (0, 244))
    # A re-scrape took in an edit that cut comment 2 to its first 150 characters (two
    # sentences); segments stay where they were coded.
    db.execute("UPDATE clusters SET text = substr(text, 1, 150) WHERE id = 2")
    db.commit()
    evidence = thread_agreement(db)["segments"]["evidence"]
    # Comment 2's two sentences, absent for both; comment 3's one, present for bob only.
    assert (evidence["items"], evidence["percent_agreement"]) == (3, pytest.approx(200 / 3))


def test_links_are_coded_by_kind_between_units(db):
    """Three pairs linked: #2 -> #1 rebuts by both, #3 -> #1 supports by alice, #4.1 -> #1
    undercuts by bob.  alice: rebuts, supports, absent; bob: rebuts, absent, undercuts.
    po = 1/3; pe = rebuts 1/3*1/3 + absent 1/3*1/3 = 2/9; kappa = (1/3 - 2/9)/(7/9) = 1/7."""
    add_link(db, 2, 1, "rebuts", "alice")
    add_link(db, 2, 1, "rebuts", "bob")
    add_link(db, 3, 1, "supports", "alice")
    add_link(db, 4, 1, "undercuts", "bob", source_span=(0, 10))
    links = thread_agreement(db)["links"]
    assert links["items"] == 3
    assert links["cohen_kappa"] == pytest.approx(1 / 7)
    assert links["percent_agreement"] == pytest.approx(100 / 3)
    add_link(db, 2, 1, "supports", "alice")  # two kinds on one pair: "rebuts+supports"
    links = thread_agreement(db)["links"]
    assert (links["items"], links["percent_agreement"]) == (3, 0.0)


def test_reply_links_made_at_import_are_no_codings(open_db, db_path):
    db = open_db()
    thread = import_file(db, FIXTURES / "reddit_thread.json").thread_id
    reply = db.execute("SELECT source_cluster, target_cluster FROM links WHERE kind = 'replies_to'")
    source, target = reply.fetchone()
    add_link(db, source, target, "rebuts", "alice")
    add_link(db, source, target, "supports", "bob")
    links = thread_agreement(db, thread)["links"]
    assert (links["items"], links["percent_agreement"]) == (1, 0.0)


# --- the table --------------------------------------------------------------------------------


def test_the_table_shows_hostile_names_inertly_in_80_columns(db, call_cli, seeded_db):
    hostile = "\x1b]52;c;cm0gLXJmIH4=\x07mallory\u202e" + "x" * 100
    wide = create_tag(db, "議論" * 30, "alice")  # 120 cells: cut to its column
    tag_all(db, "alice", (1, 2), wide.id)
    tag_all(db, hostile, (2, 3), wide.id)
    toggle_tag(db, 2, wide.id, hostile, SENTENCE_2)
    add_link(db, 2, 1, "rebuts", hostile)
    tag_all(db, "carol", (4,))  # three annotators: the pairs are listed, names and all
    returncode, stdout, stderr = call_cli("agreement", "--db", seeded_db)
    assert (returncode, stderr) == (0, "")
    for live in ("\x1b", "\x07", "\u202e"):
        assert live not in stdout
    assert "␛]52;c;cm0gLXJmIH4=␇mallory⟨RLO⟩" in stdout
    assert "pairs' kappa: ␛]52;c;cm0gLXJmIH4=␇mallory⟨RLO⟩" in stdout
    lines = stdout.splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    rows = [line for line in lines if line.startswith("議論")]
    assert len(rows) == 2  # on comments and on sentences
    heading = next(line for line in lines if line.split()[:1] == ["kappa"])
    for row in rows:  # cut in cells, a wide character counting two, and the columns lined up
        assert row.split()[0] == "議論" * 7 + "…"
        assert cell_len(row) == cell_len(heading)
    assert wide.name in agreement_json(call_cli, seeded_db)["tags"]  # JSON keeps names whole


def test_the_adjudicators_gold_layer_is_not_one_of_the_coders(db, call_cli, seeded_db):
    worked_example(db)
    returncode, _, stderr = call_cli(
        "adjudicate", "--db", seeded_db, "--annotator", "gold", "--accept-agreed"
    )
    assert returncode == 0, stderr
    assert agreement_json(call_cli, seeded_db)["annotators"] == ["alice", "bob"]
