"""Folding repeated and near-repeated comments into clusters, and finding quote-replies.

The steps, cheapest first (ARCHITECTURE.md, "Folding duplicates"):

1. Identity: a record whose platform id was seen before is the same comment (a pagination
   repeat) and folds into the first.  Tombstones are set aside: they never fold by text, only
   as identity repeats (the same platform id, or where the source has none, the same time,
   author and parent: a dump that lists a row twice).
2. Exact: the rest are normalised (:func:`store.normalize.normalise`) and grouped by their
   normalised text.  Everything after works on these *distinct texts*, so a text is compared
   once however often it occurs.  The normalised texts are not kept (:class:`_DistinctTexts`):
   a text is shingled as it is read, and normalised again only if it is to be verified.
3. Near: candidate pairs of distinct texts come from MinHash/LSH blocking over word-anchored
   character windows, and only candidates are verified, with ``fuzz.ratio`` on characters and
   on words (:func:`_near_duplicates`).  Short texts are left out (:func:`is_short`).  Nothing
   compares all pairs: time and memory grow about linearly with the number of comments.
4. Text groups are the connected components (union-find) of the exact and near links.  A
   cluster is one author's records in a text group (the same words from different people are
   different speech acts; records with no author, as in plain text, form one group of their
   own), or the whole group when folding ``across_authors``.  Each cluster's canonical record
   is its earliest.
5. Quotes: a comment that quotes an earlier one and adds its own words is not a duplicate; it
   yields a ``quotes`` pair to the comment it quotes (the parent if that matches, else the
   best of a few candidates that share words with the quote).
"""

from __future__ import annotations

import string
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from store.normalize import Normalised, may_quote, normalise
from store.records import CommentRecord
from store.shingles import (
    BANDS,
    AsideFailed,
    Shingled,
    Shingler,
    joined,
    phrases_of,
    rank_in_group,
    shingle_chunks,
    smallest_per_group,
)

Progress = Callable[[str, int, int], None]

# A text shorter than this (normalised characters or words) is never folded by similarity,
# only by exact repeat: in a text that short, the threshold's budget still lets the meaning
# flip ("this is legal now" and "this is illegal now" score 94), and replies of three words or
# fewer ("same here lol") say too little to call two of them one comment.  A quote shorter
# than this is not matched either: it would be found in too many comments.
# What an import folds by unless told otherwise: fuzz.ratio at 90, and one author's repeats only.
DEFAULT_THRESHOLD = 90.0
FOLD_MODES = ("by-author", "across-authors")
DEFAULT_FOLD = "by-author"
SHORT_TEXT_CHARS = 20
SHORT_TEXT_WORDS = 4

# Inside one band bucket (store.shingles), texts are sorted by length and each is paired with
# at most MAX_NEIGHBOURS following ones, so a phrase that thousands of comments share cannot
# make the work quadratic.
MAX_NEIGHBOURS = 8

# Quote-replies: the quote's QUOTE_SAMPLE smallest phrase hashes (two shingles in a row) are
# looked up in the texts (at most QUOTE_POSTINGS earliest texts per phrase), and the
# QUOTE_CANDIDATES earlier texts sharing most of them are verified with fuzz.partial_ratio.
QUOTE_SAMPLE = 16
QUOTE_POSTINGS = 8
QUOTE_CANDIDATES = 3

# Similarity is measured on a text's first COMPARED_CHARS characters: rapidfuzz's cost grows with
# the product of the lengths, and two unlike megabyte-long comments would take seconds each.
# Reddit caps a comment at 10,000 characters; longer ones are rare, and their openings tell.
COMPARED_CHARS = 10_000
VERIFY_BATCH = 50_000  # pairs per rapidfuzz call, and per progress report
NORMALISE_REPORT_EVERY = 20_000

# Punctuation is left out of the words that _near_duplicates compares.
_PUNCTUATION_TO_SPACE = bytes.maketrans(string.punctuation.encode(), b" " * len(string.punctuation))


