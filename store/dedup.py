"""Folding repeated and near-repeated comments into clusters, and finding quote-replies.

The steps, cheapest first (DESIGN.md "Dedup"):

1. Identity: a record whose platform id was seen before is the same comment (a pagination
   repeat) and folds into the first.  Tombstones are set aside: they never fold by text.
2. Exact: the rest are normalised (:func:`store.normalize.normalise`) and grouped by their
   normalised text.  Everything after works on these *distinct texts*, so a text is compared
   once however often it occurs.
3. Near: candidate pairs of distinct texts come from MinHash/LSH blocking over word-anchored
   character windows, and only candidates are verified with ``fuzz.ratio``.  Nothing compares
   all pairs: time and memory grow about linearly with the thread (see :func:`_candidate_pairs`).
4. Clusters are the connected components (union-find) of the exact and near links; each
   cluster's canonical record is its earliest.
5. Quotes: a comment that quotes an earlier one and adds its own words is not a duplicate; it
   yields a ``quotes`` pair to the comment it quotes (the parent if that matches, else the
   best of a few candidates that share words with the quote).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from store.normalize import normalise
from store.records import CommentRecord

Progress = Callable[[str, int, int], None]

# A text shorter than this (normalised characters or words) is never folded by similarity,
# only by exact repeat: at 90% a 19-character text may differ in two characters, which is
# "i agree" against "i disagree", and a three-word reply ("same here lol") says too little
# to call two of them the same comment.  Quotes shorter than this are not matched either.
SHORT_TEXT_CHARS = 20
SHORT_TEXT_WORDS = 4

# Blocking parameters.  A shingle is the WINDOW characters starting at a word start; a text
# gets BANDS * ROWS MinHash values, and two texts become candidates when all ROWS values of
# some band agree (likely above Jaccard ~0.5, rare below ~0.2).  Inside one band bucket, texts
# are sorted by length and each is paired with at most MAX_NEIGHBOURS following ones, so a
# phrase that thousands of comments share cannot make the work quadratic.
WINDOW = 12
BANDS = 16
ROWS = 4
MAX_NEIGHBOURS = 8

# Quote-replies: the quote's QUOTE_SAMPLE smallest shingle hashes are looked up in the texts
# (at most QUOTE_POSTINGS earliest texts per shingle), and its QUOTE_CANDIDATES best-sharing
# earlier texts are verified with fuzz.partial_ratio.
QUOTE_SAMPLE = 16
QUOTE_POSTINGS = 32
QUOTE_CANDIDATES = 3

CHUNK_CHARS = 4_000_000  # characters hashed per numpy pass: bounds the temporary arrays
VERIFY_BATCH = 50_000  # pairs per rapidfuzz call, and per progress report
NORMALISE_REPORT_EVERY = 20_000

# Fixed random constants, so that folding is the same on every run.
_random = np.random.default_rng(0x7468726561646D6B)
_MINHASH_XOR = _random.integers(0, 2**32, size=(BANDS * ROWS, 1), dtype=np.uint32)
_MINHASH_MUL = _random.integers(0, 2**32, size=(BANDS * ROWS, 1), dtype=np.uint32) | np.uint32(1)
_BAND_MUL = _random.integers(0, 2**64, size=(BANDS, ROWS, 1), dtype=np.uint64) | np.uint64(1)


@dataclass
class Folding:
    """How a thread's records fold, by record index (the record's position minus one).

    ``canonical[i]`` is the earliest record of record ``i``'s cluster (``i`` itself for a
    canonical record).  ``how[i]`` is ``None`` for a canonical record, else ``"identity"`` (a
    repeat of a platform id), ``"exact"`` (same normalised text as its canonical) or
    ``"near"``.  ``quotes`` holds ``(quoting, quoted)`` pairs of canonical record indexes.
    """

    canonical: list[int]
    how: list[str | None]
    quotes: list[tuple[int, int]]


def fold(
    records: Sequence[CommentRecord],
    threshold: float = 90.0,
    progress: Progress | None = None,
) -> Folding:
    """Fold ``records`` into clusters (see the module docstring for the steps).

    ``threshold`` is the ``fuzz.ratio`` (0-100) at which two normalised texts are near
    duplicates, and the ``fuzz.partial_ratio`` at which a quote matches the comment it quotes.
    ``progress(stage, done, total)`` is called now and then; an exception it raises stops the
    folding, which is how a caller cancels.
    """
    report = progress or _no_progress
    texts = _DistinctTexts.read(records, report)
    clusters = _UnionFind(len(texts.compared))
    foldable = _long_texts(texts.compared)
    pairs = _candidate_pairs(texts.compared, foldable, threshold, report)
    for a, b in _near_duplicates(texts.compared, pairs, threshold, report):
        clusters.union(a, b)

    canonical: list[int] = []
    how: list[str | None] = []
    for i, record_text in enumerate(texts.of_record):
        if texts.identity_first[i] != i:
            first_canonical = canonical[texts.identity_first[i]]
            canonical.append(first_canonical)
            how.append("identity")
        elif record_text < 0:  # a tombstone: its own cluster
            canonical.append(i)
            how.append(None)
        else:
            root = clusters.find(record_text)
            canonical.append(texts.first_record[root])
            how.append(None if canonical[i] == i else "exact" if root == record_text else "near")

    quotes = {
        (canonical[texts.first_record[quoting]], canonical[texts.first_record[quoted]])
        for quoting, quoted in _quote_links(records, texts, foldable, threshold, report)
    }
    return Folding(canonical, how, sorted(pair for pair in quotes if pair[0] != pair[1]))


def _no_progress(stage: str, done: int, total: int) -> None:
    """The progress callback when the caller gives none."""


def is_short(text: str) -> bool:
    """Whether a normalised text is too short to be folded by similarity (see SHORT_TEXT_*)."""
    return len(text) < SHORT_TEXT_CHARS or len(text.split(" ", SHORT_TEXT_WORDS)) < SHORT_TEXT_WORDS


# --- 1 and 2: identity and exact ---------------------------------------------------------------


@dataclass
class _DistinctTexts:
    """The thread's distinct normalised texts (ids in order of first appearance) and records.

    ``compared`` is what similarity is measured on: a comment's own words, or its quote when it
    has no words of its own.  ``quoted`` is its quoted lines.  ``of_record[i]`` is record
    ``i``'s distinct text, -1 for tombstones and identity repeats; ``identity_first[i]`` is the
    first record with record ``i``'s platform id (``i`` itself when it is the first or has none).
    """

    compared: list[str]
    quoted: list[str]
    first_record: list[int]
    of_record: list[int]
    identity_first: list[int]
    record_by_platform_id: dict[str, int]

    @classmethod
    def read(cls, records: Sequence[CommentRecord], report: Progress) -> _DistinctTexts:
        """Normalise every record once, grouping identity repeats and exact repeats."""
        texts = cls([], [], [], [], [], {})
        first_with_id = texts.record_by_platform_id
        text_by_raw: dict[str, int] = {}  # skips normalising a raw text seen before
        text_by_normalised: dict[str, int] = {}
        for i, record in enumerate(records):
            if i % NORMALISE_REPORT_EVERY == 0:
                report("normalise", i, len(records))
            platform_id = record.platform_id
            first = i if platform_id is None else first_with_id.setdefault(platform_id, i)
            texts.identity_first.append(first)
            if first != i or record.is_tombstone:
                texts.of_record.append(-1)
                continue
            text_id = text_by_raw.get(record.text)
            if text_id is None:
                own, quoted = normalise(record.text)
                # A quote-reply's key keeps both parts ("\n" cannot occur in normalised text);
                # a comment that is only a quote is the same text as the comment it quotes.
                key = f"{quoted}\n{own}" if quoted and own else own or quoted
                text_id = text_by_normalised.setdefault(key, len(texts.compared))
                if text_id == len(texts.compared):
                    texts.compared.append(own or quoted)
                    texts.quoted.append(quoted if own else "")
                    texts.first_record.append(i)
                text_by_raw[record.text] = text_id
            texts.of_record.append(text_id)
        report("normalise", len(records), len(records))
        return texts


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


# --- 3: near duplicates ------------------------------------------------------------------------


def _long_texts(compared: list[str]) -> np.ndarray:
    """Ids of the distinct texts long enough to fold by similarity, in increasing order."""
    return np.fromiter(
        (text_id for text_id, text in enumerate(compared) if not is_short(text)), dtype=np.int64
    )


def _length_ratio_bound(threshold: float) -> float:
    """The smallest shorter/longer length ratio two texts can have and still reach ``threshold``.

    ``fuzz.ratio`` is ``100 * (1 - indel / (len_a + len_b))`` and the indel distance is at least
    the length difference, so ``ratio >= t`` needs ``shorter >= longer * t / (200 - t)``.
    """
    return threshold / (200.0 - threshold)


def _candidate_pairs(
    compared: list[str], ids: np.ndarray, threshold: float, report: Progress
) -> np.ndarray:
    """Pairs of distinct texts (an ``(m, 2)`` array) worth verifying as near duplicates.

    Each text gets BANDS band keys from its MinHash signature; texts sharing a band key are
    likely to share most of their shingles.  Within a bucket, texts are sorted by length and
    each is paired with the next few (MAX_NEIGHBOURS) whose length still allows ``threshold``.
    """
    if len(ids) < 2:
        return np.empty((0, 2), dtype=np.int64)
    lengths = np.fromiter((len(compared[i]) for i in ids), dtype=np.int64, count=len(ids))
    band_keys = _band_keys([compared[i] for i in ids], report)
    bound = _length_ratio_bound(threshold)
    found = []
    for band in range(BANDS):
        report("candidates", band, BANDS)
        order = np.lexsort((lengths, band_keys[:, band]))
        keys, sorted_lengths = band_keys[order, band], lengths[order]
        shares_key = keys[1:] == keys[:-1]
        in_bucket = np.flatnonzero(np.r_[shares_key, False] | np.r_[False, shares_key])
        order, keys, sorted_lengths = order[in_bucket], keys[in_bucket], sorted_lengths[in_bucket]
        for step in range(1, MAX_NEIGHBOURS + 1):
            same_bucket = keys[step:] == keys[:-step]
            if not same_bucket.any():
                break
            close = same_bucket & (sorted_lengths[:-step] >= sorted_lengths[step:] * bound)
            found.append(np.stack((order[:-step][close], order[step:][close]), axis=1))
    report("candidates", BANDS, BANDS)
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.sort(ids[np.concatenate(found)], axis=1)
    return np.unique(pairs, axis=0)


def _band_keys(texts: list[str], report: Progress) -> np.ndarray:
    """An ``(len(texts), BANDS)`` array of LSH band keys from each text's MinHash signature."""
    keys = np.empty((len(texts), BANDS), dtype=np.uint64)
    for first, hashes, owner in _shingle_chunks(texts):
        report("signatures", first, len(texts))
        group_starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        signatures = _minhash(hashes, group_starts)  # (BANDS * ROWS, texts in chunk)
        rows = signatures.reshape(BANDS, ROWS, -1).astype(np.uint64)
        chunk_keys = (rows * _BAND_MUL).sum(axis=1)  # wraps mod 2**64, as intended
        keys[first + owner[group_starts]] = chunk_keys.T
    return keys


