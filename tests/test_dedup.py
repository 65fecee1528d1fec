"""Duplicate folding: normalising, identity/exact/near folds, tombstones, short texts, quotes."""

from __future__ import annotations

import random
import sys
import unicodedata
from pathlib import Path

import pytest
from rapidfuzz import fuzz

import store.dedup
from store.dedup import Folding, fold
from store.normalize import GREATER_THAN_FORMS, Normalised, may_quote, normalise
from store.records import CommentRecord

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_661a8b21aa12c001.txt"

LONG = (
    "The problem with copyright law is that you need copies, and these systems do not keep "
    "a database of images that they look things up in when they draw."
)


def records(*texts: str) -> list[CommentRecord]:
    return [CommentRecord(text) for text in texts]


def clusters(folding: Folding) -> list[list[int]]:
    """The clusters of a folding as sorted lists of record indexes, in order of canonical."""
    members: dict[int, list[int]] = {}
    for index, canonical in enumerate(folding.canonical):
        members.setdefault(canonical, []).append(index)
    return sorted(members.values())


# --- normalise ---------------------------------------------------------------------------------


def test_normalise_folds_case_width_typography_and_invisible_characters() -> None:
    text = "It\u2019s \u201cFINE\u201d \u2014 really\u2026\u200b  Ｆｕｌｌwidth\u00ad\n\tok\u202e!"
    assert normalise(text) == Normalised('it\'s "fine" - really... fullwidth ok!', "")


def test_every_character_that_normalises_to_a_quote_marker_is_known_ahead() -> None:
    """Folding finds the quotes before normalising (store.dedup._QuotesAhead): a character
    that becomes ">" and is not in GREATER_THAN_FORMS would hide a quote from it."""
    becomes_marker = {
        character
        for character in map(chr, range(sys.maxunicode + 1))
        if ">" in unicodedata.normalize("NFKC", character).casefold()
    }
    assert becomes_marker == set(GREATER_THAN_FORMS)
    for form in GREATER_THAN_FORMS:
        text = f"{form} what was said before, word for word\nmy answer"
        assert may_quote(text) and normalise(text).quoted == "what was said before, word for word"
    assert not may_quote("no quote here, only 2 < 3")


def test_normalise_sets_quoted_lines_apart() -> None:
    text = "> First quoted line\n  >> nested   one\nMy reply.\n\nA 2 > 1 comparison is not a quote."
    assert normalise(text) == Normalised(
        "my reply. a 2 > 1 comparison is not a quote.", "first quoted line nested one"
    )


# --- identity and exact ------------------------------------------------------------------------


def test_exact_repeats_fold_whatever_their_case_spacing_and_quote_marks() -> None:
    folding = fold(
        records(
            "It\u2019s a \u201ctest\u201d of the folding, isn\u2019t it?",
            "IT'S A \"TEST\" OF THE   FOLDING,\n isn't it?",
            "it's a \"test\" of the folding, isn't it?",
        )
    )
    assert folding.canonical == [0, 0, 0]
    assert folding.folded == [None, "exact", "exact"]


def test_identity_repeats_fold_into_the_first_even_when_edited() -> None:
    folding = fold(
        [
            CommentRecord(LONG, platform_id="a"),
            CommentRecord("something else entirely, said at another time", platform_id="b"),
            CommentRecord("the text was edited between the two scrapes", platform_id="a"),
        ]
    )
    assert folding.canonical == [0, 1, 0]
    assert folding.folded == [None, None, "identity"]


def test_canonical_is_the_earliest_record_of_its_cluster() -> None:
    typo = LONG.replace("database", "databse")
    folding = fold(records("an unrelated first comment of some length", typo, LONG, typo, LONG))
    assert folding.canonical == [0, 1, 1, 1, 1]
    assert folding.folded == [None, None, "near", "exact", "near"]