@dataclass
class Folding:
    """How a thread's records fold, by record index (the record's position minus one).

    ``canonical[i]`` is the earliest record of record ``i``'s cluster (``i`` itself for a
    canonical record).  ``folded[i]`` is ``None`` for a canonical record, else ``"identity"``
    (a repeat of the same comment), ``"exact"`` (same normalised text as its canonical) or
    ``"near"``.  ``quotes`` holds ``(quoting, quoted)`` pairs of canonical record indexes.
    ``same_text[c]`` is, for a canonical record ``c`` whose words other people also wrote (other
    clusters of its text group), the group's first canonical record.
    """

    canonical: list[int]
    folded: list[str | None]
    quotes: list[tuple[int, int]]
    same_text: dict[int, int] = field(default_factory=dict)


def fold(
    records: Sequence[CommentRecord],
    threshold: float = 90.0,
    *,
    across_authors: bool = False,
    progress: Progress | None = None,
) -> Folding:
    """Fold ``records`` into clusters (see the module docstring for the steps).

    ``threshold`` is the ``fuzz.ratio`` (0-100) at which two normalised texts are near
    duplicates, and the ``fuzz.partial_ratio`` at which a quote matches the comment it quotes.
    ``across_authors`` folds the same words from different people too (one cluster per text
    group).  ``progress(stage, done, total)`` is called now and then; an exception it raises
    stops the folding, which is how a caller cancels.
    """
    report = progress or no_progress
    try:
        texts = _DistinctTexts.read(records, _QuotesAhead.of(records), report)
    except AsideFailed:  # the shingling child could not finish: all of it here, then
        texts = _DistinctTexts.read(records, _QuotesAhead.of(records), report, aside=False)
    clusters = _UnionFind(texts.count)
    pairs = _candidate_pairs(texts, threshold, report)
    for a, b in _near_duplicates(texts, pairs, threshold, report):
        clusters.union(a, b)
    folding = _clusters_of(records, texts, clusters, across_authors)
    text_links = _quote_links(records, texts, threshold, report)
    folding.quotes = _quote_pairs(records, texts, folding.canonical, list(text_links))
    return folding


def no_progress(stage: str, done: int, total: int) -> None:
    """The progress callback when the caller gives none."""


def is_short(text: str) -> bool:
    """Whether a normalised text is too short to be folded by similarity (see SHORT_TEXT_*)."""
    return len(text) < SHORT_TEXT_CHARS or len(text.split(" ", SHORT_TEXT_WORDS)) < SHORT_TEXT_WORDS


# --- 1 and 2: identity and exact ---------------------------------------------------------------


@dataclass
class _QuotesAhead:
    """The records that may quote (:func:`may_quote`), normalised before the others.

    The texts are shingled as they are read, keeping postings only for the phrases that some
    quote looks up (:class:`_QuoteSample`): ``phrases`` holds every phrase a quote's sample
    could hold, sorted, and ``normalised`` the records' normalised parts by record index, for
    the reading to use rather than normalise them twice.
    """

    normalised: dict[int, Normalised]
    phrases: np.ndarray

    @classmethod
    def of(cls, records: Sequence[CommentRecord]) -> _QuotesAhead:
        normalised = {
            i: normalise(record.text)
            for i, record in enumerate(records)
            if not record.is_tombstone and may_quote(record.text)
        }
        quotes = list(filter(None, map(_reply_quote, normalised.values())))
        return cls(normalised, _counted(_quote_sample(quotes)[1])[0])


