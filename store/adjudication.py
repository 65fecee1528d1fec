"""Adjudication: the annotators' differences settled into one layer, the adjudicator's (gold).

A team codes a thread independently; then one person, under a name of their own
(``--annotator gold`` by convention), walks the *items* where the codings differ and decides
each into their own layer, which exports as any annotator's does (``export --annotator gold``).

An item is what one decision is about:

- the tags on a unit: a whole comment, or a segment of it by its exact range, as stored (two
  annotators' segments over nearly the same words are two items, settled apart);
- the links from one unit to another, in that direction (reply and quote links, made at
  import, are not codings).

Each annotator compared has a *version* of an item, its codes: the ids of the tags they put on
the unit, or the kinds they linked the pair with; none is a version too.  An item is a
disagreement where the versions differ, and agreed where they are all the same.  Tombstones
have no tags, so no tag items.

A decision makes the adjudicator's codes on the item those of the version chosen (one
annotator's, the union, or none): what it has is added, what else they had is removed, each
through :func:`store.annotate.apply_change`, all in one transaction with a "settle" row in the
journal naming the item, the choice and the versions chosen between.  That row makes the item
settled, so a decision of none, which leaves no codes, survives a restart as settled too.  A
decision holds while the versions it chose between stay as they were: once an annotator
changes theirs, the item is to be settled again.

``z`` replays only the changes in ``annotate.INVERSE``: it undoes a decision's tags and links
one at a time, as any of the adjudicator's changes, and the item stays settled.  To change a
decision, decide again: the latest counts.

The annotators compared are, by default, everyone who coded the thread except the adjudicator
and anyone who has adjudicated it (a name with a "settle" row for it).  The adjudicator may not
be one of them, nor have coded the thread by hand without adjudicating it: that layer is a
coding to compare, which decisions would overwrite.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from store.annotate import apply_change, journal_event
from store.database import write
from store.errors import ThreadmarkError
from store.schema import HUMAN_LINK_KINDS
from store.segments import Span, Unit, segment_id, unit_label
from store.sql import CODEBOOK_ORDER, HUMAN_KINDS

SETTLE = "settle"  # the journal's action for a decision
# What a decision chose: one annotator's version (named apart, so a name can be anything), the
# union of all, none, or (accepting agreed items in bulk) the one version everyone has.
VERSION, UNION, NONE, AGREED = "version", "union", "none", "agreed"

Code = int | str  # a tag's id, or a link's kind
Codes = frozenset[Code]


@dataclass(frozen=True, slots=True)
class Item:
    """What one decision is about: the tags on ``unit``, or the links from it to ``target``."""

    unit: Unit
    target: Unit | None = None

    @property
    def is_link(self) -> bool:
        return self.target is not None

    @property
    def units(self) -> tuple[Unit, ...]:
        return (self.unit,) if self.target is None else (self.unit, self.target)

    def payload(self) -> dict[str, Any]:
        """The item as the journal names a change of it: clusters and spans, not segment ids."""
        if self.target is None:
            return {"cluster": self.unit.cluster_id, **_span_entry("span", self.unit)}
        return {
            "source": self.unit.cluster_id,
            **_span_entry("source_span", self.unit),
            "target": self.target.cluster_id,
            **_span_entry("target_span", self.target),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Item:
        if "cluster" in payload:
            return cls(_unit(payload["cluster"], payload.get("span")))
        source = _unit(payload["source"], payload.get("source_span"))
        return cls(source, _unit(payload["target"], payload.get("target_span")))


@dataclass(frozen=True, slots=True)
class Decision:
    """What the adjudicator chose for an item; ``annotator`` names the version of a VERSION."""

    choice: str
    annotator: str | None = None

    def describe(self) -> str:
        """A few words for messages: "alice's version", "the union"."""
        if self.choice == VERSION:
            return f"{self.annotator}'s version"
        return {UNION: "the union", NONE: "none", AGREED: "the agreed version"}[self.choice]


@dataclass(frozen=True, slots=True)
class Case:
    """An item with every compared annotator's version of it, and the adjudicator's codes."""

    item: Item
    labels: tuple[str, ...]  # how the reader names the item's unit, or a link's two ends
    words: tuple[str, ...]  # the words of each
    versions: dict[str, Codes]  # annotator -> their codes, in the order compared
    gold: Codes  # the adjudicator's codes on the item now
    notes: dict[tuple[str, str], str] = field(default_factory=dict)  # (annotator, kind) -> note
    decision: Decision | None = None  # the adjudicator's latest decision on it
    settled: bool = False  # that decision holds: the versions are the ones it chose between

    @property
    def differs(self) -> bool:
        return len(set(self.versions.values())) > 1

    def codes(self, decision: Decision) -> Codes:
        """The codes ``decision`` gives the item."""
        if decision.choice == VERSION:
            return self.versions[decision.annotator]
        if decision.choice == UNION:
            return frozenset().union(*self.versions.values())
        if decision.choice == AGREED and not self.differs:
            return next(iter(self.versions.values()))
        if decision.choice == NONE:
            return frozenset()
        raise ValueError(f"no such decision on this item: {decision}")

    def status(self) -> str:
        """Where the item stands, in words: settled (and how), or not (and why, if decided)."""
        if self.decision is None:
            return "unsettled"
        if self.settled:
            return f"settled: {self.decision.describe()}"
        return f"unsettled: the codings changed since {self.decision.describe()} was chosen"


@dataclass(slots=True)
class Review:
    """Every item of a thread that an annotator compared coded, in reading order."""

    thread_id: int
    adjudicator: str
    annotators: list[str]
    cases: list[Case]
    tag_names: dict[int, str]  # every tag, in the codebook's order

    @property
    def disagreements(self) -> list[Case]:
        return [case for case in self.cases if case.differs]

    @property
    def agreed(self) -> list[Case]:
        return [case for case in self.cases if not case.differs]

    def names(self, case: Case, codes: Codes) -> list[str]:
        """``codes`` as people read them, in the codebook's order (a link's kinds in theirs)."""
        if case.item.is_link:
            return [kind for kind in HUMAN_LINK_KINDS if kind in codes]
        return [name for tag_id, name in self.tag_names.items() if tag_id in codes]


@dataclass(frozen=True, slots=True)
class Accepted:
    """What accepting the agreed items did: how many it wrote, how many were already so."""

    accepted: int
    already: int


def adjudicators(db: sqlite3.Connection, thread_id: int) -> list[str]:
    """Everyone who has decided an item of the thread, in name order."""
    rows = db.execute(
        "SELECT DISTINCT annotator FROM events WHERE action = ? "
        "AND json_extract(payload, '$.thread') = ? ORDER BY annotator",
        (SETTLE, thread_id),
    )
    return [name for (name,) in rows]


def annotators_of(db: sqlite3.Connection, thread_id: int) -> list[str]:
    """Everyone who coded the thread, its adjudicators left out: whose agreement is measured."""
    from store.agreement import coders  # with numpy: not loaded by a screen that only imports

    judges = set(adjudicators(db, thread_id))
    return [name for name in coders(db, thread_id) if name not in judges]


def compared_annotators(
    db: sqlite3.Connection,
    thread_id: int,
    adjudicator: str,
    annotators: Sequence[str] | None = None,
) -> list[str]:
    """The annotators whose versions ``adjudicator`` decides between (see the module's
    docstring), or the reason they cannot, as a :class:`ThreadmarkError`."""
    from store.agreement import coders

    coded = coders(db, thread_id)
    judges = adjudicators(db, thread_id)
    if annotators is None:
        chosen = [name for name in coded if name not in judges and name != adjudicator]
    else:
        chosen = list(dict.fromkeys(annotators))
    if adjudicator in chosen:
        raise ThreadmarkError(
            f"{adjudicator!r} is one of the annotators compared: adjudicate under a name of "
            "your own (--annotator gold)"
        )
    if unknown := [name for name in chosen if name not in coded]:
        raise ThreadmarkError(
            f"no tags or links by {', '.join(map(repr, unknown))} in thread {thread_id} "
            f"(its annotators: {', '.join(map(repr, coded)) or 'none'})"
        )
    if adjudicator in coded and adjudicator not in judges:
        raise ThreadmarkError(
            f"{adjudicator!r} coded thread {thread_id}: that layer is a coding to compare, and "
            "decisions would overwrite it; adjudicate under a name of your own (--annotator gold)"
        )
    if len(chosen) < 2:
        who = f"only {chosen[0]!r}" if chosen else "nobody"
        raise ThreadmarkError(
            f"adjudication needs two annotators to compare: {who} coded thread {thread_id} "
            f"besides {adjudicator!r}"
        )
    return chosen


def review(
    db: sqlite3.Connection,
    thread_id: int,
    adjudicator: str,
    annotators: Sequence[str] | None = None,
) -> Review:
    """The thread's items with everyone's versions and the adjudicator's decisions."""
    compared = compared_annotators(db, thread_id, adjudicator, annotators)
    coded, notes = _codings(db, thread_id, {*compared, adjudicator})
    items = [item for item, by in coded.items() if any(name in by for name in compared)]
    texts = _clusters(db, {unit.cluster_id for item in items for unit in item.units})
    decisions = _decisions(db, thread_id, adjudicator)
    cases = []
    for item in items:
        by = coded[item]
        versions = {name: frozenset(by.get(name, ())) for name in compared}
        decision, decided_between = decisions.get(item, (None, None))
        shown = [_shown(texts[unit.cluster_id], unit.span) for unit in item.units]
        case = Case(
            item=item,
            labels=tuple(label for label, _ in shown),
            words=tuple(words for _, words in shown),
            versions=versions,
            gold=frozenset(by.get(adjudicator, ())),
            notes=notes.get(item, {}),
            decision=decision,
            settled=decided_between == versions,
        )
        cases.append(case)
    cases.sort(key=lambda case: _reading_order(case.item, texts))
    return Review(thread_id, adjudicator, compared, cases, _tag_names(db))