# --- near duplicates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        LONG.replace("systems", "sytems"),  # a typo
        LONG.replace("draw.", "draw"),  # punctuation dropped
        LONG + "\n\nEdit: fixed a typo",  # an appended edit line
        LONG.replace("copies,", "'copies',"),  # quotes added
    ],
    ids=["typo", "punctuation", "edit line", "quotes added"],
)
def test_near_duplicates_fold(variant: str) -> None:
    folding = fold(records(LONG, variant))
    assert folding.canonical == [0, 0]
    assert folding.folded == [None, "near"]


def test_quote_style_changes_fold() -> None:
    double = 'He said "we will never agree to this" and then he said "fine, whatever" at the end.'
    single = double.replace('"', "'")
    assert fold(records(double, single)).canonical == [0, 0]


def test_threshold_is_respected() -> None:
    variant = LONG + " And that is all I have to say about it."
    score = fuzz.ratio(normalise(LONG).own, normalise(variant).own)
    assert 80 < score < 90
    assert fold(records(LONG, variant), threshold=80).canonical == [0, 0]
    assert fold(records(LONG, variant), threshold=90).canonical == [0, 1]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            "I agree with the ruling because it protects artists",
            "I disagree with the ruling because it hurts artists",
        ),
        (
            LONG + " Training on art is learning, like any art student does at a museum.",
            LONG + " That is exactly why the courts should ban it, and soon, before it spreads.",
        ),
        (
            "Fair use has always covered this. " + LONG,
            "Nobody should have to pay for that. " + LONG[:60] + " and so on, for ever.",
        ),
    ],
    ids=["agree-disagree", "shared opening", "shared sentence"],
)
def test_different_comments_sharing_most_words_do_not_fold(first: str, second: str) -> None:
    assert fold(records(first, second)).canonical == [0, 1]


# --- authors -----------------------------------------------------------------------------------


def by(author: str | None, text: str, **fields) -> CommentRecord:
    return CommentRecord(text, author=author, **fields)


def test_the_same_words_from_different_people_are_not_folded_but_grouped() -> None:
    typo = LONG.replace("database", "databse")
    folding = fold([by("ann", LONG), by("bob", LONG), by("ann", typo), by("carol", typo)])
    assert folding.canonical == [0, 1, 0, 3]
    assert folding.folded == [None, None, "near", None]
    assert folding.same_text == {0: 0, 1: 0, 3: 0}


def test_records_with_no_author_fold_together_but_not_with_named_ones() -> None:
    folding = fold(
        [by(None, "Thank you sir"), by(None, "thank you  SIR"), by("ann", "Thank You Sir")]
    )
    assert folding.canonical == [0, 0, 2]
    assert folding.same_text == {0: 0, 2: 0}


def test_folding_across_authors_keeps_the_old_single_cluster() -> None:
    thanks = [by(name, "Thank You Sir") for name in ("ann", "bob", "carol", "dan", "ann")]
    folding = fold(thanks, across_authors=True)
    assert folding.canonical == [0] * 5
    assert folding.folded == [None, "exact", "exact", "exact", "exact"]
    assert folding.same_text == {}


def test_an_identity_repeat_by_another_author_name_still_folds() -> None:
    """The platform id says it is one comment, whatever the scrape says of its author."""
    folding = fold([by("ann", LONG, platform_id="a"), by("[deleted]", LONG, platform_id="a")])
    assert folding.canonical == [0, 0]
    assert folding.folded == [None, "identity"]


def test_a_tombstone_listed_twice_in_a_dump_without_ids_counts_once() -> None:
    when = "2024-03-01T10:00:00Z"
    folding = fold(
        [
            by("[deleted]", "[deleted]", created_at=when, is_tombstone=True),
            by("[deleted]", "[deleted]", created_at="2024-03-01T11:00:00Z", is_tombstone=True),
            by("[deleted]", "[deleted]", created_at=when, is_tombstone=True),
            by("[deleted]", "[deleted]", is_tombstone=True),  # no time: nothing identifies it
            by("[deleted]", "[deleted]", is_tombstone=True),
        ]
    )
    assert folding.canonical == [0, 1, 0, 3, 4]
    assert folding.folded == [None, None, "identity", None, None]