@dataclass
class _DistinctTexts:
    """The thread's distinct normalised texts, as ids in order of first appearance.

    The texts themselves are not kept: at a million comments they would take a quarter of a
    gigabyte, and only the few that are verified are looked at again (:meth:`compared`
    normalises them anew from their first record).  What similarity is measured on is a
    comment's own words, or its quote when it has no words of its own, up to COMPARED_CHARS;
    ``lengths`` are those lengths, and ``shingled`` the foldable texts' band keys and quote
    postings, made a chunk at a time as the texts are read.  ``reply_quotes`` are the quotes
    of the quote-replies (texts with words of their own and a quote that is not short).
    ``of_record[i]`` is record ``i``'s distinct text, -1 for tombstones and identity repeats;
    ``identity_first[i]`` is the first record that is the same comment as record ``i`` (``i``
    itself when it is the first, or nothing identifies it).
    """

    records: Sequence[CommentRecord]
    first_record: array
    of_record: array
    identity_first: array
    record_by_platform_id: dict[str, int]
    lengths: np.ndarray
    shingled: Shingled
    reply_quotes: dict[int, str]

    @property
    def count(self) -> int:
        return len(self.first_record)

    def compared(self, text_ids: Iterable[int]) -> dict[int, str]:
        """What similarity is measured on, for each of ``text_ids``."""
        records, first_record = self.records, self.first_record
        return {
            text_id: _compared(normalise(records[first_record[text_id]].text))
            for text_id in set(text_ids)
        }

    @classmethod
    def read(
        cls,
        records: Sequence[CommentRecord],
        ahead: _QuotesAhead,
        report: Progress,
        *,
        aside: bool = True,
    ) -> _DistinctTexts:
        """Normalise every record once, grouping identity repeats and exact repeats; a large
        thread's shingles are hashed by a child process unless not ``aside``."""
        first_record, of_record, identity_first, lengths = (array("q") for _ in range(4))
        first_with_id: dict[str, int] = {}
        first_tombstone: dict[tuple[str | None, ...], int] = {}
        text_by_raw: dict[str, int] = {}  # skips normalising a raw text seen before
        # Exact repeats are found by the hash of their normalised text, checked against the
        # earlier text normalised again; a different text with the same hash (rare) goes by
        # its whole text.
        text_by_hash: dict[int, int] = {}
        text_by_colliding_text: dict[str, int] = {}
        reply_quotes: dict[int, str] = {}
        # A large thread's texts are hashed by a child process as they come (store.shingles).
        with Shingler(len(records), ahead.phrases, QUOTE_POSTINGS, aside=aside) as shingler:
            for i, record in enumerate(records):
                if i % NORMALISE_REPORT_EVERY == 0:
                    report("normalise", i, len(records))
                platform_id = record.platform_id
                if platform_id is not None:
                    first = first_with_id.setdefault(platform_id, i)
                elif record.is_tombstone and record.created_at is not None:
                    first = first_tombstone.setdefault(_tombstone_identity(record), i)
                else:
                    first = i
                identity_first.append(first)
                if first != i or record.is_tombstone:
                    of_record.append(-1)
                    continue
                text_id = text_by_raw.get(record.text)
                if text_id is None:
                    parts = ahead.normalised.pop(i, None) or normalise(record.text)
                    key = _exact_key(parts)
                    new = len(first_record)
                    text_id = text_by_hash.setdefault(hash(key), new)
                    if text_id != new and key != _exact_key(
                        normalise(records[first_record[text_id]].text)
                    ):
                        text_id = text_by_colliding_text.setdefault(key, new)
                    if text_id == new:
                        compared = _compared(parts)
                        first_record.append(i)
                        lengths.append(len(compared))
                        if not is_short(compared):
                            shingler.add(text_id, compared)
                        quote = _reply_quote(parts)
                        if quote:
                            reply_quotes[text_id] = quote
                    text_by_raw[record.text] = text_id
                of_record.append(text_id)
            report("normalise", len(records), len(records))
            shingled = shingler.finish()
        return cls(
            records,
            first_record,
            of_record,
            identity_first,
            first_with_id,
            np.array(lengths, dtype=np.int64),
            shingled,
            reply_quotes,
        )


def _exact_key(parts: Normalised) -> str:
    """What exact repeats share: a quote-reply's both parts ("\\n" cannot occur in normalised
    text); a comment that is only a quote is the same text as the comment it quotes."""
    own, quoted = parts
    return f"{quoted}\n{own}" if quoted and own else own or quoted


def _compared(parts: Normalised) -> str:
    """What similarity is measured on: the own words, else the quote (see COMPARED_CHARS)."""
    return (parts.own or parts.quoted)[:COMPARED_CHARS]


def _reply_quote(parts: Normalised) -> str:
    """The quote of a quote-reply (its own words and a quote that is not short), else ""."""
    quote = parts.quoted[:COMPARED_CHARS] if parts.own else ""
    return "" if is_short(quote) else quote