def settle(db: sqlite3.Connection, review: Review, case: Case, decision: Decision) -> Case:
    """Decide ``case`` into the adjudicator's layer, in one transaction; the case as it is
    then (settled, the adjudicator's codes those chosen)."""
    with write(db):
        codes = _write_codes(db, case, review.adjudicator, decision, _tag_names(db))
        _journal_decision(db, review, case, decision, codes)
    return replace(case, gold=codes, decision=decision, settled=True)


def accept_agreed(
    db: sqlite3.Connection,
    thread_id: int,
    adjudicator: str,
    annotators: Sequence[str] | None = None,
) -> Accepted:
    """Give every agreed item the adjudicator's codes everyone has, in one transaction.

    Each item changed is journaled as decided AGREED; an item already so is left alone, so
    doing it twice changes nothing.
    """
    accepted = already = 0
    agreed = Decision(AGREED)
    with write(db):
        found = review(db, thread_id, adjudicator, annotators)
        for case in found.agreed:
            if case.codes(agreed) == case.gold:
                already += 1
                continue
            codes = _write_codes(db, case, adjudicator, agreed, found.tag_names)
            _journal_decision(db, found, case, agreed, codes)
            accepted += 1
    return Accepted(accepted, already)


# -- reading -----------------------------------------------------------------------------------

