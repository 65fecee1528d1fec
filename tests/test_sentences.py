"""A comment's sentences: the seed thread's pinned, the layout rules, the invariants, the helpers.

The seed thread's boundaries are pinned exactly: a change to the splitter or its rules that
moves them moves every ``#N.M`` people have written down, so it has to be a decision.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
import sentencex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import store.sentences as sentences_module
from store.seeds import seed_thread_path
from store.sentences import (
    SentenceCache,
    WordSteps,
    sentence_number,
    sentences,
    sentences_of,
    sentences_with,
    word_steps,
)

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW_EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

SEED_SENTENCES = [
    [
        ((0, 57), "The problem with copyright law is you need, well, copies."),
        ((58, 121), "AI systems don’t have a database of images that they reference."),
        ((122, 144), "They learn like we do."),
        (
            (145, 238),
            "When you picture SpongeBob in your mind, your not pulling up a reference "
            "image in a database.",
        ),
        ((239, 277), "You just “learned” what he looks like."),
        ((278, 304), "That’s how AI models work."),
        (
            (305, 385),
            "They are like giant strings of math that replicate the human brain in structure.",
        ),
        (
            (386, 493),
            "You train them by showing them a bunch of images, this is SpongeBob, this is "
            "a horse, this is a cowboy hat.",
        ),
        (
            (494, 572),
            "The model learns what these things are, but doesn’t literally copy the images.",
        ),
        (
            (573, 713),
            "Then when you ask for “SpongeBob on a horse wearing a cowboy hat” the model "
            "uses the patterns it learned to produce the image you asked for.",
        ),
        (
            (714, 855),
            "When your doing the training, presumably you made copies of images for that "
            "(which is arguably fair use), but the model itself has no copies.",
        ),
        (
            (856, 1191),
            "I don’t know how all of this shakes out, not an expert in copyright law, but "
            "I do know an essential element is the existence of copies, which AI models do "
            "not contain, which is why these lawsuits haven’t gone anywhere yet, and why "
            "AI companies and their lawyers were comfortable enough to invest billions "
            "doing this in the first place.",
        ),
        (
            (1192, 1277),
            "I mostly just want to clear up the “database” misconception since it’s pretty common.",
        ),
    ],
    [
        (
            (0, 136),
            "It doesn’t matter if actual copies of the original images exist, reproducing "
            "copyrighted concepts like characters is still infringement.",
        ),
        ((137, 193), "It’s the same whether it’s done by a human or a machine."),
        ((194, 229), "The real question is who is liable."),
        (
            (230, 366),
            "Obviously whoever distributes the images is liable (except for those exempted "
            "by section 230) but there’s no president for the trainers.",
        ),
    ],
    [
        (
            (0, 244),
            "I think there are arguments to be made for fair use with open models run by "
            "end users where there is no profit motive, but for closed models where use is "
            "paid the trainers are potentially profiting directly from the creation of "
            "infringing work.",
        ),
    ],
    [
        (
            (0, 110),
            "You can’t sue the paint and brush manufacturer because they made it possible "
            "for John Doe’s replicas or style.",
        ),
        ((111, 159), "Generative AI and LLMs are a tool not a product."),
        ((160, 224), "It is the exploitation of them as a product that is the problem."),
        (
            (225, 321),
            "I can make the same stuff in Blender or some shit program from Autodesk, and "
            "you won’t sue them.",
        ),
        ((322, 357), "No one tells people what to prompt."),
        (
            (358, 493),
            "Current AI is like the internet, it is access to enormous amounts of human "
            "knowledge but with more practical utility and a few caveats.",
        ),
        (
            (494, 680),
            "AI just happened a lot quicker and the Luddites and Lawyers are going to "
            "whine as much as the criminal billionaire class is going to exploit those "
            "that fail to understand the technology.",
        ),
        (
            (681, 863),
            "Almost all of these situations/articles/lawsuits/politics are about trying to "
            "create a monopoly for Altmann and prevent public adoption of open source "
            "offline AI as much as possible.",
        ),
        (
            (864, 964),
            "If everyone had access to a 70B or larger LLM right now, all of the internet "
            "would change overnight.",
        ),
        (
            (965, 1054),
            "You don’t need search engines or much of the internet structure of "
            "exploitation any more.",
        ),
        (
            (1055, 1185),
            "If a company can control this technology, with majority adoption, that "
            "company will be the successor of Microsoft and then Google.",
        ),
        (
            (1186, 1407),
            "All the peripheral nonsense is about controlling the market by any means "
            "necessary, preventing open minded people from looking into the utility, and "
            "playing gatekeepers to the new world paradigm of the next decade or two.",
        ),
    ],
    [
        (
            (0, 128),
            "Paint making companies typically don’t have massive databases of illegally "
            "obtained copies of other people’s copyrighted images.",
        ),
        (
            (129, 234),
            "Nor does paint fundamentally requires the existence of said database for the "
            "manufacture of paint itself.",
        ),
        ((235, 292), "That’s where the “it’s just a tool” argument falls apart."),
    ],
    [
        (
            (0, 173),
            "I love your enthusiasm though, to think that giving access to a massive llm "
            "for everyone would rid the internet of exploitation is extremely naïve and "
            "hopelessly optimistic.",
        ),
    ],
    [
        ((0, 37), "How do you show a computer something?"),
        ((38, 112), "Do you perhaps add pictures to a database that the program then processes?"),
        (
            (113, 260),
            "I understand it’s not a folder called SpongeBob but at some point somebody "
            "fed it pictures of SpongeBob and now those picture exists in a database.",
        ),
    ],
    [
        (
            (0, 215),
            "The reason the legal system is slow is because it’s complicated and everyone "
            "turns into philosophy majors when discussing thing like what a database is "
            "but are somehow used words like “show” without any explanation.",
        ),
    ],
    [
        (
            (0, 234),
            "The reason investors are comfortable pouring billions into AI is because "
            "investors either think they are going to make the money back before "
            "regulation catches up or they are just coked up maniacs investing anything "
            "that sounds shiny.",
        ),
    ],
    [
        ((0, 18), "deleted by creator"),
    ],
    [
        (
            (0, 116),
            "Saving pictures of spongebob in a file system to use as drawing reference "
            "also doesn’t equal copyright infringement.",
        ),
    ],
]


def seed_texts() -> list[str]:
    """The seed thread's distinct texts, in the order they first occur."""
    return list(dict.fromkeys(seed_thread_path().read_text(encoding="utf-8").splitlines()))


