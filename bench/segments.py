"""Benchmark sentence splitting: speed against a naive regex, and boundaries against a gold set.

    python bench/segments.py [--n 100000] [--smoke] [--compare]

Segments (``#4.2``, a comment's second sentence) are split lazily, when a comment is shown or
exported, so the splitter must keep up with a reader and an export.  In one run this measures:

- speed: :func:`store.sentences.sentences` on N generated comments (seeded: lengths, paragraphs,
  quotes, lists, abbreviations, numbers, URLs, markdown and emoji as threads have them), in
  comments and sentences per second, against a baseline (a regex split after ``.``, ``!`` or
  ``?`` and whitespace) timed on the same comments;
- one long comment: a generated comment of 1,000,000 characters in paragraphs, and the same
  words on one line (a single unit for the splitter), with the growth from half that size:
  about 2x for a linear splitter, 4x for a quadratic one;
- quality: boundary precision, recall and F1, and the share of comments split exactly right,
  on a gold set: the seed thread's 11 distinct texts and GOLD_WRITTEN, comments written for
  this benchmark with the things that trip splitters up.

- the reader: the time from ``]`` (select the next sentence) to the first frame drawn after it,
  on a 5,000-character comment and, as the same-run baseline, on a short one: in-process with
  Textual's Pilot, from posting the key to the app's next ``_display`` of the screen.

``--smoke`` splits 1,000 comments and a long comment of 50,000 characters, and presses ``]``
a few times, in a few seconds.
``--compare`` adds pysbd, syntok and nupunkt where installed, each inside the same layout rules
(``store.sentences.sentences_with``), to every table: it is how sentencex was chosen.  A
splitter that takes more than LONG_BUDGET seconds on the long comment at one size is not timed
at the next (pysbd is quadratic).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from collections.abc import Callable, Iterable
from importlib import import_module
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from store.seeds import seed_thread_path
from store.sentences import Span, sentences, sentences_with, trimmed_pieces

SEED = 20240607
LONG_CHARS = 1_000_000
LONG_BUDGET = 10.0  # seconds

Split = Callable[[str], list[Span]]

# The gold set.  In GOLD_WRITTEN a MARK stands where a sentence starts (it is not part of the
# text); SEED_OPENINGS has the first words of each sentence of each of the seed's distinct texts.
MARK = "¶"
SEED_OPENINGS = [
    ("The problem with", "AI systems don’t", "They learn like", "When you picture",
     "You just “learned”", "That’s how AI", "They are like", "You train them",
     "The model learns", "Then when you", "When your doing", "I don’t know", "I mostly just"),
    ("It doesn’t matter", "It’s the same", "The real question", "Obviously whoever distributes"),
    ("I think there",),
    ("You can’t sue", "Generative AI and", "It is the", "I can make", "No one tells",
     "Current AI is", "AI just happened", "Almost all of", "If everyone had", "You don’t need",
     "If a company", "All the peripheral"),
    ("Paint making companies", "Nor does paint", "That’s where the"),
    ("I love your",),
    ("How do you", "Do you perhaps", "I understand it’s"),
    ("The reason the",),
    ("The reason investors",),
    ("deleted by creator",),
    ("Saving pictures of",),
]  # fmt: skip
GOLD_WRITTEN = [
    # abbreviations
    "Dr. Smith told me the same thing. ¶He said it was fine.",
    "I moved to the U.S. in 2015 and never looked back. ¶Best decision ever.",
    "Some languages, e.g. Rust and Go, make this easy. ¶Others, i.e. C, make it painful.",
    "It's Python vs. Rust all over again. ¶Can we not?",
    "Mr. and Mrs. Jones live on Elm St. near the park.",
    "Prof. Lee and Dr. Kim disagree on this one.",
    "Apples, pears, bananas, etc. are all fine. ¶Just avoid grapes.",
    "I grew up in the U.S. ¶Moving here was hard.",
    "No. 5 is my favourite. ¶No. 7 is overrated.",
    "The Jan. 6 hearings were long and I watched all of them.",
    "A.I. is overhyped. ¶Change my mind.",
    "The package weighs approx. 3.5 kg. ¶Shipping was fast though.",
    # URLs and addresses
    "Check https://example.com/search?q=sentence+splitting&page=2#results for the full list. "
    "¶It's long.",
    "The docs are at https://docs.example.org/v3.2/guide.html. ¶Read them before asking.",
    "Did you mean https://example.com/page?id=3? ¶Or the other one?",
    "The fix landed in v1.4.2, see https://git.example.com/proj/pull/123?diff=split. "
    "¶Works for me now.",
    "I emailed support@example.com last week. ¶No reply yet.",
    "Open config.yaml and set debug to true.",
    # numbers
    "It costs $1.2M per year and the server runs at 3.5 GHz. ¶That's absurd for a blog.",
    "The meeting is at 10:30 tomorrow. ¶Don't be late, seriously.",
    "Version 2.0.1 fixed it. ¶Upgrade now.",
    "See section 4.2.1 of the spec for details.",
    "They raised $12.5 million in March. ¶The valuation is rumoured at $1B.",
    "The ratio is 3:1 in favour. ¶Not close.",
    "It happened at 5 p.m. on a Friday.",
    "Watch the video at 3:45. ¶That's the key moment.",
    "I think it's 3.5.¶Could be 3.6 though.",
    "10/10 would recommend. ¶Five stars.",
    # ellipses, emoticons, emoji, lol
    "I don't know... ¶Maybe it's fine? ¶Probably not.",
    "I was going to say something... but never mind.",
    "Well… I guess that works.",
    "That's awesome :) ¶Thanks for sharing.",
    "It works, mostly ;-) but don't quote me on that.",
    "this is the best thing i've read all day lol",
    "that's hilarious lol ¶I'm stealing this",
    "This is so good 😂😂 ¶Who made it?",
    "I love this! 😍 ¶Where did you buy it?",
    "Wow. ¶Just wow.",
    # lowercase starts, missing spaces, shouting
    "i tried that yesterday. ¶it didn't work. ¶any other ideas?",
    "It broke again.¶Anyway, I fixed it by reinstalling.",
    "Nope.¶Not happening.",
    "no way!!! ¶that's insane",
    "Wait, what?! ¶That can't be right.",
    "This!!! ¶So much this.",
    "Hmm. ¶Not sure about that. ¶Got a source?",
    "Yes. ¶No. ¶Maybe.",
    "Honestly? ¶I don't care anymore.",
    # quotes and parentheses
    'He said "I\'m not doing this again." ¶Then he did it again.',
    '"This is the best option," she said. ¶I disagree.',
    'What do you mean by "fair use"? ¶It depends on the country.',
    "(Not that anyone asked.) ¶The real answer is caching.",
    "It mostly works (except on Windows). ¶Try it and see.",
    "It's in the README (see the Install section). ¶Also in the wiki.",
    "(Edit: I was wrong. ¶See below.)",
    'He was like "nope" and walked off lol',
    # markdown
    "**Important:** back up your data first. ¶Then run the migration.",
    "Use `os.path.join()` instead of string concatenation. ¶It handles the separators for you.",
    "See [the FAQ](https://example.com/faq#billing). ¶It answers this exactly.",
    "The error was `ValueError: invalid literal for int()`. ¶Any idea why?",
    "Run `pip install -e .` first. ¶Then run the tests.",
    "TL;DR: don't store passwords in plain text. ¶Ever.",
    "Use a tool like `git bisect`. ¶Or just read the log, lol.",
    # lists
    "Things I tried:\n¶- restarting the router\n¶- a different cable\n¶- yelling at it",
    "Steps:\n¶1. Open settings.\n¶2. Go to Privacy.\n¶3. Turn it off.",
    "- fast\n¶- cheap\n¶- reliable\n\n¶Pick two.",
    "* **Pro:** it's free\n¶* **Con:** it's slow",
    "My reasons are 1. cost and 2. speed.",
    # quoted lines
    "> This will never work at scale.\n¶It already does, at three companies I know of.",
    "> Why not just use SQLite? ¶It's everywhere\n¶Because we need concurrent writers. "
    "¶Postgres handles that.",
    "> First point is wrong.\n¶> Second point is right.\n¶Agreed on both counts.",
    "> Sources?\n¶https://example.org/report.pdf",
    "> the docs say it's deprecated\n¶They also say it's supported until 2027.",
    # paragraphs and lines
    "Great point.\n\n¶But have you considered the cost?\n\n¶I think it doubles.",
    "Great write-up, thanks.\n\n¶Edit: fixed a typo",
    "This comment was written in an editor that wraps\nlines at sixty characters, which is "
    "annoying. ¶Sorry.",
    "Thanks, that fixed it!\n¶Now the build passes.",
    "First line here.\r\n¶Second line here.\r\n\r\n¶New paragraph.",
    "Update\n\n¶It works now",
    # other languages
    "Das ist z.B. ein guter Ansatz. ¶Wir treffen uns am 3. Oktober um 10 Uhr.",
    "Ich weiß nicht, d.h. ich bin mir nicht sicher. ¶Was meinst du?",
    "Das kostet ca. 5 Euro. ¶Echt günstig!",
    "C'est vraiment intéressant ! ¶Tu as une source ?",
    "M. Dupont est arrivé en retard. ¶Encore une fois.",
    "¿Dónde está la documentación? ¶¡No la encuentro por ninguna parte!",
    "El Sr. García llegó tarde otra vez. ¶¡Qué sorpresa!",
    "今日はとても暑いです。¶明日は雨が降るそうです。",
    "这个方法很好用。¶你试过了吗？",
]

# The generator's vocabulary: common words dominate; the inserts are what splitters trip on.
COMMON_WORDS = """the to and a of is that it in i you for this not be are they on with have
but as was what if do just can so like about people would all there their or more an think
because no will at from my one we how your by don't it's even get them than only should when
who which some make any know really these also been being other were much then why things way
still same those most could own into many need does doesn't thing actually"""
TOPIC_WORDS = """copyright law model models training data artists images art copies database
fair use court ruling lawsuit companies style work creators machine learning paint tool
product license source regulation server release version update"""
INSERTS = [
    "e.g.", "i.e.", "vs.", "etc.", "Dr. Lee", "the U.S.", "approx. 20", "5 p.m.",
    "3.5", "$1.2M", "10:30", "v2.0.1", "40%", "example.com", ":)", ":P", "😂", "🤔",
    "(mostly)", "“fair use”", "**really**", "`os.path.join()`", "[the docs](https://example.org/a/b.html)",
    "https://example.com/docs/page.html?id=42&ref=hn#usage",
]  # fmt: skip
ENDINGS = [".", ".", ".", ".", ".", ".", ".", "?", "?", "!", "...", "!!", "?!", "", " lol"]