def test_a_quote_reply_quotes_the_author_it_replies_to_when_two_said_the_same() -> None:
    quoted = LONG
    reply = f"> {LONG}\nThat is not how the law sees a copy, whatever the model keeps inside."
    folding = fold(
        [
            by("ann", quoted, platform_id="a"),
            by("bob", quoted, platform_id="b"),
            by("cat", reply, platform_id="c", parent_id="b"),
            by("dan", reply, platform_id="d", parent_id="a"),
        ]
    )
    assert folding.canonical == [0, 1, 2, 3]
    assert folding.quotes == [(2, 1), (3, 0)]  # each to the comment it answers


# --- tombstones and short texts ----------------------------------------------------------------


def test_tombstones_never_fold_by_text_but_identity_repeats_do() -> None:
    folding = fold(
        [
            CommentRecord("[deleted]", platform_id="x", is_tombstone=True),
            CommentRecord("[deleted]", platform_id="y", is_tombstone=True),
            CommentRecord("[deleted]", platform_id="x", is_tombstone=True),
            CommentRecord("[deleted]"),  # not a tombstone here: an ordinary short comment
            CommentRecord("[deleted]"),
        ]
    )
    assert folding.canonical == [0, 1, 0, 3, 3]
    assert folding.folded == [None, None, "identity", None, "exact"]


def test_short_texts_fold_only_by_exact_repeat() -> None:
    folding = fold(
        records("+1", "+1", "+2", "this", "This ", "thus", "same here lol", "same here lo")
    )
    assert clusters(folding) == [[0, 1], [2], [3, 4], [5], [6], [7]]


# --- quotes ------------------------------------------------------------------------------------


def test_a_quote_reply_links_to_the_comment_it_quotes_and_is_not_folded() -> None:
    quote = "> you need copies, and these systems do not keep a database\n"
    folding = fold(
        [
            CommentRecord(LONG, platform_id="p"),
            CommentRecord("Something else entirely that is long enough to count.", platform_id="q"),
            CommentRecord(quote + "That is not how it works.", platform_id="r", parent_id="p"),
            # Replies to q but quotes p: the parent is tried first, then the likely candidates.
            CommentRecord(quote + "Which is the whole point.", platform_id="s", parent_id="q"),
        ]
    )
    assert folding.canonical == [0, 1, 2, 3]
    assert folding.quotes == [(2, 0), (3, 0)]


def test_a_quote_reply_without_a_parent_finds_the_comment_it_quotes() -> None:
    folding = fold(
        records(
            "Something else entirely that is long enough to count.",
            LONG,
            "> you need copies, and these systems do not keep a database\n"
            "That is not how any of this works.",
            "> you need copies, and these systems do not keep a database\n"
            "That is not how any of this works.",
        )
    )
    assert folding.canonical == [0, 1, 2, 2]
    assert folding.quotes == [(2, 1)]


def test_a_quote_in_a_fullwidth_marker_is_found_too() -> None:
    quoting = "\uff1e you need copies, and these systems do not keep a database\nNot how it works."
    assert fold(records(LONG, quoting)).quotes == [(1, 0)]


def test_texts_whose_hashes_collide_are_still_told_apart(monkeypatch) -> None:
    """Exact repeats are found by the hash of their normalised text; a collision must not
    fold two different texts."""
    texts = [LONG, LONG.upper(), "Another comment, different words, long enough.", LONG + " ok"]
    unchanged = fold(records(*texts))
    monkeypatch.setattr(store.dedup, "hash", lambda text: 0, raising=False)
    collided = fold(records(*texts, "ANOTHER comment, different words, long enough."))
    assert collided.canonical == [*unchanged.canonical, 2]
    assert collided.folded == [*unchanged.folded, "exact"]
    assert unchanged.canonical == [0, 0, 2, 0] and unchanged.folded == [None, "exact", None, "near"]