def texts_of(text: str) -> list[str]:
    return [text[start:end] for start, end in sentences(text)]


def assert_sentence_invariants(text: str, spans: list[tuple[int, int]]) -> None:
    """Sorted, apart, non-empty, inside the text, trimmed, and only whitespace left between."""
    covered_to = 0
    for start, end in spans:
        assert covered_to <= start < end <= len(text), (spans, len(text))
        assert not text[start].isspace() and not text[end - 1].isspace(), text[start:end]
        assert not text[covered_to:start].strip(), (
            f"lost between sentences: {text[covered_to:start]!r}"
        )
        covered_to = end
    assert not text[covered_to:].strip(), f"lost at the end: {text[covered_to:]!r}"


# --- the seed thread ---------------------------------------------------------------------


def test_seed_thread_sentences_are_pinned() -> None:
    texts = seed_texts()
    assert len(texts) == len(SEED_SENTENCES) == 11
    for text, expected in zip(texts, SEED_SENTENCES, strict=True):
        assert sentences(text) == [span for span, _ in expected]
        assert texts_of(text) == [sentence for _, sentence in expected]


# --- the layout rules --------------------------------------------------------------------


def test_blank_and_one_sentence_texts() -> None:
    assert sentences("") == []
    assert sentences(" \t\n\r\n \u3000") == []
    assert sentences("no sentence break here") == [(0, 22)]
    assert sentences("deleted by creator") == [(0, 18)]