def _minhash(hashes: np.ndarray, group_starts: np.ndarray) -> np.ndarray:
    """MinHash signature (BANDS * ROWS values) of each group of consecutive shingle hashes.

    Each of the signature's hash functions is a cheap 32-bit mix of the shingle hash; the work
    goes in slices of about 64k shingles so the temporary matrix stays in cache.
    """
    base = (hashes >> np.uint64(32)).astype(np.uint32)
    group_ends = np.r_[group_starts[1:], len(hashes)]
    out = []
    for first, end in _group_runs(group_starts, len(hashes), 65_536):
        lo, hi = group_starts[first], group_ends[end - 1]
        mixed = (base[lo:hi] ^ _MINHASH_XOR) * _MINHASH_MUL
        mixed ^= mixed >> np.uint32(16)
        mixed *= np.uint32(0x85EBCA6B)
        out.append(np.minimum.reduceat(mixed, group_starts[first:end] - lo, axis=1))
    return np.concatenate(out, axis=1)


def _group_runs(group_starts: np.ndarray, total: int, size: int) -> Iterator[tuple[int, int]]:
    """``(first, end)`` runs of whole groups of about ``size`` items (a bigger group runs alone)."""
    firsts = np.unique(np.searchsorted(group_starts, np.arange(0, total, size), side="right") - 1)
    return itertools.pairwise([*firsts.tolist(), len(group_starts)])