def test_a_quote_of_a_comment_that_came_later_is_not_linked() -> None:
    quoting = "> you need copies, and these systems do not keep a database\nNot how it works."
    assert fold(records(quoting, LONG)).quotes == []


def test_a_comment_that_is_only_a_quote_is_compared_on_its_quote() -> None:
    folding = fold(records(LONG, "> " + LONG.replace(". ", ".\n> ")))
    assert folding.canonical == [0, 0]


def test_hostile_text_folds_without_error() -> None:
    surrogate = "A long comment with a lone surrogate \ud800 in it, and a few more words."
    huge = "word " * 300_000  # compared on its first 10,000 characters
    folding = fold(
        records(
            surrogate,
            surrogate.replace("more", "mroe"),
            "\x1b]52;c;aGk=\x07 [bold]markup[/bold] \u202eand a bidi override",
            huge,
            huge + "!",
        )
    )
    assert folding.canonical == [0, 0, 2, 3, 3]


# --- whole threads -----------------------------------------------------------------------------


def test_seed_thread_folds_into_eleven_clusters() -> None:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 20
    folding = fold(
        [CommentRecord(line, is_tombstone=line == "deleted by creator") for line in lines]
    )
    assert len(set(folding.canonical)) == 11
    assert folding.canonical[15] == 15  # the tombstone, line 16
    assert sum(how is not None for how in folding.folded) == 9
    assert set(folding.folded) == {None, "exact"}


def test_progress_is_reported_by_stage_and_can_cancel() -> None:
    calls: list[tuple[str, int, int]] = []
    fold(records(*(f"{LONG} number {i}" for i in range(500))), progress=lambda *a: calls.append(a))
    stages = [stage for stage, _, _ in calls]
    assert {"normalise", "candidates", "verify"} <= set(stages)
    assert len(calls) < 100  # now and then, not per record

    class Cancelled(Exception):
        pass

    def cancel(stage: str, done: int, total: int) -> None:
        raise Cancelled

    with pytest.raises(Cancelled):
        fold(records(LONG, LONG), progress=cancel)


def synthetic_thread(originals: int, seed: int) -> tuple[list[str], list[int]]:
    """Comments from a 60-word vocabulary, each original with 0-3 variants, shuffled."""
    rng = random.Random(seed)
    vocabulary = [
        f"{stem}{end}"
        for stem in ("art", "law", "copy", "model", "use", "fair")
        for end in ("", "s", "ed", "ing", "er", "ist", "ly", "ness", "ful", "al")
    ]
    comments = []
    for cluster in range(originals):
        original = " ".join(rng.choices(vocabulary, k=rng.randint(30, 60))) + "."
        comments.append((original, cluster))
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            position = rng.randrange(1, len(original) - 1)
            variant = rng.choice(
                [
                    original.upper(),
                    original.replace(" ", "  \n", 3),
                    original[:position] + original[position + 1 :],  # a dropped letter
                    original + "\nEdit: typo",
                ]
            )
            comments.append((variant, cluster))
    rng.shuffle(comments)
    return [text for text, _ in comments], [cluster for _, cluster in comments]


def test_twenty_thousand_comments_with_shared_vocabulary_fold_into_the_right_clusters() -> None:
    texts, truth = synthetic_thread(originals=13_000, seed=7)
    texts, truth = texts[:20_000], truth[:20_000]
    folding = fold(records(*texts))
    found = {tuple(cluster) for cluster in clusters(folding)}
    expected: dict[int, list[int]] = {}
    for index, cluster in enumerate(truth):
        expected.setdefault(cluster, []).append(index)
    assert found == {tuple(members) for members in expected.values()}