def test_sentences_are_trimmed() -> None:
    assert sentences("  Hello there.  General Kenobi!\n") == [(2, 14), (16, 31)]


def test_quoted_lines_are_units_of_their_own() -> None:
    text = "> nobody uses that any more\nwe do, every day"
    assert texts_of(text) == ["> nobody uses that any more", "we do, every day"]
    assert texts_of("> It is slow. It leaks\nIt was fixed in 2.0.") == [
        "> It is slow.",
        "It leaks",
        "It was fixed in 2.0.",
    ]


def test_reply_before_a_quote_does_not_run_into_it() -> None:
    assert texts_of("I disagree with this part\n> the sky is green\nit is not") == [
        "I disagree with this part",
        "> the sky is green",
        "it is not",
    ]


def test_each_quote_depth_is_a_unit() -> None:
    text = "> > the original claim\n> a reply to it\n>> back to depth two\nmy answer"
    assert texts_of(text) == [
        "> > the original claim",
        "> a reply to it",
        ">> back to depth two",
        "my answer",
    ]


def test_quote_markers_belong_to_the_sentence_they_start() -> None:
    text = "> First point is wrong.\n> Second point is right.\nAgreed."
    assert texts_of(text) == ["> First point is wrong.", "> Second point is right.", "Agreed."]
    assert texts_of("   > an indented quote\nreply") == ["> an indented quote", "reply"]


def test_empty_quoted_line_ends_the_quotes_paragraph() -> None:
    text = "> first paragraph\n>\n> second paragraph\nreply"
    assert texts_of(text) == ["> first paragraph\n>", "> second paragraph", "reply"]
    assert texts_of(">\n> a quote that opens empty\nreply") == [
        ">\n> a quote that opens empty",
        "reply",
    ]


def test_a_greater_than_sign_inside_a_line_is_no_quote() -> None:
    assert texts_of("if a > b then stop") == ["if a > b then stop"]


def test_blank_lines_end_sentences() -> None:
    assert texts_of("no full stop\n\nnext paragraph") == ["no full stop", "next paragraph"]
    assert texts_of("spaces on the blank line\n  \t \nnext") == ["spaces on the blank line", "next"]
    assert texts_of("windows\r\n\r\nline endings\r\r old mac") == [
        "windows",
        "line endings",
        "old mac",
    ]


def test_a_single_line_break_is_left_to_the_splitter() -> None:
    assert texts_of("an editor that wraps\nlines at forty columns.") == [
        "an editor that wraps\nlines at forty columns."
    ]
    assert texts_of("That fixed it!\nThe build passes.") == ["That fixed it!", "The build passes."]


def test_list_items_end_the_sentence_before_them() -> None:
    text = "Things I tried:\n- restarting\n* a new cable\n+ praying\n1. step one\n2) step two"
    assert texts_of(text) == [
        "Things I tried:",
        "- restarting",
        "* a new cable",
        "+ praying",
        "1. step one",
        "2) step two",
    ]


def test_a_list_item_runs_on_to_its_continuation_lines() -> None:
    assert texts_of("- an item that\n  wraps onto a second line\n- the next item") == [
        "- an item that\n  wraps onto a second line",
        "- the next item",
    ]
    assert texts_of("> - a quoted item\n> - another") == ["> - a quoted item", "> - another"]


def test_sentences_inside_a_list_item_are_split() -> None:
    assert texts_of("- First this. Then that.\n- Done") == ["- First this.", "Then that.", "- Done"]


def test_line_starts_that_are_not_list_items() -> None:
    assert texts_of("it was\n3.5 times faster") == ["it was\n3.5 times faster"]
    assert texts_of("it was\n*really* fast\n-ish") == ["it was\n*really* fast\n-ish"]