def _shingle_chunks(texts: list[str]) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Hash every text's shingles, a chunk of texts at a time.

    Yields ``(first, hashes, owner)``: the chunk's first text index, the shingle hashes
    (uint64) and for each the index of its text within the chunk (non-decreasing).  A shingle
    is the WINDOW characters from a word start (the text's start, after a space, or any CJK
    character, whose script has no spaces); windows that would run past the text's end are
    dropped.  Anchoring at word starts keeps shingles aligned across insertions and makes
    about five times fewer of them than every character position would.
    """
    first = 0
    while first < len(texts):
        size, end = 0, first
        while end < len(texts) and (size < CHUNK_CHARS or end == first):
            size += len(texts[end]) + 1
            end += 1
        yield first, *_shingles(texts[first:end])
        first = end


def _shingles(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The shingle hashes of ``texts`` and the index of the text each belongs to."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32)
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=starts[1:])
    anchor = codes >= 0x3000
    anchor[1:] |= codes[:-1] == ord(" ")
    anchor[starts[lengths > 0]] = True
    positions = np.flatnonzero(anchor)
    owner = np.searchsorted(starts, positions, side="right") - 1
    fits = positions + WINDOW <= starts[owner] + lengths[owner]
    positions, owner = positions[fits], owner[fits]
    hashes = np.zeros(len(positions), dtype=np.uint64)
    for offset in range(WINDOW):  # a polynomial hash over the window, mod 2**64
        hashes *= np.uint64(0x100000001B3)
        hashes += codes[positions + offset]
    hashes ^= hashes >> np.uint64(31)  # mix, so every bit depends on the whole window
    hashes *= np.uint64(0x7FB5D329728EA185)
    hashes ^= hashes >> np.uint64(27)
    return hashes, owner


def _near_duplicates(
    compared: list[str], pairs: np.ndarray, threshold: float, report: Progress
) -> Iterator[tuple[int, int]]:
    """The candidate pairs that are near duplicates: close in characters and in words.

    ``fuzz.ratio`` on characters must reach ``threshold``.  On a short comment that still lets
    two whole words change ("i agree ... protects" against "i disagree ... hurts" scores 90.2),
    so the texts' word sequences must also reach ``2 * threshold - 100`` (80 at 90): a budget
    twice as loose, because one typo already changes a whole word.  Typo fixes, appended
    "edit:" lines and quote-style changes pass both; on a long comment the word check rarely
    decides anything.
    """
    word_threshold = 2 * threshold - 100
    for a, b in _verified(compared, compared, pairs, fuzz.ratio, threshold, report):
        if fuzz.ratio(compared[a].split(" "), compared[b].split(" ")) >= word_threshold:
            yield a, b


def _verified(
    left: list[str],
    right: list[str],
    pairs: np.ndarray,
    scorer: Callable[..., float],
    threshold: float,
    report: Progress,
) -> Iterator[tuple[int, int]]:
    """The pairs ``(a, b)`` with ``scorer(left[a], right[b]) >= threshold``, in order.

    rapidfuzz scores a batch at a time on every core; progress is reported per batch.
    """
    stage = f"verify ({scorer.__name__})"
    for start in range(0, len(pairs), VERIFY_BATCH):
        report(stage, start, len(pairs))
        batch = pairs[start : start + VERIFY_BATCH]
        scores = process.cpdist(
            [left[a] for a in batch[:, 0]],
            [right[b] for b in batch[:, 1]],
            scorer=scorer,
            score_cutoff=threshold,
            workers=-1,
        )
        yield from map(tuple, batch[scores >= threshold].tolist())
    report(stage, len(pairs), len(pairs))


# --- 5: quotes ---------------------------------------------------------------------------------


def _quote_links(
    records: Sequence[CommentRecord],
    texts: _DistinctTexts,
    sources: np.ndarray,
    threshold: float,
    report: Progress,
) -> Iterator[tuple[int, int]]:
    """``(quoting, quoted)`` distinct text ids: each quote-reply and the earlier text it quotes.

    The parent is tried first (most quotes quote the comment replied to); a quote-reply whose
    parent does not match (or that has none, as in plain text) tries its best candidates among
    ``sources``.  A quote matches a text when ``fuzz.partial_ratio`` reaches ``threshold`` and
    the text is about as long as the quote or longer.
    """
    quote_replies = [t for t, quote in enumerate(texts.quoted) if quote and not is_short(quote)]
    if not quote_replies:
        return
    with_parent = []
    for quoting in quote_replies:
        parent_id = records[texts.first_record[quoting]].parent_id
        parent = texts.record_by_platform_id.get(parent_id) if parent_id is not None else None
        if parent is not None and parent < texts.first_record[quoting]:
            with_parent.append((quoting, texts.of_record[parent]))
    pairs = np.array([pair for pair in with_parent if pair[1] >= 0], dtype=np.int64)
    matched = set()
    for quoting, quoted in _quote_matches(texts, pairs.reshape(-1, 2), threshold, report):
        matched.add(quoting)
        yield quoting, quoted
    unmatched = [quoting for quoting in quote_replies if quoting not in matched]
    for quoting, quoted in _quote_matches(
        texts, _quote_candidates(texts, unmatched, sources), threshold, report
    ):
        if quoting not in matched:  # candidates come best first: keep the first that matches
            matched.add(quoting)
            yield quoting, quoted


def _quote_matches(
    texts: _DistinctTexts, pairs: np.ndarray, threshold: float, report: Progress
) -> Iterator[tuple[int, int]]:
    """The ``(quoting, quoted)`` pairs whose quote is found in the quoted text."""
    quote_lengths = np.fromiter((len(texts.quoted[t]) for t in pairs[:, 0]), dtype=np.float64)
    text_lengths = np.fromiter((len(texts.compared[t]) for t in pairs[:, 1]), dtype=np.float64)
    long_enough = text_lengths >= quote_lengths * threshold / 100
    return _verified(
        texts.quoted, texts.compared, pairs[long_enough], fuzz.partial_ratio, threshold, report
    )


def _quote_candidates(
    texts: _DistinctTexts, quote_replies: list[int], sources: np.ndarray
) -> np.ndarray:
    """``(quoting, source)`` pairs: for each quote-reply, the earlier texts worth verifying.

    A quote is looked up by a sample of its shingles (its QUOTE_SAMPLE smallest hashes, a
    sample that does not depend on where the quote starts); each sampled shingle points at the
    earliest QUOTE_POSTINGS texts holding it, so a common phrase costs no more than a rare one.
    The QUOTE_CANDIDATES texts sharing most shingles with the quote come first, best first.
    """
    if not quote_replies or not len(sources):
        return np.empty((0, 2), dtype=np.int64)
    quote_hashes, quote_owner = _sampled_shingles([texts.quoted[t] for t in quote_replies])
    wanted = np.unique(quote_hashes)
    found_hashes, found_sources = [], []
    for first, hashes, owner in _shingle_chunks([texts.compared[s] for s in sources]):
        hit = np.isin(hashes, wanted)
        found_hashes.append(hashes[hit])
        found_sources.append(sources[first + owner[hit]])
    posting_hashes, posting_sources = _smallest_per_group(
        np.concatenate(found_hashes), np.concatenate(found_sources), QUOTE_POSTINGS
    )

    # Join each sampled quote shingle with the texts posted under the same hash.
    lo = np.searchsorted(posting_hashes, quote_hashes, side="left")
    hits = np.searchsorted(posting_hashes, quote_hashes, side="right") - lo
    quoting = np.asarray(quote_replies, dtype=np.int64)[np.repeat(quote_owner, hits)]
    within = np.arange(hits.sum()) - np.repeat(np.cumsum(hits) - hits, hits)
    source = posting_sources[np.repeat(lo, hits) + within]
    first_record = np.asarray(texts.first_record, dtype=np.int64)
    earlier = first_record[source] < first_record[quoting]
    pair_codes, shared = np.unique(
        quoting[earlier] * len(texts.compared) + source[earlier], return_counts=True
    )
    quoting, source = np.divmod(pair_codes, len(texts.compared))
    order = np.lexsort((source, -shared, quoting))
    quoting, source = quoting[order], source[order]
    best = _rank_in_group(quoting) < QUOTE_CANDIDATES
    return np.stack((quoting[best], source[best]), axis=1)


def _sampled_shingles(quotes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each quote's QUOTE_SAMPLE smallest distinct shingle hashes, and which quote they are of."""
    chunks = [(first + owner, hashes) for first, hashes, owner in _shingle_chunks(quotes)]
    owner, hashes = _smallest_per_group(
        np.concatenate([owner for owner, _ in chunks]),
        np.concatenate([hashes for _, hashes in chunks]),
        QUOTE_SAMPLE,
    )
    return hashes, owner


def _smallest_per_group(
    groups: np.ndarray, values: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``(group, value)`` pairs in sorted order, at most ``limit`` per group."""
    order = np.lexsort((values, groups))
    groups, values = groups[order], values[order]
    distinct = np.r_[True, (groups[1:] != groups[:-1]) | (values[1:] != values[:-1])]
    groups, values = groups[distinct], values[distinct]
    kept = _rank_in_group(groups) < limit
    return groups[kept], values[kept]


def _rank_in_group(sorted_groups: np.ndarray) -> np.ndarray:
    """Each item's 0-based place among the items of its group (``sorted_groups`` is sorted)."""
    return np.arange(len(sorted_groups)) - np.searchsorted(sorted_groups, sorted_groups, "left")