class CommentGenerator:
    """Seeded comments shaped like a thread's: mostly a few sentences, some long, some quoting."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.common_words = COMMON_WORDS.split()
        self.topic_words = TOPIC_WORDS.split()

    def comments(self, n: int) -> list[str]:
        return [self.comment() for _ in range(n)]

    def comment(self) -> str:
        rng = self.rng
        parts = []
        if rng.random() < 0.1:
            quoted = " ".join(self.sentence() for _ in range(rng.randint(1, 3)))
            parts.append(f"> {quoted}\n" + ("\n" if rng.random() < 0.5 else ""))
        count = max(1, int(rng.lognormvariate(1.0, 0.8)))
        for index in range(count):
            parts.append(self.sentence())
            if index < count - 1:
                parts.append("\n\n" if rng.random() < 0.12 else " ")
        if rng.random() < 0.05:
            items = (f"- {self.sentence()[:-1].lower()}" for _ in range(rng.randint(2, 5)))
            parts.append(":\n" + "\n".join(items))
        return "".join(parts)

    def sentence(self) -> str:
        rng = self.rng
        length = min(40, max(2, int(rng.lognormvariate(2.4, 0.5))))
        words = [
            rng.choice(self.common_words if rng.random() < 0.7 else self.topic_words)
            for _ in range(length)
        ]
        if rng.random() < 0.3:
            words.insert(rng.randrange(1, length + 1), rng.choice(INSERTS))
        if rng.random() < 0.9:
            words[0] = words[0].capitalize()
        return " ".join(words) + rng.choice(ENDINGS)

    def long_comment(self, chars: int) -> str:
        """One comment of exactly ``chars`` characters: paragraphs of generated comments."""
        paragraphs, total = [], 0
        while total < chars:
            paragraphs.append(self.comment())
            total += len(paragraphs[-1]) + 2
        return "\n\n".join(paragraphs)[:chars]


_NAIVE_BREAK = re.compile(r"[.!?]\s+")


def naive_sentences(text: str) -> list[Span]:
    """The baseline: a break after ``.``, ``!`` or ``?`` and whitespace; pieces trimmed."""
    return trimmed_pieces(text, [0, *(match.end() for match in _NAIVE_BREAK.finditer(text))])


def other_splitters() -> dict[str, Split]:
    """pysbd, syntok and nupunkt inside the same layout rules, those that are installed."""
    found: dict[str, Split] = {}
    try:
        pysbd = import_module("pysbd")
        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        found["pysbd"] = with_rules(lambda unit: (span.start for span in segmenter.segment(unit)))
    except ImportError:
        print("pysbd is not installed: left out")
    try:
        syntok = import_module("syntok.segmenter")
        found["syntok"] = with_rules(
            lambda unit: (sentence[0].offset for part in syntok.analyze(unit) for sentence in part)
        )
    except ImportError:
        print("syntok is not installed: left out")
    try:
        nupunkt = import_module("nupunkt")
        found["nupunkt"] = with_rules(lambda unit: (start for start, _ in nupunkt.sent_spans(unit)))
    except ImportError:
        print("nupunkt is not installed: left out")
    return found


def with_rules(starts: Callable[[str], Iterable[int]]) -> Split:
    """A splitter of units (the offsets its sentences start at) inside the layout rules."""
    return lambda text: sentences_with(text, starts)


def gold_set() -> list[tuple[str, set[int]]]:
    """Each gold comment's text and the offsets where its second and later sentences start."""
    seed_texts = list(dict.fromkeys(seed_thread_path().read_text(encoding="utf-8").splitlines()))
    assert len(seed_texts) == len(SEED_OPENINGS), "the seed thread changed: update SEED_OPENINGS"
    gold = []
    for text, openings in zip(seed_texts, SEED_OPENINGS, strict=True):
        starts, position = [], 0
        for opening in openings:
            position = text.index(opening, position)
            starts.append(position)
            position += 1
        assert starts[0] == 0, openings
        gold.append((text, set(starts[1:])))
    for marked in GOLD_WRITTEN:
        text = marked.replace(MARK, "")
        pieces = marked.split(MARK)
        marks = [sum(map(len, pieces[:index])) for index in range(1, len(pieces))]
        assert all(not text[mark].isspace() for mark in marks), marked
        gold.append((text, set(marks)))
    return gold