def test_what_sentencex_gets_right_inside_a_unit() -> None:
    assert texts_of("Dr. Smith moved to the U.S. in 2015, e.g. for work. He likes it.") == [
        "Dr. Smith moved to the U.S. in 2015, e.g. for work.",
        "He likes it.",
    ]
    assert texts_of("See https://example.com/a.html?q=1#top for it. It costs $1.2M.") == [
        "See https://example.com/a.html?q=1#top for it.",
        "It costs $1.2M.",
    ]
    assert texts_of("It broke again.Anyway, I fixed it.") == [
        "It broke again.",
        "Anyway, I fixed it.",
    ]
    assert texts_of("今日は暑いです。明日は雨です。") == ["今日は暑いです。", "明日は雨です。"]


def test_lone_surrogates_and_control_characters() -> None:
    assert texts_of("a\ud800b. Next one.") == ["a\ud800b.", "Next one."]
    assert texts_of("bell\x07 and nul\x00. Escape \x1b[31m red.") == [
        "bell\x07 and nul\x00.",
        "Escape \x1b[31m red.",
    ]


def test_layout_rules_apply_around_any_splitter() -> None:
    text = "> a quote\nthe reply\n\nno break. here\n- an item"
    spans = sentences_with(text, lambda unit: [0])  # a splitter that never breaks
    assert [text[start:end] for start, end in spans] == [
        "> a quote",
        "the reply",
        "no break. here",
        "- an item",
    ]


# --- long units --------------------------------------------------------------------------


def test_a_long_paragraph_is_split_as_if_whole() -> None:
    paragraph = " ".join(seed_texts() * 3)  # 13,838 characters on one line
    with mock.patch.object(sentences_module, "WINDOW", 10**9):
        whole = sentences(paragraph)
    assert len(paragraph) > 3 * sentences_module.WINDOW
    assert sentences(paragraph) == whole
    with mock.patch.object(sentences_module, "WINDOW", 700):
        assert sentences(paragraph) == whole


def test_a_run_on_longer_than_a_window_is_cut_between_words() -> None:
    text = "and then " * 2_000
    spans = sentences(text)
    assert len(spans) > 1
    assert_sentence_invariants(text, spans)
    for start, end in spans:
        assert end - start <= sentences_module.WINDOW
        assert text[start:].startswith("and then")


def test_text_dense_with_quote_characters_is_split() -> None:
    text = "`code` and “quotes”. " * 5_000 + "«" * 20_000
    assert_sentence_invariants(text, sentences(text))


# --- invariants over arbitrary text ------------------------------------------------------

LAYOUT = st.sampled_from(
    ["\n", "\r\n", "\r", "\n\n", " ", "\t", "> ", ">", "- ", "* ", "1. ", "2) ", "\u2028", "\x85",
     "\x0b", "\x0c", "\x1c", "\u3000", ". ", "? ", "! ", "...", "。", "“", "”", "`", "'", '"', "(",
     ")", "e.g. ", "Dr. ", "3.5", "https://x.io/a?b=c#d. "]
)  # fmt: skip
ANY_CHARACTER = st.characters(exclude_categories=())  # surrogates and control characters too
WORD = st.text(st.sampled_from("abcXYZ\u00e9\u4e00\U0001f600"), min_size=1, max_size=8)
TEXTS = st.lists(st.one_of(LAYOUT, WORD, ANY_CHARACTER), max_size=80).map("".join)
LONG_TEXTS = st.builds(
    lambda pieces, times: "".join(pieces) * times,
    st.lists(st.one_of(LAYOUT, WORD, ANY_CHARACTER), min_size=1, max_size=40),
    st.integers(1, 10_000),
).map(lambda text: text[:12_000])


@EXAMPLES
@given(TEXTS)
def test_sentences_invariants(text: str) -> None:
    assert_sentence_invariants(text, sentences(text))