_TAGS = (
    "SELECT a.annotator, a.cluster_id, s.start, s.end, a.tag_id FROM annotations a "
    "JOIN clusters c ON c.id = a.cluster_id LEFT JOIN segments s ON s.id = a.segment_id "
    "WHERE c.thread_id = ? AND NOT c.is_tombstone"
)
_LINKS = (
    "SELECT l.annotator, l.source_cluster, ss.start, ss.end, l.target_cluster, ts.start, ts.end, "
    "l.kind, l.note FROM links l JOIN clusters c ON c.id = l.source_cluster "
    "LEFT JOIN segments ss ON ss.id = l.source_segment "
    "LEFT JOIN segments ts ON ts.id = l.target_segment "
    f"WHERE l.kind IN ({HUMAN_KINDS}) AND c.thread_id = ?"
)


def _codings(
    db: sqlite3.Connection, thread_id: int, names: set[str]
) -> tuple[dict[Item, dict[str, set[Code]]], dict[Item, dict[tuple[str, str], str]]]:
    """Each item ``names`` coded in the thread, with each one's codes, and the links' notes.

    Other annotators' rows are dropped here, not in SQL (see store.agreement.Query).
    """
    coded: dict[Item, dict[str, set[Code]]] = {}
    notes: dict[Item, dict[tuple[str, str], str]] = {}
    for annotator, cluster, start, end, tag_id in db.execute(_TAGS, (thread_id,)):
        if annotator in names:
            item = Item(Unit(cluster, _span(start, end)))
            coded.setdefault(item, {}).setdefault(annotator, set()).add(tag_id)
    for annotator, source, s_start, s_end, target, t_start, t_end, kind, note in db.execute(
        _LINKS, (thread_id,)
    ):
        if annotator in names:
            item = Item(Unit(source, _span(s_start, s_end)), Unit(target, _span(t_start, t_end)))
            coded.setdefault(item, {}).setdefault(annotator, set()).add(kind)
            notes.setdefault(item, {})[annotator, kind] = note
    return coded, notes