class _UnionFind:
    """Disjoint sets of distinct texts whose root is the set's smallest (earliest) text id."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:  # path compression keeps later finds short
            parent[item], item = root, parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _tombstone_identity(record: CommentRecord) -> tuple[str | None, ...]:
    """What identifies a tombstone that has no platform id: its time, author, parent and text."""
    return (record.created_at, record.author, record.parent_id, record.text.strip().casefold())


def _clusters_of(
    records: Sequence[CommentRecord],
    texts: _DistinctTexts,
    groups: _UnionFind,
    across_authors: bool,
) -> Folding:
    """Each record's canonical record and how it folds into it (see :class:`Folding`).

    A cluster is one author's records in a text group (all of the group's records when
    ``across_authors``); its canonical record is the first met in reading order.
    """
    canonical: list[int] = []
    folded: list[str | None] = []
    # A text group's first record, and the head of each other author's records in it: most
    # groups have one record, so no (group, author) key is made for them (a million would
    # cost 200 MB).
    first_of_group: dict[int, int] = {}
    head_of: dict[tuple[int, str | None], int] = {}
    same_text: dict[int, int] = {}
    for i, text in enumerate(texts.of_record):
        if texts.identity_first[i] != i:
            canonical.append(canonical[texts.identity_first[i]])
            folded.append("identity")
            continue
        if text < 0:  # a tombstone: a cluster of its own
            canonical.append(i)
            folded.append(None)
            continue
        group = groups.find(text)
        head = first = first_of_group.setdefault(group, i)
        author = records[i].author
        if not across_authors and records[first].author != author:
            head = head_of.setdefault((group, author), i)
            if head == i:  # the same words as ``first``, by someone else
                same_text[i] = same_text[first] = first
        canonical.append(head)
        if head == i:
            folded.append(None)
        else:
            folded.append("exact" if texts.of_record[head] == text else "near")
    return Folding(canonical, folded, [], same_text)


# --- 3: near duplicates ------------------------------------------------------------------------


def _length_ratio_bound(threshold: float) -> float:
    """The smallest shorter/longer length ratio two texts can have and still reach ``threshold``.

    ``fuzz.ratio`` is ``100 * (1 - indel / (len_a + len_b))`` and the indel distance is at least
    the length difference, so ``ratio >= t`` needs ``shorter >= longer * t / (200 - t)``.
    """
    return threshold / (200.0 - threshold)


def _candidate_pairs(texts: _DistinctTexts, threshold: float, report: Progress) -> np.ndarray:
    """Pairs of distinct texts (an ``(m, 2)`` array) worth verifying as near duplicates.

    Texts sharing a band key are likely to share most of their shingles.  Within a bucket,
    texts are sorted by length and each is paired with the next few (MAX_NEIGHBOURS) whose
    length still allows ``threshold``.
    """
    foldable = texts.shingled.foldable
    lengths = texts.lengths[foldable]
    bound = _length_ratio_bound(threshold)
    found = []
    for band, keys in enumerate(texts.shingled.band_keys):
        report("candidates", band, BANDS)
        by_key = np.argsort(keys)
        in_bucket = by_key[_repeats(keys[by_key])]  # most texts are alone in their bucket
        order = in_bucket[np.lexsort((lengths[in_bucket], keys[in_bucket]))]
        sorted_keys, sorted_lengths = keys[order], lengths[order]
        for step in range(1, MAX_NEIGHBOURS + 1):
            same_bucket = sorted_keys[step:] == sorted_keys[:-step]
            if not same_bucket.any():
                break
            close = same_bucket & (sorted_lengths[:-step] >= sorted_lengths[step:] * bound)
            found.append(np.stack((order[:-step][close], order[step:][close]), axis=1))
    report("candidates", BANDS, BANDS)
    pairs = np.sort(foldable[joined(found, np.int64).reshape(-1, 2)], axis=1)
    codes, _ = _counted(pairs[:, 0] * texts.count + pairs[:, 1])  # pairs found twice
    return np.stack(np.divmod(codes, texts.count), axis=1)


def _near_duplicates(
    texts: _DistinctTexts, pairs: np.ndarray, threshold: float, report: Progress
) -> Iterator[tuple[int, int]]:
    """The candidate pairs that are near duplicates: close in characters and in words.

    ``fuzz.ratio`` on characters must reach ``threshold``.  On a short comment that still lets
    two whole words change ("i agree ... protects" against "i disagree ... hurts" scores 90.2),
    so the sequences of words (punctuation left out) must also reach ``2 * threshold - 100``
    (80 at 90): a looser budget, since one typo already changes a whole word.  Typo fixes,
    appended "edit:" lines and quote-style changes pass both; on a long comment the word check
    rarely decides anything.  A fold wrongly made hides a different comment from the person
    coding the thread, which is worse than a fold missed.
    """
    word_threshold = 2 * threshold - 100
    # Normalised again once each: a text is in several pairs, often in different batches.
    compared = texts.compared(np.unique(pairs).tolist())
    for batch in _batches(pairs, "verify", report):
        for a, b in _matching(batch, compared, compared, fuzz.ratio, threshold):
            if fuzz.ratio(_words(compared[a]), _words(compared[b])) >= word_threshold:
                yield a, b


def _words(text: str) -> list[bytes]:
    """The words of a normalised text, ASCII punctuation left out (fast: bytes, no regex)."""
    return text.encode(errors="surrogatepass").translate(_PUNCTUATION_TO_SPACE).split()


def _batches(pairs: np.ndarray, stage: str, report: Progress) -> Iterator[np.ndarray]:
    """``pairs`` a VERIFY_BATCH at a time, with progress reported per batch."""
    for start in range(0, len(pairs), VERIFY_BATCH):
        report(stage, start, len(pairs))
        yield pairs[start : start + VERIFY_BATCH]
    report(stage, len(pairs), len(pairs))


def _matching(
    pairs: np.ndarray,
    left: Mapping[int, str],
    right: Mapping[int, str],
    scorer: Callable[..., float],
    threshold: float,
) -> list[tuple[int, int]]:
    """The pairs ``(a, b)`` with ``scorer(left[a], right[b]) >= threshold``, in order.

    rapidfuzz scores the whole batch on every core.
    """
    scores = process.cpdist(
        [left[a] for a in pairs[:, 0].tolist()],
        [right[b] for b in pairs[:, 1].tolist()],
        scorer=scorer,
        score_cutoff=threshold,
        workers=-1,
    )
    return list(map(tuple, pairs[scores >= threshold].tolist()))


# --- 5: quotes ---------------------------------------------------------------------------------


@dataclass
class _QuoteSample:
    """The quote-replies (distinct text ids) and a sample of each one's quote phrases.

    The sample is the quote's QUOTE_SAMPLE smallest phrase hashes (see :func:`phrases_of`): the
    same phrases are picked wherever the quote starts or ends in the text it quotes.
    ``owner`` says which quote-reply (an index into ``replies``) each sampled hash is from.
    """

    replies: np.ndarray
    hashes: np.ndarray
    owner: np.ndarray

    @classmethod
    def of(cls, texts: _DistinctTexts) -> _QuoteSample:
        replies = list(texts.reply_quotes)  # in increasing order: ids are given in order
        owner, hashes = _quote_sample([texts.reply_quotes[t] for t in replies])
        return cls(np.asarray(replies, dtype=np.int64), hashes, owner)


def _quote_sample(quotes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(owner, hashes)``: each quote's QUOTE_SAMPLE smallest phrase hashes, by quote index."""
    chunks = [
        (first, *phrases_of(hashes, owner)) for first, hashes, owner in shingle_chunks(quotes)
    ]
    return smallest_per_group(
        joined((first + owner for first, _, owner in chunks), np.int64),
        joined((hashes for _, hashes, _ in chunks), np.uint64),
        QUOTE_SAMPLE,
    )