def quality(split: Split, gold: list[tuple[str, set[int]]]) -> tuple[float, float, float, float]:
    """Boundary precision, recall and F1, and the share of comments with every boundary right."""
    found = correct = expected = exact = 0
    for text, starts in gold:
        got = {start for start, _ in split(text)[1:]}
        found += len(got)
        correct += len(got & starts)
        expected += len(starts)
        exact += got == starts
    precision, recall = correct / found, correct / expected
    return precision, recall, 2 * precision * recall / (precision + recall), exact / len(gold)


def throughput(split: Split, texts: list[str]) -> tuple[float, int]:
    """Seconds to split every text, and the number of sentences found."""
    start = time.perf_counter()
    count = sum(len(split(text)) for text in texts)
    return time.perf_counter() - start, count


def long_comment_cells(split: Split, text: str) -> tuple[str, str]:
    """The seconds for ``text`` and the growth from its first half, as table cells.

    Its eighth, quarter and half go first; past LONG_BUDGET at one size the rest are not run.
    """
    seconds, timed_size = [], 0
    for size in (len(text) // 8, len(text) // 4, len(text) // 2, len(text)):
        if seconds and seconds[-1] > LONG_BUDGET:
            return f"{seconds[-1]:.0f} s at {timed_size:,}", ""
        start = time.perf_counter()
        split(text[:size])
        seconds.append(time.perf_counter() - start)
        timed_size = size
    return f"{seconds[-1]:.3f}", f"{seconds[-1] / seconds[-2]:.1f}x"


def speed_table(splitters: dict[str, Split], n: int, long_chars: int) -> None:
    generator = CommentGenerator(SEED)
    texts = generator.comments(n)
    long_text = generator.long_comment(long_chars)
    one_line = " ".join(long_text.split())
    print(
        f"{n:,} comments, {sum(map(len, texts)) / n:,.0f} characters on average; the long comment: "
        f"{len(long_text):,} characters in paragraphs, {len(one_line):,} on one line"
    )
    print(
        f"{'splitter':<10} {'comments/s':>11} {'sentences/s':>12} {'vs baseline':>11} "
        f"{'long s':>15} {'growth':>6} {'one line s':>15} {'growth':>6}"
    )
    baseline_seconds = None
    for name, split in splitters.items():
        seconds, count = throughput(split, texts)
        baseline_seconds = baseline_seconds or seconds  # the first splitter is the baseline
        long_seconds, long_growth = long_comment_cells(split, long_text)
        line_seconds, line_growth = long_comment_cells(split, one_line)
        print(
            f"{name:<10} {n / seconds:>11,.0f} {count / seconds:>12,.0f} "
            f"{baseline_seconds / seconds:>10.3f}x {long_seconds:>15} {long_growth:>6} "
            f"{line_seconds:>15} {line_growth:>6}",
            flush=True,
        )


def quality_table(splitters: dict[str, Split]) -> None:
    gold = gold_set()
    boundaries = sum(len(starts) for _, starts in gold)
    print(f"gold: {len(gold)} comments, {boundaries} boundaries between sentences")
    print(f"{'splitter':<10} {'precision':>9} {'recall':>7} {'F1':>6} {'exact comments':>14}")
    for name, split in splitters.items():
        precision, recall, f1, exact = quality(split, gold)
        print(f"{name:<10} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f} {exact:>14.1%}")


LONG_COMMENT_CHARS = 5_000
PRESSES = 200


def reader_table(presses: int) -> None:
    """``]`` to the highlighted frame on a long and a short comment (see the module docstring)."""
    import asyncio
    import json
    import statistics
    import tempfile

    short = "A short reply. It has two sentences."
    long = CommentGenerator(SEED).long_comment(LONG_COMMENT_CHARS)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["THREADMARK_CONFIG_DIR"] = scratch  # the reader remembers nothing of ours
        source = Path(scratch) / "thread.jsonl"
        rows = [{"id": "long", "text": long.strip()}, {"id": "short", "text": short}]
        source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        db_path = Path(scratch) / "bench.db"
        from store import import_file, open_database

        db = open_database(db_path)
        import_file(db, source)
        db.close()
        timings = {
            name: asyncio.run(_sentence_presses(db_path, row, presses))
            for name, row in (("long", 0), ("short", 1))
        }
    print(f"{'comment':<10} {'chars':>7} {'presses':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, chars in (("long", len(long.strip())), ("short", len(short))):
        times = sorted(timings[name])
        p95 = times[int(len(times) * 0.95) - 1] if len(times) > 1 else times[-1]
        row = f"{name:<10} {chars:>7,} {len(times):>8} {statistics.median(times):>8.1f}"
        print(f"{row} {p95:>8.1f} {times[-1]:>8.1f}")
    ratio = statistics.median(timings["long"]) / statistics.median(timings["short"])
    print(f"long / short (p50): {ratio:.2f}x  (] to the next frame, in-process with Pilot)")


async def _sentence_presses(db_path: Path, row: int, presses: int) -> list[float]:
    """Milliseconds from each ``]`` (or ``[`` back, at the end) to the next frame drawn."""
    import asyncio

    from textual import events

    from tui.app import ThreadmarkApp
    from tui.widgets.comment_panel import CommentPanel

    app = ThreadmarkApp(db_path, "bench")
    drawn = asyncio.Event()
    display = app._display

    def observed_display(screen, renderable) -> None:
        display(screen, renderable)
        drawn.set()

    app._display = observed_display
    timings: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.reader.comment_list.cursor = row
        await pilot.press("v")
        panel = app.screen.query_one(CommentPanel)
        key = "right_square_bracket"
        for _ in range(presses):
            before = panel.selection
            drawn.clear()
            start = time.perf_counter()
            app.post_message(events.Key(key, None))
            while panel.selection == before:
                await asyncio.sleep(0)
            drawn.clear()
            await drawn.wait()
            timings.append((time.perf_counter() - start) * 1000)
            if panel.selection == sentences(panel.detail.text)[-1]:
                key = "left_square_bracket"
            elif panel.selection == sentences(panel.detail.text)[0]:
                key = "right_square_bracket"
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="generated comments to split")
    parser.add_argument("--smoke", action="store_true", help="a tiny run, for the test suite")
    parser.add_argument("--compare", action="store_true", help="add pysbd, syntok and nupunkt")
    args = parser.parse_args()
    splitters: dict[str, Split] = {"baseline": naive_sentences, "sentences": sentences}
    if args.compare:
        splitters |= other_splitters()
    speed_table(splitters, 1_000 if args.smoke else args.n, 50_000 if args.smoke else LONG_CHARS)
    print()
    quality_table(splitters)
    print()
    reader_table(5 if args.smoke else PRESSES)


if __name__ == "__main__":
    main()