def _clusters(db: sqlite3.Connection, cluster_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """Each comment's number in its thread and its text."""
    rows = db.execute(
        "SELECT id, seq, text FROM clusters WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted(cluster_ids)),),
    )
    return {cluster_id: (seq, text) for cluster_id, seq, text in rows}


def _decisions(
    db: sqlite3.Connection, thread_id: int, adjudicator: str
) -> dict[Item, tuple[Decision, dict[str, Codes]]]:
    """The adjudicator's latest decision on each item of the thread, with the versions it
    chose between."""
    latest = {}
    for (payload,) in db.execute(
        "SELECT payload FROM events WHERE annotator = ? AND action = ? "
        "AND json_extract(payload, '$.thread') = ? ORDER BY id",
        (adjudicator, SETTLE, thread_id),
    ):
        entry = json.loads(payload)
        decision = Decision(entry["choice"], entry.get("version_of"))
        versions = {name: frozenset(codes) for name, codes in entry["versions"].items()}
        latest[Item.from_payload(entry)] = (decision, versions)
    return latest


def _shown(comment: tuple[int, str], span: Span | None) -> tuple[str, str]:
    """A unit's name (``#4.2``) and its words."""
    number, text = comment
    return unit_label(number, text, span), text if span is None else text[span[0] : span[1]]


def _reading_order(item: Item, texts: dict[int, tuple[int, str]]) -> tuple:
    """The thread's order: by comment, its tags before its links, a whole before its parts."""
    key: tuple = (texts[item.unit.cluster_id][0], item.is_link, item.unit.span or (-1, -1))
    if item.target is not None:
        key += (texts[item.target.cluster_id][0], item.target.span or (-1, -1))
    return key


def _tag_names(db: sqlite3.Connection) -> dict[int, str]:
    """Every tag's name by its id, in the codebook's order."""
    return dict(db.execute(f"SELECT t.id, t.name FROM tags t ORDER BY {CODEBOOK_ORDER}"))


# -- writing -----------------------------------------------------------------------------------


def _write_codes(
    db: sqlite3.Connection,
    case: Case,
    adjudicator: str,
    decision: Decision,
    tag_names: dict[int, str],
) -> Codes:
    """Make the adjudicator's codes on the item those ``decision`` gives, inside the caller's
    transaction; those codes.

    What they have is read afresh (the case may have been read a while ago), and ``tag_names``
    are the tags as they are now.
    """
    codes = case.codes(decision)
    have = _codes_now(db, case.item, adjudicator)
    for code in codes - have:
        apply_change(db, adjudicator, *_change(case, code, decision, tag_names))
    for code in have - codes:
        apply_change(db, adjudicator, *_change(case, code, None, tag_names))
    return codes


def _change(
    case: Case, code: Code, adding: Decision | None, tag_names: dict[int, str]
) -> tuple[str, dict[str, Any]]:
    """The action and payload (as :func:`apply_change` takes them) that add a code, as
    decision ``adding`` does, or remove it (``adding`` None).

    A link added keeps the note of the annotator whose version it came from (for the union,
    the first compared who made it).
    """
    item = case.item
    if not item.is_link:
        if code not in tag_names:
            raise ThreadmarkError(f"tag {code} has been deleted since the review was read")
        payload = {**item.payload(), "tag": code, "name": tag_names[code]}
        return ("tag" if adding else "untag"), payload
    payload = {**item.payload(), "kind": code}
    if adding is None:
        return "unlink", payload
    givers = [adding.annotator] if adding.choice == VERSION else list(case.versions)
    note = next((case.notes[giver, code] for giver in givers if (giver, code) in case.notes), "")
    return "link", {**payload, "note": note}


def _codes_now(db: sqlite3.Connection, item: Item, annotator: str) -> Codes:
    """``annotator``'s codes on the item as the tables hold them."""
    keys = [_unit_key(db, unit) for unit in item.units]
    if None in keys:  # a segment that does not exist holds nothing
        return frozenset()
    if not item.is_link:
        rows = db.execute(
            "SELECT tag_id FROM annotations WHERE cluster_id = ? "
            "AND coalesce(segment_id, 0) = ? AND annotator = ?",
            (item.unit.cluster_id, keys[0], annotator),
        )
    else:
        rows = db.execute(
            "SELECT kind FROM links WHERE source_cluster = ? AND coalesce(source_segment, 0) = ? "
            "AND target_cluster = ? AND coalesce(target_segment, 0) = ? AND annotator = ? "
            f"AND kind IN ({HUMAN_KINDS})",
            (item.unit.cluster_id, keys[0], item.target.cluster_id, keys[1], annotator),
        )
    return frozenset(code for (code,) in rows)


def _journal_decision(
    db: sqlite3.Connection, review: Review, case: Case, decision: Decision, codes: Codes
) -> None:
    """The "settle" row: the item, the choice, the codes given and the versions chosen between."""
    payload = {
        "thread": review.thread_id,
        **case.item.payload(),
        "choice": decision.choice,
        "codes": sorted(codes),
        "versions": {name: sorted(codes) for name, codes in case.versions.items()},
    }
    if decision.annotator is not None:
        payload["version_of"] = decision.annotator
    journal_event(db, review.adjudicator, SETTLE, payload)


def _unit_key(db: sqlite3.Connection, unit: Unit) -> int | None:
    """0 for a whole comment, a segment's id, or None for a span that has no segment."""
    if unit.span is None:
        return 0
    return segment_id(db, unit.cluster_id, unit.span, create=False)


def _span(start: int | None, end: int | None) -> Span | None:
    return None if start is None else (start, end)


def _unit(cluster_id: int, span: list[int] | None) -> Unit:
    return Unit(cluster_id, None if span is None else (span[0], span[1]))


def _span_entry(key: str, unit: Unit) -> dict[str, list[int]]:
    """A payload's span entry for a unit, left out for a whole comment (as the journal does)."""
    return {} if unit.span is None else {key: list(unit.span)}