def _quote_links(
    records: Sequence[CommentRecord], texts: _DistinctTexts, threshold: float, report: Progress
) -> Iterator[tuple[int, int]]:
    """``(quoting, quoted)`` distinct text ids: each quote-reply and the earlier text it quotes.

    The parent is tried first (most quotes quote the comment replied to); a quote-reply whose
    parent does not match (or that has none, as in plain text) tries its best candidates.  A
    quote matches a text when ``fuzz.partial_ratio`` reaches ``threshold`` and the text is
    about as long as the quote or longer.
    """
    with_parent = []
    for quoting in texts.reply_quotes:
        first = texts.first_record[quoting]
        parent = _parent_record(records, texts, first)
        if parent is not None and parent < first and texts.of_record[parent] >= 0:
            with_parent.append((quoting, texts.of_record[parent]))  # not a tombstone
    matched = set()
    parent_pairs = np.array(with_parent, dtype=np.int64).reshape(-1, 2)
    for quoting, quoted in _quote_matches(texts, parent_pairs, threshold, report):
        matched.add(quoting)
        yield quoting, quoted
    candidates = _quote_candidates(texts, _QuoteSample.of(texts))
    candidates = candidates[~np.isin(candidates[:, 0], list(matched))]
    for quoting, quoted in _quote_matches(texts, candidates, threshold, report):
        if quoting not in matched:  # candidates come best first: keep the first that matches
            matched.add(quoting)
            yield quoting, quoted