@EXAMPLES
@given(TEXTS)
def test_sentences_invariants_with_tiny_windows(text: str) -> None:
    with mock.patch.object(sentences_module, "WINDOW", 7):
        assert_sentence_invariants(text, sentences(text))


@FEW_EXAMPLES
@given(LONG_TEXTS)
def test_sentences_invariants_on_long_texts(text: str) -> None:
    assert_sentence_invariants(text, sentences(text))


@EXAMPLES
@given(st.text(max_size=200))
def test_sentencex_pieces_are_its_input(text: str) -> None:
    """The offsets are the pieces' lengths added up: that holds only while this does."""
    assert "".join(sentencex.segment(sentences_module.LANGUAGE, text)) == text


# --- naming a range ----------------------------------------------------------------------


def test_sentence_number() -> None:
    spans = sentences("One. Two. Three.")
    assert spans == [(0, 4), (5, 9), (10, 16)]
    assert sentence_number(spans, 0, 4) == (1, 1)
    assert sentence_number(spans, 5, 9) == (2, 2)
    assert sentence_number(spans, 5, 16) == (2, 3)
    assert sentence_number(spans, 0, 16) == (1, 3)


def test_sentence_number_is_none_off_the_boundaries() -> None:
    spans = sentences("One. Two. Three.")
    assert sentence_number(spans, 5, 8) is None  # ends inside sentence 2
    assert sentence_number(spans, 6, 9) is None  # starts inside it
    assert sentence_number(spans, 4, 9) is None  # starts in the space between
    assert sentence_number(spans, 5, 10) is None  # ends in the space after
    assert sentence_number(spans, 5, 5) is None
    assert sentence_number(spans, 10, 17) is None
    assert sentence_number([], 0, 1) is None


# --- moving a selection's end by a word ---------------------------------------------------


def test_word_steps() -> None:
    text = "one two  three"
    assert word_steps(text, 0, 3) == WordSteps(back=3, forward=7)  # one word: nowhere back
    assert word_steps(text, 0, 7) == WordSteps(back=3, forward=14)
    assert word_steps(text, 0, 14) == WordSteps(back=7, forward=14)  # the text's end
    assert word_steps(text, 4, 14) == WordSteps(back=7, forward=14)
    assert word_steps(text, 4, 7) == WordSteps(back=7, forward=14)  # never at or before start


def test_word_steps_from_inside_a_word_or_a_space() -> None:
    text = "hello world \n"
    assert word_steps(text, 0, 2) == WordSteps(back=2, forward=5)  # to the end of this word
    assert word_steps(text, 0, 6) == WordSteps(back=5, forward=11)  # trimmed back
    assert word_steps(text, 0, 11) == WordSteps(back=5, forward=11)  # only space after
    assert word_steps("a\nb", 0, 1) == WordSteps(back=1, forward=3)


@pytest.mark.parametrize(("start", "end"), [(0, 0), (3, 2), (-1, 2), (0, 12)])
def test_word_steps_refuses_what_is_not_a_selection(start: int, end: int) -> None:
    with pytest.raises(ValueError):
        word_steps("hello world", start, end)


def is_word_end(text: str, position: int) -> bool:
    return not text[position - 1].isspace() and (position == len(text) or text[position].isspace())


@EXAMPLES
@given(TEXTS, st.data())
def test_word_steps_go_to_the_nearest_word_ends(text: str, data: st.DataObject) -> None:
    if not text:
        return
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    back, forward = word_steps(text, start, end)
    assert start < back <= end <= forward <= len(text)
    if back < end:
        assert is_word_end(text, back)
    nearer_back = range(back + 1 if back < end else start + 1, end)
    assert not any(is_word_end(text, position) for position in nearer_back)
    if forward > end:
        assert is_word_end(text, forward)
    nearer_forward = range(end + 1, forward if forward > end else len(text) + 1)
    assert not any(is_word_end(text, position) for position in nearer_forward)