def _parent_record(
    records: Sequence[CommentRecord], texts: _DistinctTexts, record: int
) -> int | None:
    """The first record with the platform id ``record`` replies to, if the thread has it."""
    parent_id = records[record].parent_id
    return None if parent_id is None else texts.record_by_platform_id.get(parent_id)


def _quote_pairs(
    records: Sequence[CommentRecord],
    texts: _DistinctTexts,
    canonical: list[int],
    text_links: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """``(quoting, quoted)`` canonical records from the ``(quoting, quoted)`` distinct texts.

    Folding by author leaves one text in several clusters, so every cluster holding the
    quoting text quotes: the cluster of its own parent if that holds the quoted text, else the
    earliest that does.
    """
    wanted = {text for link in text_links for text in link}
    clusters_with: dict[int, dict[int, None]] = {}  # text -> its clusters, earliest first
    for record, text in enumerate(texts.of_record):
        if text in wanted:
            clusters_with.setdefault(text, {})[canonical[record]] = None
    pairs = set()
    for quoting, quoted in text_links:
        targets = clusters_with[quoted]
        for source in clusters_with[quoting]:
            parent = _parent_record(records, texts, source)
            replied = None if parent is None else canonical[parent]
            target = replied if replied in targets else next(iter(targets))
            if target != source:
                pairs.add((source, target))
    return sorted(pairs)


def _quote_matches(
    texts: _DistinctTexts, pairs: np.ndarray, threshold: float, report: Progress
) -> Iterator[tuple[int, int]]:
    """The ``(quoting, quoted)`` pairs whose quote is found in the quoted text."""
    quotes = texts.reply_quotes
    quote_lengths = np.fromiter(
        (len(quotes[t]) for t in pairs[:, 0].tolist()), dtype=np.float64, count=len(pairs)
    )
    long_enough = texts.lengths[pairs[:, 1]] >= quote_lengths * threshold / 100
    for batch in _batches(pairs[long_enough], "quotes", report):
        quoted = texts.compared(batch[:, 1].tolist())
        yield from _matching(batch, quotes, quoted, fuzz.partial_ratio, threshold)


def _quote_candidates(texts: _DistinctTexts, quotes: _QuoteSample) -> np.ndarray:
    """``(quoting, source)`` pairs: for each quote-reply, the earlier texts worth verifying.

    Each sampled quote phrase is joined with the texts posted under it; the QUOTE_CANDIDATES
    earlier texts sharing most sampled phrases with the quote come first, best first.
    """
    postings = texts.shingled.posting_hashes
    lo = np.searchsorted(postings, quotes.hashes, side="left")
    hits = np.searchsorted(postings, quotes.hashes, side="right") - lo
    quoting = quotes.replies[np.repeat(quotes.owner, hits)]
    within = np.arange(hits.sum()) - np.repeat(np.cumsum(hits) - hits, hits)
    source = texts.shingled.posting_texts[np.repeat(lo, hits) + within]
    first_record = np.asarray(texts.first_record, dtype=np.int64)
    earlier = first_record[source] < first_record[quoting]
    pair_codes, shared = _counted(quoting[earlier] * texts.count + source[earlier])
    quoting, source = np.divmod(pair_codes, texts.count)
    order = np.lexsort((source, -shared, quoting))
    quoting, source = quoting[order], source[order]
    best = rank_in_group(quoting) < QUOTE_CANDIDATES
    return np.stack((quoting[best], source[best]), axis=1)


def _repeats(sorted_values: np.ndarray) -> np.ndarray:
    """True where a value of a sorted array equals a neighbour."""
    same = sorted_values[1:] == sorted_values[:-1]
    repeats = np.zeros(len(sorted_values), dtype=bool)
    repeats[1:] |= same
    repeats[:-1] |= same
    return repeats


def _counted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, sorted, and how often each occurs.

    Sorting: on millions of integers it is many times faster than ``np.unique``'s hashing.
    """
    values = np.sort(values)
    is_start = np.ones(len(values), dtype=bool)
    is_start[1:] = values[1:] != values[:-1]
    starts = np.flatnonzero(is_start)
    return values[starts], np.diff(np.append(starts, len(values)))