# --- the cache ---------------------------------------------------------------------------


def test_the_cache_returns_what_sentences_does() -> None:
    cache = SentenceCache()
    for text in [*seed_texts(), "", "> a quote\nreply"]:
        assert cache.sentences(text) == sentences(text)
        assert cache.sentences(text) == sentences(text)
    assert sentences_of("One. Two.") == sentences("One. Two.")


def test_a_repeated_text_is_not_split_again() -> None:
    cache = SentenceCache()
    with mock.patch.object(sentences_module, "sentences", wraps=sentences) as split:
        for _ in range(3):
            cache.sentences("One. Two.")
        assert split.call_count == 1


def test_a_caller_cannot_change_what_the_cache_holds() -> None:
    cache = SentenceCache()
    cache.sentences("One. Two.").clear()
    assert cache.sentences("One. Two.") == [(0, 4), (5, 9)]


def test_the_cache_is_bounded_in_entries_and_characters() -> None:
    by_entries = SentenceCache(max_entries=3, max_chars=10**6)
    by_chars = SentenceCache(max_entries=1_000, max_chars=100)
    for number in range(10):
        text = f"Comment number {number} is forty characters long."[:40]
        by_entries.sentences(text)
        by_chars.sentences(text)
    assert len(by_entries) == 3
    assert len(by_chars) == 2 and by_chars.chars == 80
    by_chars.sentences("x" * 101)
    assert len(by_chars) == 2 and by_chars.chars == 80  # too long to keep


def test_the_cache_keeps_what_was_used_last() -> None:
    cache = SentenceCache(max_entries=2)
    with mock.patch.object(sentences_module, "sentences", wraps=sentences) as split:
        cache.sentences("A.")
        cache.sentences("B.")
        cache.sentences("A.")  # A is now the most recent
        cache.sentences("C.")  # so B goes
        cache.sentences("A.")
        assert split.call_count == 3
        cache.sentences("B.")
        assert split.call_count == 4


def test_the_cache_is_shared_safely_between_threads() -> None:
    cache = SentenceCache(max_entries=50, max_chars=5_000)
    texts = [f"Text {number % 120}. It has two sentences." for number in range(3_000)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(cache.sentences, texts))
    assert results == [sentences(text) for text in texts]
    assert len(cache) <= 50 and cache.chars <= 5_000


# --- what the module may import ----------------------------------------------------------


def test_splitting_loads_no_terminal_code_and_no_database() -> None:
    code = (
        "import sys, store.sentences as s; s.sentences('One. Two.'); "
        "print(sorted(m for m in ('textual', 'rich', 'store.database') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- sentencex's own failures --------------------------------------------------------------

PANICKED_SENTENCEX_1_0 = [".A\t\u2028. ", "A\xa0. Next one.", "M\u2028.\u2028A", "M\x85.\n!"]


@pytest.mark.parametrize("text", PANICKED_SENTENCEX_1_0)
def test_a_unicode_space_before_a_full_stop_is_split_without_a_panic(text, capfd) -> None:
    """sentencex 1.0 panics (and prints a Rust backtrace over the screen) on an initial, a
    Unicode space and a full stop; those spaces reach it as plain spaces."""
    assert_sentence_invariants(text, sentences(text))
    assert capfd.readouterr().err == ""


def test_a_panic_in_sentencex_leaves_the_unit_one_sentence() -> None:
    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panicking(language: str, text: str) -> list[str]:
        raise PanicException("byte index is not a char boundary")

    with mock.patch.object(sentencex, "segment", panicking):
        assert sentences("One. Two.") == [(0, 9)]
    interrupted = mock.patch.object(sentencex, "segment", side_effect=KeyboardInterrupt)
    with interrupted, pytest.raises(KeyboardInterrupt):
        sentences("One. Two.")
